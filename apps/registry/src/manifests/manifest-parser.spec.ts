import { MediaTypes, parseManifest } from './manifest-parser';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const image = {
  schemaVersion: 2,
  mediaType: MediaTypes.ociManifest,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 10 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('1'), size: 100 },
    { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d('2'), size: 5, urls: ['http://x'] },
  ],
  futureField: { kept: true },
};

describe('parseManifest', () => {
  it('reads an OCI image manifest: config and distributable layers are required', () => {
    const parsed = parseManifest(MediaTypes.ociManifest, json(image));
    expect(parsed).toMatchObject({ mediaType: MediaTypes.ociManifest, kind: 'manifest', subject: null, artifactType: 'application/vnd.oci.image.config.v1+json' });
    expect(parsed.references).toEqual([
      { target: d('c'), kind: 'config' },
      { target: d('1'), kind: 'layer' },
    ]);
  });

  it('reads an index and a Docker manifest list', () => {
    const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: MediaTypes.ociManifest, digest: d('a'), size: 3 }] };
    expect(parseManifest(MediaTypes.ociIndex, json(index)).references).toEqual([{ target: d('a'), kind: 'manifest' }]);
    const list = { ...index, mediaType: MediaTypes.dockerList };
    expect(parseManifest(MediaTypes.dockerList, json(list)).kind).toBe('index');
  });

  it('takes artifactType and subject from an artifact', () => {
    const artifact = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: 'application/vnd.example.sbom',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: d('e'), size: 2 },
      layers: [],
      subject: { mediaType: MediaTypes.ociManifest, digest: d('5'), size: 7 },
    };
    expect(parseManifest(MediaTypes.ociManifest, json(artifact))).toMatchObject({ artifactType: 'application/vnd.example.sbom', subject: d('5') });
  });

  it('infers the type when the client sends a generic Content-Type', () => {
    expect(parseManifest('application/json', json(image)).mediaType).toBe(MediaTypes.ociManifest);
    const { mediaType: _m, ...untyped } = image;
    expect(parseManifest(undefined, json(untyped)).mediaType).toBe(MediaTypes.ociManifest);
  });

  it.each([
    ['not json', Buffer.from('{oops'), MediaTypes.ociManifest, /not a JSON object/],
    ['an array', json([1]), MediaTypes.ociManifest, /not a JSON object/],
    ['a type mismatch', json(image), MediaTypes.ociIndex, /does not match/],
    ['schema 1', json({ ...image, mediaType: undefined, schemaVersion: 1 }), 'application/vnd.docker.distribution.manifest.v1+prettyjws', /unsupported/],
    ['a wrong schemaVersion', json({ ...image, schemaVersion: 3 }), MediaTypes.ociManifest, /schemaVersion/],
    ['a bad digest', json({ ...image, config: { ...image.config, digest: 'sha256:../../x' } }), MediaTypes.ociManifest, /config.digest/],
    ['a negative size', json({ ...image, layers: [{ ...image.layers[0], size: -1 }] }), MediaTypes.ociManifest, /layers\[0\].size/],
    ['an index without manifests', json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex }), MediaTypes.ociIndex, /manifests array/],
  ])('refuses %s', (_what, payload, type, message) => {
    expect(() => parseManifest(type, payload)).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID', message: expect.stringMatching(message) }));
  });
});

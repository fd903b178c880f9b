import { makeTempDir, TempDir } from '@silo/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, Platform, Ports } from './platform';
import { Credentials, RegistryClient, sha256, withQuery } from './registry-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** The OCI Distribution API of the registry `npm start` runs, with its real layer store. */
describe('registry: OCI Distribution API (real platform)', () => {
  let home: TempDir;
  let platform: Platform;
  let registry: RegistryClient;
  let anonymous: RegistryClient;
  let creds: Credentials;
  let ports: Ports;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-registry-');
    ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    creds = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    registry = new RegistryClient(`http://127.0.0.1:${ports.registry}`, creds);
    anonymous = new RegistryClient(`http://127.0.0.1:${ports.registry}`);
  });

  afterAll(async () => {
    await platform?.interrupt();
    await home?.cleanup();
  });

  describe('authentication', () => {
    it('challenges anonymous clients with the Docker token flow', async () => {
      const res = await anonymous.request('GET', '/v2/');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${registry.base}/auth/token",service="silo-registry"`);
      expect(res.json()).toEqual({ errors: [expect.objectContaining({ code: 'UNAUTHORIZED' })] });
      const repo = await anonymous.request('GET', '/v2/team/app/manifests/latest');
      expect(repo.headers.get('www-authenticate')).toContain('scope="repository:team/app:pull"');
    });

    it('accepts Basic credentials and tokens; refuses wrong and forged ones', async () => {
      expect((await registry.request('GET', '/v2/')).status).toBe(200);
      const token = await registry.token(['repository:team/app:pull,push']);
      expect((await registry.request('GET', '/v2/', { auth: `Bearer ${token}` })).status).toBe(200);
      const wrong = await registry.request('GET', '/v2/', { auth: `Basic ${Buffer.from('admin:wrong').toString('base64')}` });
      expect(wrong.status).toBe(401);
      const [h, p] = token.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'mallory' })).toString('base64url');
      const forged = await registry.request('GET', '/v2/', { auth: `Bearer ${h}.${forgedPayload}.${token.split('.')[2]}` });
      expect(forged.status).toBe(401);
    });

    it('grants the intersection of asked and allowed scopes, with expires_in', async () => {
      const res = await fetch(`${registry.base}/auth/token?service=silo-registry&scope=repository:team/app:pull,push,delete,bogus`, {
        headers: { authorization: registry.basic() },
      });
      const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      expect(body.expires_in).toBeGreaterThan(0);
      expect(body.access_token).toBe(body.token);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString());
      expect(claims.access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }]);
      const anon = await anonymous.token(['repository:team/app:pull'], undefined);
      expect(JSON.parse(Buffer.from(anon.split('.')[1]!, 'base64url').toString()).access).toEqual([]);
      const bad = await fetch(`${registry.base}/auth/token?scope=repository:x:pull`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
      expect(bad.status).toBe(401);
    });

    it('a token for one repository does not open another', async () => {
      await registry.pushImage('scoped/one', 'v1');
      const token = await registry.token(['repository:scoped/other:pull']);
      const res = await registry.request('GET', '/v2/scoped/one/manifests/v1', { auth: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('scope="repository:scoped/one:pull"');
    });
  });

  describe('blobs', () => {
    const name = 'blobs/test';

    it('monolithic upload (POST + PUT), then HEAD and GET through a signed redirect, with ranges', async () => {
      const data = Buffer.from('hello blob world');
      const digest = await registry.pushBlob(name, data);
      const head = await registry.request('HEAD', `/v2/${name}/blobs/${digest}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      const get = await registry.request('GET', `/v2/${name}/blobs/${digest}`);
      expect(get.status).toBe(307);
      const location = get.headers.get('location')!;
      expect(location).toMatch(/\/blobs\/sha256:[a-f0-9]{64}\?expires=\d+&sig=[a-f0-9]{64}$/);
      const followed = await fetch(location);
      expect(Buffer.from(await followed.arrayBuffer())).toEqual(data);
      const ranged = await fetch(location, { headers: { range: 'bytes=6-9' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 6-9/${data.length}`);
      expect(await ranged.text()).toBe('blob');
      const unsatisfiable = await fetch(location, { headers: { range: 'bytes=100-200' } });
      expect(unsatisfiable.status).toBe(416);
      const tampered = await fetch(location.replace(/sig=[a-f0-9]{4}/, 'sig=0000'));
      expect(tampered.status).toBe(403);
    });

    it('single POST with ?digest=', async () => {
      const data = Buffer.from('single post');
      const digest = sha256(data);
      const res = await registry.request('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v2/${name}/blobs/${digest}`);
      expect((await registry.request('HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(200);
    });

    // Two ways to address one upload: the Location (a direct upload: a signed URL on the layer
    // store), and the registry's own upload URL (the bytes stream through the registry).
    const ways: Array<[string, (start: { headers: Headers }) => string]> = [
      ['at the Location (direct to the layer store)', (start) => start.headers.get('location')!],
      ['at the registry\'s upload URL (proxied)', (start) => `/v2/${name}/blobs/uploads/${start.headers.get('docker-upload-uuid')}`],
    ];

    it.each(ways)('streamed and chunked PATCH, status GET, out-of-order chunk → 416, %s', async (_way, address) => {
      const data = Buffer.from(`0123456789abcdefghij${_way}`).subarray(0, 20);
      const start = await registry.request('POST', `/v2/${name}/blobs/uploads/`);
      expect(start.status).toBe(202);
      expect(start.headers.get('docker-upload-uuid')).toMatch(/^[0-9a-f-]{36}$/);
      const location = address(start);
      const first = await registry.request('PATCH', location, {
        body: data.subarray(0, 8),
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-7' },
      });
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe('0-7');
      const status = await registry.request('GET', location);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe('0-7');
      expect(registry.resolve(status.headers.get('location')!).pathname).toBe(registry.resolve(location).pathname);
      const outOfOrder = await registry.request('PATCH', location, { body: data.subarray(12), headers: { 'content-range': '12-19' } });
      expect(outOfOrder.status).toBe(416);
      expect(outOfOrder.headers.get('range')).toBe('0-7');
      const repeated = await registry.request('PATCH', location, { body: data.subarray(0, 8), headers: { 'content-range': '0-7' } });
      expect(repeated.status).toBe(416);
      const streamed = await registry.request('PATCH', location, { body: data.subarray(8), headers: { 'content-type': 'application/octet-stream' } });
      expect(streamed.status).toBe(202);
      expect(streamed.headers.get('range')).toBe('0-19');
      const done = await registry.request('PUT', withQuery(location, `digest=${sha256(data)}`));
      expect(done.status).toBe(201);
      expect(done.headers.get('docker-content-digest')).toBe(sha256(data));
      expect((await registry.request('GET', location)).status).toBe(404);
    });

    it.each(ways)('cancels an upload with DELETE, %s', async (_way, address) => {
      const start = await registry.request('POST', `/v2/${name}/blobs/uploads/`);
      const location = address(start);
      expect((await registry.request('DELETE', location)).status).toBe(204);
      const after = await registry.request('GET', location);
      expect(after.status).toBe(404);
      expect(after.json()).toEqual({ errors: [expect.objectContaining({ code: 'BLOB_UPLOAD_UNKNOWN' })] });
    });

    it('a direct upload: signed Location on the layer store, refused for another repository or unsigned; the 201 points at the registry', async () => {
      const data = Buffer.from('direct bytes');
      const start = await registry.request('POST', `/v2/${name}/blobs/uploads/`);
      const location = registry.resolve(start.headers.get('location')!);
      expect(location.port).toBe(String(ports.layerStore));
      expect(location.pathname).toBe(`/v2/${name}/blobs/uploads/${start.headers.get('docker-upload-uuid')}`);
      expect(location.search).toMatch(/^\?expires=\d+&sig=[a-f0-9]{64}$/);
      const elsewhere = new URL(location);
      elsewhere.pathname = elsewhere.pathname.replace(`/v2/${name}/`, '/v2/someone/else/');
      const foreign = await fetch(elsewhere, { method: 'PATCH', body: data });
      expect(foreign.status).toBe(403);
      expect(await foreign.json()).toEqual({ errors: [expect.objectContaining({ code: 'DENIED' })] });
      const unsigned = await fetch(`${location.origin}${location.pathname}`, { method: 'PATCH', body: data });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toEqual({ errors: [expect.objectContaining({ code: 'UNAUTHORIZED' })] });
      // no credentials needed at the store: the signature is the permission
      const put = await fetch(withQuery(location.href, `digest=${sha256(data)}`), { method: 'PUT', body: data });
      expect(put.status).toBe(201);
      expect(put.headers.get('location')).toBe(`http://127.0.0.1:${ports.registry}/v2/${name}/blobs/${sha256(data)}`);
      expect((await registry.request('HEAD', `/v2/${name}/blobs/${sha256(data)}`)).status).toBe(200);
      expect((await registry.request('HEAD', `/v2/someone/else/blobs/${sha256(data)}`)).status).toBe(404);
    });

    it('a wrong digest is DIGEST_INVALID and stores nothing', async () => {
      const data = Buffer.from('real content');
      const claimed = sha256('other content');
      const start = await registry.request('POST', `/v2/${name}/blobs/uploads/`);
      const res = await registry.request('PUT', withQuery(start.headers.get('location')!, `digest=${claimed}`), { body: data });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ errors: [expect.objectContaining({ code: 'DIGEST_INVALID' })] });
      expect((await registry.request('HEAD', `/v2/${name}/blobs/${claimed}`)).status).toBe(404);
      expect((await registry.request('HEAD', `/v2/${name}/blobs/${sha256(data)}`)).status).toBe(404);
    });

    it('cross-repository mount: 201 when the source has it, 202 (new upload) when not', async () => {
      const digest = await registry.pushBlob(name, Buffer.from('mount me'));
      const mounted = await registry.request('POST', `/v2/other/repo/blobs/uploads/?mount=${digest}&from=${name}`);
      expect(mounted.status).toBe(201);
      expect(mounted.headers.get('location')).toBe(`/v2/other/repo/blobs/${digest}`);
      expect((await registry.request('HEAD', `/v2/other/repo/blobs/${digest}`)).status).toBe(200);
      const unknown = await registry.request('POST', `/v2/other/repo/blobs/uploads/?mount=${sha256('nothing')}&from=${name}`);
      expect(unknown.status).toBe(202);
      expect(unknown.headers.get('location')).toMatch(/\/v2\/other\/repo\/blobs\/uploads\//);
    });

    it('blob in another repository is not visible without a link', async () => {
      const digest = await registry.pushBlob('private/a', Buffer.from('secret bytes'));
      const res = await registry.request('GET', `/v2/private/b/blobs/${digest}`);
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ errors: [expect.objectContaining({ code: 'BLOB_UNKNOWN' })] });
    });

    it('deletes a blob from a repository', async () => {
      const digest = await registry.pushBlob(name, Buffer.from('delete me'));
      expect((await registry.request('DELETE', `/v2/${name}/blobs/${digest}`)).status).toBe(202);
      expect((await registry.request('HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(404);
    });
  });

  describe('manifests', () => {
    const name = 'manifests/test';

    it('PUT by tag; GET by tag and digest byte for byte (unknown fields kept); HEAD', async () => {
      const image = await registry.pushImage(name, 'v1', { futureField: { keep: ['me'] } });
      for (const ref of ['v1', image.digest]) {
        const get = await registry.request('GET', `/v2/${name}/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
        expect(get.status).toBe(200);
        expect(get.body.equals(image.manifest)).toBe(true);
        expect(get.headers.get('content-type')).toBe(OCI_MANIFEST);
        expect(get.headers.get('docker-content-digest')).toBe(image.digest);
      }
      const head = await registry.request('HEAD', `/v2/${name}/manifests/v1`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(image.manifest.length));
    });

    it('PUT by digest checks the digest', async () => {
      const image = await registry.pushImage(name, 'v2');
      const ok = await registry.request('PUT', `/v2/${name}/manifests/${image.digest}`, { body: image.manifest, headers: { 'content-type': OCI_MANIFEST } });
      expect(ok.status).toBe(201);
      const wrong = await registry.request('PUT', `/v2/${name}/manifests/${sha256('x')}`, { body: image.manifest, headers: { 'content-type': OCI_MANIFEST } });
      expect(wrong.status).toBe(400);
      expect(wrong.json()).toEqual({ errors: [expect.objectContaining({ code: 'DIGEST_INVALID' })] });
    });

    it('refuses manifests that reference unknown blobs or manifests', async () => {
      const blobless = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('no config'), size: 9 },
        layers: [],
      });
      const res = await registry.request('PUT', `/v2/${name}/manifests/broken`, { body: blobless, headers: { 'content-type': OCI_MANIFEST } });
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ errors: [expect.objectContaining({ code: 'MANIFEST_BLOB_UNKNOWN' })] });
      const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('nope'), size: 4 }] });
      const bad = await registry.request('PUT', `/v2/${name}/manifests/idx`, { body: index, headers: { 'content-type': OCI_INDEX } });
      expect(bad.json()).toEqual({ errors: [expect.objectContaining({ code: 'MANIFEST_BLOB_UNKNOWN' })] });
      expect((await registry.request('GET', `/v2/${name}/manifests/broken`)).status).toBe(404);
    });

    it('accepts an index of manifests it has', async () => {
      const a = await registry.pushImage(name, 'amd64');
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [{ mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
        }),
      );
      const put = await registry.request('PUT', `/v2/${name}/manifests/multi`, { body: index, headers: { 'content-type': OCI_INDEX } });
      expect(put.status).toBe(201);
      expect((await registry.request('GET', `/v2/${name}/manifests/multi`)).headers.get('content-type')).toBe(OCI_INDEX);
    });

    it('garbage JSON is MANIFEST_INVALID; over 4 MiB is 413', async () => {
      const garbage = await registry.request('PUT', `/v2/${name}/manifests/garbage`, { body: '{nope', headers: { 'content-type': OCI_MANIFEST } });
      expect(garbage.json()).toEqual({ errors: [expect.objectContaining({ code: 'MANIFEST_INVALID' })] });
      const huge = await registry.request('PUT', `/v2/${name}/manifests/huge`, {
        body: Buffer.alloc(5 * 1024 * 1024, 0x20),
        headers: { 'content-type': OCI_MANIFEST },
      });
      expect(huge.status).toBe(413);
    });

    it('deletes a tag, then the manifest by digest', async () => {
      const image = await registry.pushImage(name, 'doomed');
      expect((await registry.request('DELETE', `/v2/${name}/manifests/doomed`)).status).toBe(202);
      expect((await registry.request('GET', `/v2/${name}/manifests/doomed`)).status).toBe(404);
      expect((await registry.request('GET', `/v2/${name}/manifests/${image.digest}`)).status).toBe(200);
      expect((await registry.request('DELETE', `/v2/${name}/manifests/${image.digest}`)).status).toBe(202);
      const gone = await registry.request('GET', `/v2/${name}/manifests/${image.digest}`);
      expect(gone.json()).toEqual({ errors: [expect.objectContaining({ code: 'MANIFEST_UNKNOWN' })] });
    });

    it('an unknown repository is NAME_UNKNOWN; bad names, tags and traversal are refused', async () => {
      expect((await registry.request('GET', '/v2/never/pushed/manifests/latest')).json()).toEqual({
        errors: [expect.objectContaining({ code: 'NAME_UNKNOWN' })],
      });
      for (const path of ['/v2/UPPER/manifests/latest', '/v2/a/..%2F..%2Fetc/manifests/x', '/v2/../../etc/passwd/manifests/x']) {
        const res = await registry.request('GET', path);
        expect([400, 404]).toContain(res.status);
      }
      const badTag = await registry.request('PUT', `/v2/${name}/manifests/-bad`, { body: '{}', headers: { 'content-type': OCI_MANIFEST } });
      expect(badTag.status).toBe(400);
      const badDigest = await registry.request('GET', `/v2/${name}/blobs/sha256:..%2F..%2Fpasswd`);
      expect(badDigest.json()).toEqual({ errors: [expect.objectContaining({ code: 'DIGEST_INVALID' })] });
    });
  });

  describe('tags and catalog', () => {
    it('lists tags in lexical order with n, last and a Link header', async () => {
      const name = 'paging/tags';
      for (const tag of ['c', 'a', 'b', 'd']) await registry.pushImage(name, tag);
      const all = await registry.request('GET', `/v2/${name}/tags/list`);
      expect(all.json()).toEqual({ name, tags: ['a', 'b', 'c', 'd'] });
      const page = await registry.request('GET', `/v2/${name}/tags/list?n=2`);
      expect(page.json()).toEqual({ name, tags: ['a', 'b'] });
      expect(page.headers.get('link')).toBe(`</v2/${name}/tags/list?n=2&last=b>; rel="next"`);
      const next = await registry.request('GET', `/v2/${name}/tags/list?n=2&last=b`);
      expect(next.json()).toEqual({ name, tags: ['c', 'd'] });
      expect(next.headers.get('link')).toBeNull();
      expect((await registry.request('GET', '/v2/no/such/tags/list')).status).toBe(404);
    });

    it('pages the catalog', async () => {
      const first = await registry.request('GET', '/v2/_catalog?n=1');
      expect(first.json<{ repositories: string[] }>().repositories).toHaveLength(1);
      expect(first.headers.get('link')).toMatch(/^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
      const all = (await registry.request('GET', '/v2/_catalog')).json<{ repositories: string[] }>().repositories;
      expect(all).toEqual([...all].sort());
      expect(all).toContain('paging/tags');
    });
  });

  describe('referrers', () => {
    it('accepts an artifact before its subject, lists and filters referrers', async () => {
      const name = 'refs/test';
      const empty = await registry.pushBlob(name, '{}');
      const subjectDigest = sha256('subject-manifest-not-yet-pushed');
      const artifact = (type: string) =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: type,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 }],
          subject: { mediaType: OCI_MANIFEST, digest: subjectDigest, size: 123 },
          annotations: { 'org.example.kind': type },
        });
      const sbom = artifact('application/vnd.example.sbom');
      const sig = artifact('application/vnd.example.signature');
      for (const body of [sbom, sig]) {
        const res = await registry.request('PUT', `/v2/${name}/manifests/${sha256(body)}`, { body, headers: { 'content-type': OCI_MANIFEST } });
        expect(res.status).toBe(201);
        expect(res.headers.get('oci-subject')).toBe(subjectDigest);
      }
      const list = await registry.request('GET', `/v2/${name}/referrers/${subjectDigest}`);
      expect(list.status).toBe(200);
      expect(list.headers.get('content-type')).toContain(OCI_INDEX);
      const index = list.json<{ manifests: Array<{ digest: string; artifactType: string; annotations: Record<string, string> }> }>();
      expect(index.manifests.map((m) => m.digest).sort()).toEqual([sha256(sbom), sha256(sig)].sort());
      expect(index.manifests.find((m) => m.digest === sha256(sbom))?.annotations).toEqual({ 'org.example.kind': 'application/vnd.example.sbom' });
      const filtered = await registry.request('GET', `/v2/${name}/referrers/${subjectDigest}?artifactType=application/vnd.example.sbom`);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      expect(filtered.json<{ manifests: unknown[] }>().manifests).toHaveLength(1);
      const none = await registry.request('GET', `/v2/${name}/referrers/${sha256('nobody points here')}`);
      expect(none.status).toBe(200);
      expect(none.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    });

    it('falls back to the config media type as artifactType', async () => {
      const name = 'refs/fallback';
      const target = await registry.pushImage(name, 'base');
      await registry.pushImage(name, 'sig', { subject: { mediaType: OCI_MANIFEST, digest: target.digest, size: target.manifest.length } });
      const list = await registry.request('GET', `/v2/${name}/referrers/${target.digest}?artifactType=${encodeURIComponent('application/vnd.oci.image.config.v1+json')}`);
      expect(list.json<{ manifests: Array<{ artifactType: string }> }>().manifests).toEqual([
        expect.objectContaining({ artifactType: 'application/vnd.oci.image.config.v1+json' }),
      ]);
    });
  });
});

import { deletionOrder, distinctBytes, imageSize, ManifestNode, reachable } from './image-size';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe('image sizes', () => {
  const manifests = new Map<string, ManifestNode>([
    // an index over two platform manifests that share one layer
    [d('i'), { size: 300, references: [{ target: d('a'), kind: 'manifest' }, { target: d('b'), kind: 'manifest' }] }],
    [d('a'), { size: 500, references: [{ target: d('1'), kind: 'config' }, { target: d('s'), kind: 'layer' }, { target: d('2'), kind: 'layer' }] }],
    [d('b'), { size: 510, references: [{ target: d('3'), kind: 'config' }, { target: d('s'), kind: 'layer' }] }],
  ]);
  const blobs = new Map([
    [d('1'), 10],
    [d('2'), 2000],
    [d('3'), 11],
    [d('s'), 7000],
  ]);

  it('counts an image manifest and its blobs', () => {
    expect(imageSize(d('a'), manifests, blobs)).toBe(500 + 10 + 7000 + 2000);
  });

  it("counts an index, its children's manifests, and each shared blob once", () => {
    expect(reachable(d('i'), manifests)).toEqual({ manifests: new Set([d('i'), d('a'), d('b')]), blobs: new Set([d('1'), d('s'), d('2'), d('3')]) });
    expect(imageSize(d('i'), manifests, blobs)).toBe(300 + 500 + 510 + 10 + 7000 + 2000 + 11);
  });

  it('counts unknown blobs and missing children as nothing, and survives cycles', () => {
    const odd = new Map<string, ManifestNode>([
      [d('x'), { size: 1, references: [{ target: d('y'), kind: 'manifest' }, { target: d('z'), kind: 'manifest' }, { target: d('9'), kind: 'layer' }] }],
      [d('y'), { size: 2, references: [{ target: d('x'), kind: 'manifest' }] }],
    ]);
    expect(imageSize(d('x'), odd, blobs)).toBe(3);
    expect(imageSize(d('q'), odd, blobs)).toBe(0);
  });

  it('counts distinct blobs once', () => {
    expect(distinctBytes([d('1'), d('1'), d('2'), d('9')], blobs)).toBe(2010);
  });

  it('deletes indexes before the manifests they list', () => {
    expect(deletionOrder(manifests)).toEqual([d('i'), d('a'), d('b')]);
  });
});

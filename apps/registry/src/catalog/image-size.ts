import type { ReferenceKind } from '../metadata/entities';

/** A manifest as the size computation sees it. */
export interface ManifestNode {
  size: number;
  references: Array<{ target: string; kind: ReferenceKind }>;
}

/** What a manifest reaches: itself, its child manifests (for an index), and their blobs. */
export function reachable(root: string, manifests: Map<string, ManifestNode>): { manifests: Set<string>; blobs: Set<string> } {
  const seen = new Set<string>();
  const blobs = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const digest = pending.pop()!;
    if (seen.has(digest)) continue;
    const node = manifests.get(digest);
    if (!node) continue;
    seen.add(digest);
    for (const ref of node.references) {
      if (ref.kind === 'manifest') pending.push(ref.target);
      else blobs.add(ref.target);
    }
  }
  return { manifests: seen, blobs };
}

/**
 * Bytes of what a tag or digest names: the manifest's own bytes (and its children's, for an
 * index) plus every distinct blob reached, each counted once. Blobs of unknown size count 0.
 */
export function imageSize(root: string, manifests: Map<string, ManifestNode>, blobSizes: Map<string, number>): number {
  const reached = reachable(root, manifests);
  let total = 0;
  for (const digest of reached.manifests) total += manifests.get(digest)!.size;
  for (const digest of reached.blobs) total += blobSizes.get(digest) ?? 0;
  return total;
}

/** Bytes of distinct blobs, each counted once. */
export function distinctBytes(digests: Iterable<string>, blobSizes: Map<string, number>): number {
  let total = 0;
  for (const digest of new Set(digests)) total += blobSizes.get(digest) ?? 0;
  return total;
}

/** Indexes before the manifests they list, so a repository is never left with an index whose children are gone. */
export function deletionOrder(manifests: Map<string, ManifestNode>): string[] {
  const parents = [...manifests.entries()].filter(([, node]) => node.references.some((r) => r.kind === 'manifest')).map(([digest]) => digest);
  const rest = [...manifests.keys()].filter((digest) => !parents.includes(digest));
  return [...parents.sort(), ...rest.sort()];
}

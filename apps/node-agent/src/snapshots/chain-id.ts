import { createHash } from 'node:crypto';

/**
 * ChainIDs as the OCI image spec defines them: ChainID(L0) = DiffID(L0),
 * ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). A layer's chainID names the whole stack
 * below and including it, so one snapshot key never means two different trees.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let previous: string | undefined;
  for (const diffId of diffIds) {
    if (!/^sha256:[a-f0-9]{64}$/.test(diffId)) throw new Error(`invalid diffID "${diffId}": expected sha256:<64 hex>`);
    const chainId = previous === undefined ? diffId : `sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`;
    out.push(chainId);
    previous = chainId;
  }
  return out;
}

/** The hex part of a sha256 digest: the snapshot's directory name. */
export function digestHex(digest: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match) throw new Error(`invalid sha256 digest "${digest}"`);
  return match[1]!;
}

import { statfs } from 'node:fs/promises';

export interface DiskFree {
  freeBytes: number;
  totalBytes: number;
}

/** Free space of the filesystem holding a path (what an unprivileged writer may still use). */
export class DiskSpace {
  async free(path: string): Promise<DiskFree> {
    const s = await statfs(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  }
}

import { SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import { Readable } from 'node:stream';
import { QuotaService } from '../accounts/quota.service';
import { UploadSessionEntity } from '../metadata/entities';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { BlobStore, CommittedBlob } from '../storage/blob-store';
import { BlobUploadService, ChunkOutOfOrder, UploadUnknown } from './blob-upload.service';

/** An in-memory layer store with the data plane's offset rules. */
class MemoryStore implements Partial<BlobStore> {
  uploads = new Map<string, Buffer>();
  next = 0;
  async createUpload() {
    const id = `u${++this.next}`;
    this.uploads.set(id, Buffer.alloc(0));
    return id;
  }
  async append(id: string, offset: number, body: Readable) {
    const have = this.uploads.get(id)!;
    if (offset !== have.length) throw new SiloError('RANGE_INVALID', 'offset', { size: have.length }, 416);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    this.uploads.set(id, Buffer.concat([have, ...chunks]));
    return this.uploads.get(id)!.length;
  }
  async uploadSize(id: string) {
    return this.uploads.get(id)!.length;
  }
  async commit(id: string, digest: string): Promise<CommittedBlob> {
    const size = this.uploads.get(id)!.length;
    this.uploads.delete(id);
    if (digest === 'sha256:bad') throw new SiloError('DIGEST_INVALID', 'mismatch');
    return { digest, size };
  }
  async cancel(id: string) {
    this.uploads.delete(id);
  }
}

function fakes() {
  const sessions = new Map<string, UploadSessionEntity>();
  const recorded: Array<[string, string, number]> = [];
  const metadata = {
    createUpload: async (s: UploadSessionEntity) => void sessions.set(s.id, s),
    upload: async (id: string) => sessions.get(id) ?? null,
    deleteUpload: async (id: string) => void sessions.delete(id),
    recordBlob: async (r: string, d: string, n: number, _now: string, endUpload?: string) => {
      recorded.push([r, d, n]);
      if (endUpload) sessions.delete(endUpload);
    },
  } as unknown as RegistryMetadata;
  const quota = { admit: async () => undefined, check: async () => undefined } as unknown as QuotaService;
  const store = new MemoryStore();
  const service = new BlobUploadService(metadata, store as unknown as BlobStore, new Clock(), quota);
  return { service, store, sessions, recorded, quota };
}

describe('BlobUploadService (fakes at the seams)', () => {
  it('appends streamed and chunked PATCHes, and records the blob on commit', async () => {
    const { service, recorded, sessions } = fakes();
    const id = await service.start('team/app');
    expect(await service.append('team/app', id, Readable.from([Buffer.from('abcd')]), {})).toBe(4);
    expect(await service.append('team/app', id, Readable.from([Buffer.from('ef')]), { contentRange: '4-5', contentLength: 2 })).toBe(6);
    const blob = await service.complete('team/app', id, 'sha256:ok');
    expect(blob).toEqual({ digest: 'sha256:ok', size: 6 });
    expect(recorded).toEqual([['team/app', 'sha256:ok', 6]]);
    expect(sessions.size).toBe(0);
  });

  it('says where the upload ends when a chunk is out of order', async () => {
    const { service } = fakes();
    const id = await service.start('team/app');
    await service.append('team/app', id, Readable.from([Buffer.from('abcd')]), {});
    const error = await service.append('team/app', id, Readable.from([Buffer.from('zz')]), { contentRange: '8-9' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChunkOutOfOrder);
    expect((error as ChunkOutOfOrder).size).toBe(4);
  });

  it('refuses Content-Length that disagrees with Content-Range, and malformed ranges', async () => {
    const { service } = fakes();
    const id = await service.start('team/app');
    await expect(service.append('team/app', id, Readable.from([]), { contentRange: '0-9', contentLength: 3 })).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    await expect(service.append('team/app', id, Readable.from([]), { contentRange: 'x-y' })).rejects.toMatchObject({ code: 'BLOB_UPLOAD_INVALID' });
  });

  it('keeps sessions to their repository', async () => {
    const { service } = fakes();
    const id = await service.start('team/app');
    await expect(service.size('team/other', id)).rejects.toBeInstanceOf(UploadUnknown);
  });

  it('ends the session on a digest mismatch and records nothing', async () => {
    const { service, recorded, sessions } = fakes();
    const id = await service.start('team/app');
    await expect(service.complete('team/app', id, 'sha256:bad')).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(recorded).toEqual([]);
    expect(sessions.size).toBe(0);
  });

  it('ends the session and links nothing when the quota refuses the blob', async () => {
    const { service, recorded, sessions, quota } = fakes();
    (quota as unknown as { check: () => Promise<void> }).check = async () => {
      throw new SiloError('DENIED', 'quota exceeded');
    };
    const id = await service.start('team/app');
    await expect(service.complete('team/app', id, 'sha256:ok')).rejects.toMatchObject({ code: 'DENIED' });
    expect(recorded).toEqual([]);
    expect(sessions.size).toBe(0);
  });
});

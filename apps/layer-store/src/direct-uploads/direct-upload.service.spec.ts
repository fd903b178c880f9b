import { makeTempDir, TempDir } from '@silo/testing';
import { SiloError } from '@silo/domain';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Counter } from 'prom-client';
import { TransferMetrics } from '../metrics/transfer.metrics';
import { FilesystemBlobBackend } from '../storage/filesystem-blob-backend';
import { UploadsService } from '../uploads/uploads.service';
import { parseDirectUploadPath } from './direct-upload-route';
import { DirectUploadService } from './direct-upload.service';
import { RegistryLink } from './registry-link';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const body = (...chunks: Buffer[]) => Readable.from(chunks);

/** The registry side of the NATS seam: what it was told, and what it answers. */
class FakeRegistry {
  committed: Array<[string, string, string, number]> = [];
  ended: Array<[string, string]> = [];
  refuse?: SiloError;
  link = {
    committed: async (repository: string, id: string, digest: string, size: number) => {
      if (this.refuse) throw this.refuse;
      this.committed.push([repository, id, digest, size]);
    },
    ended: async (repository: string, id: string) => void this.ended.push([repository, id]),
  } as unknown as RegistryLink;
}

describe('DirectUploadService (real filesystem backend, fake registry)', () => {
  let dir: TempDir;
  let backend: FilesystemBlobBackend;
  let registry: FakeRegistry;
  let service: DirectUploadService;

  beforeEach(async () => {
    dir = await makeTempDir('direct-upload-');
    backend = new FilesystemBlobBackend(dir.path);
    registry = new FakeRegistry();
    const counter = { inc: () => undefined } as unknown as Counter;
    const uploads = new UploadsService(backend, { bytesWritten: counter, bytesRead: counter } as TransferMetrics);
    service = new DirectUploadService(uploads, backend, registry.link);
  });
  afterEach(() => dir.cleanup());

  it('takes a streamed PATCH, commits on PUT, and reports the blob to the registry before answering', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const id = await backend.createUpload();
    expect(await service.append(id, body(data.subarray(0, 1000), data.subarray(1000)), {})).toBe(data.length);
    const blob = await service.complete('team/app', id, sha256(data));
    expect(blob).toEqual({ digest: sha256(data), size: data.length });
    expect(registry.committed).toEqual([['team/app', id, sha256(data), data.length]]);
    expect((await backend.stat(sha256(data)))?.size).toBe(data.length);
    const [, encoded] = sha256(data).split(':') as [string, string];
    expect(await readFile(join(dir.path, 'blobs', 'sha256', encoded.slice(0, 2), encoded))).toEqual(data);
  });

  it('appends chunks by Content-Range; an out-of-order or repeated chunk is RANGE_INVALID with the real size', async () => {
    const data = randomBytes(300);
    const id = await backend.createUpload();
    expect(await service.append(id, body(data.subarray(0, 100)), { contentRange: '0-99', contentLength: 100 })).toBe(100);
    await expect(service.append(id, body(data.subarray(0, 100)), { contentRange: '0-99' })).rejects.toMatchObject({ code: 'RANGE_INVALID', details: { size: 100 } });
    await expect(service.append(id, body(data.subarray(200)), { contentRange: '200-299' })).rejects.toMatchObject({ code: 'RANGE_INVALID', details: { size: 100 } });
    expect(await service.append(id, body(data.subarray(100)), { contentRange: 'bytes=100-299' })).toBe(300);
    expect(await service.size(id)).toBe(300);
    await service.complete('app', id, sha256(data));
    expect(registry.committed).toHaveLength(1);
  });

  it('refuses a Content-Length that contradicts the Content-Range, before taking a byte', async () => {
    const id = await backend.createUpload();
    await expect(service.append(id, body(Buffer.from('abc')), { contentRange: '0-2', contentLength: 5 })).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    await expect(service.append(id, body(Buffer.from('abc')), { contentRange: 'zero-2' })).rejects.toMatchObject({ code: 'BLOB_UPLOAD_INVALID' });
    expect(await service.size(id)).toBe(0);
  });

  it('commits with the last chunk in the PUT body', async () => {
    const data = randomBytes(5000);
    const id = await backend.createUpload();
    await service.append(id, body(data.subarray(0, 4000)), {});
    await service.complete('app', id, sha256(data), body(data.subarray(4000)));
    expect(registry.committed[0]?.[3]).toBe(5000);
  });

  it('on a digest mismatch stores nothing and ends the registry session', async () => {
    const id = await backend.createUpload();
    await service.append(id, body(Buffer.from('real bytes')), {});
    const claimed = sha256(Buffer.from('other bytes'));
    await expect(service.complete('app', id, claimed)).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(await backend.stat(claimed)).toBeUndefined();
    expect(await backend.stat(sha256(Buffer.from('real bytes')))).toBeUndefined();
    expect(registry.committed).toEqual([]);
    expect(registry.ended).toEqual([['app', id]]);
  });

  it('a malformed digest leaves the upload (and the session) as it was', async () => {
    const id = await backend.createUpload();
    await service.append(id, body(Buffer.from('bytes')), {});
    await expect(service.complete('app', id, 'sha256:nothex')).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    await expect(service.complete('app', id, undefined)).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(await service.size(id)).toBe(5);
    expect(registry.ended).toEqual([]);
  });

  it("passes the registry's refusal (over quota) to the client; the blob stays unlinked for GC", async () => {
    registry.refuse = new SiloError('DENIED', 'team quota 10 B exceeded');
    const data = Buffer.from('more than ten bytes');
    const id = await backend.createUpload();
    await service.append(id, body(data), {});
    await expect(service.complete('team/app', id, sha256(data))).rejects.toMatchObject({ code: 'DENIED', message: expect.stringContaining('quota') });
    expect(registry.committed).toEqual([]);
  });

  it('cancels: the upload is gone and the registry session ends; an unknown upload is BLOB_UPLOAD_UNKNOWN', async () => {
    const id = await backend.createUpload();
    await service.cancel('app', id);
    expect(registry.ended).toEqual([['app', id]]);
    await expect(service.size(id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    await expect(service.cancel('app', id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
  });
});

describe('direct upload paths', () => {
  const id = '0b6f1a5e-3c1d-4a6f-9a77-2a8c6c2e9d10';

  it('parses /v2/<name>/blobs/uploads/<uuid> with multi-component names', () => {
    expect(parseDirectUploadPath(`/v2/team/app/blobs/uploads/${id}`)).toEqual({ repository: 'team/app', id });
  });

  it.each([
    [`/v2/Team/app/blobs/uploads/${id}`, 'NAME_INVALID'],
    [`/v2/../etc/blobs/uploads/${id}`, 'NAME_INVALID'],
    [`/v2/a%2F..%2Fb/blobs/uploads/${id}`, 'NAME_INVALID'],
    ['/v2/app/blobs/uploads/../../x', 'NOT_FOUND'],
    ['/v2/app/blobs/uploads/..', 'BLOB_UPLOAD_UNKNOWN'],
    ['/v2/app/blobs/uploads/not-a-uuid', 'BLOB_UPLOAD_UNKNOWN'],
    [`/v2/app/blobs/uploads/`, 'NOT_FOUND'],
    [`/v2/app/manifests/latest`, 'NOT_FOUND'],
    ['/v2/', 'NOT_FOUND'],
  ])('refuses %s with %s', (path, code) => {
    expect(() => parseDirectUploadPath(path)).toThrow(expect.objectContaining({ code }));
  });
});

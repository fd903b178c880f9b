import { Injectable } from '@nestjs/common';
import { parseDigest, SiloError } from '@silo/domain';
import { createHash } from 'node:crypto';
import { BlobStore } from './blob-store';

/** Small blobs (image configs) read whole from the layer store, verified against their digest. */
@Injectable()
export class BlobContentReader {
  constructor(private readonly store: BlobStore) {}

  async read(digest: string, maxBytes: number): Promise<Buffer> {
    const { algorithm, encoded } = parseDigest(digest);
    const res = await this.store.openRead(digest);
    if (res.statusCode === 404) {
      res.resume();
      throw new SiloError('BLOB_UNKNOWN', `blob ${digest} is missing from the layer store`, { digest });
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new SiloError('UNAVAILABLE', `the layer store answered ${res.statusCode} for blob ${digest}`, { digest });
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const hash = createHash(algorithm);
    for await (const chunk of res as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) {
        res.destroy();
        throw new SiloError('SIZE_INVALID', `blob ${digest} is larger than ${maxBytes} bytes`, { digest, maxBytes });
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
    if (hash.digest('hex') !== encoded) throw new SiloError('DIGEST_INVALID', `the layer store's bytes for ${digest} do not match their digest`, { digest });
    return Buffer.concat(chunks);
  }
}

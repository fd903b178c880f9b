import { isRepositoryName, SiloError } from '@silo/domain';
import { UPLOAD_ID } from '../storage/blob-input';

/** `/v2/<repository>/blobs/uploads/<uuid>`: the only paths of the store's OCI upload endpoint. */
export interface DirectUploadRoute {
  repository: string;
  id: string;
}

const PATH = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/;

/**
 * Parses the request path (up to `?`, not percent-decoded: exactly what the signature covers).
 * Pure. The signature already binds repository and id; the grammars are checked anyway, so
 * nothing unchecked reaches a backend.
 */
export function parseDirectUploadPath(path: string): DirectUploadRoute {
  const match = PATH.exec(path);
  if (!match) throw new SiloError('NOT_FOUND', 'no such endpoint: the layer store serves only /v2/<name>/blobs/uploads/<id> under /v2');
  const [, repository, id] = match as unknown as [string, string, string];
  if (!isRepositoryName(repository)) throw new SiloError('NAME_INVALID', 'invalid repository name');
  if (!UPLOAD_ID.test(id)) throw new SiloError('BLOB_UPLOAD_UNKNOWN', 'unknown upload');
  return { repository, id };
}

import { ociError, SiloError } from '@silo/domain';
import { contentLength, sameHostBase } from '@silo/service-kit';
import type { Request, Response } from 'express';
import { AuthenticationRequired } from '../auth/errors/auth.errors';

/** Scheme, host and port the client used: the base of Location headers and the token realm. */
export function requestBase(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? `127.0.0.1:${req.socket.localPort}`}`;
}

/** The layer store as this client reaches it: same host, the store's port (unless configured). */
export function publicStoreBase(req: Request, configured: string | undefined, internal: string): string {
  if (configured) return configured;
  return sameHostBase(req, new URL(internal).port || '80');
}

/** The path after `/v2`, not percent-decoded (grammar checks see exactly what was sent). */
export function rawV2Path(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const path = url.split('?', 1)[0] ?? '';
  return path.replace(/^\/v2/, '');
}

/** Reads a body up to `limit` bytes; beyond it, throws (the caller answers 413). */
export async function readLimited(req: Request, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (declared !== undefined && body.length !== declared) throw new SiloError('SIZE_INVALID', `body has ${body.length} bytes, Content-Length said ${declared}`);
  return body;
}

function tooLarge(limit: number): SiloError {
  return new SiloError('SIZE_INVALID', `manifest exceeds the ${limit / (1024 * 1024)} MiB limit`, { limit }, 413);
}

/** Errors in the OCI shape: `{"errors":[{"code","message","detail"}]}`, with the challenge on 401. */
export function sendOciError(res: Response, err: unknown, onUnexpected: (err: unknown) => void): void {
  const { status, body, unexpected } = ociError(err);
  if (unexpected) onUnexpected(err);
  if (err instanceof AuthenticationRequired) res.setHeader('WWW-Authenticate', err.challenge);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).json(body);
}

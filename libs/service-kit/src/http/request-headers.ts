import { SiloError } from '@silo/domain';
import type { Request } from 'express';

/** One request header (the first, when repeated). */
export function headerValue(req: Request, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `Content-Length` as a number; SIZE_INVALID when it is not a decimal integer. */
export function contentLength(req: Request): number | undefined {
  const raw = headerValue(req, 'content-length');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new SiloError('SIZE_INVALID', `invalid Content-Length "${raw.slice(0, 40)}"`);
  return Number(raw);
}

/** Whether the request carries a body (Content-Length > 0 or chunked). */
export function hasBody(req: Request): boolean {
  const length = headerValue(req, 'content-length');
  return (length !== undefined && length !== '0') || headerValue(req, 'transfer-encoding') !== undefined;
}

/**
 * Another of our services as this client reaches it: the host the client used for this request,
 * with that service's port (for redirects and Locations that send the client there).
 */
export function sameHostBase(req: Request, port: number | string): string {
  const host = (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
  return `${req.protocol}://${host}:${port}`;
}

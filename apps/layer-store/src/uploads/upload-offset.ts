import { InvalidUploadOffset } from './errors';

/** `Upload-Offset: <n>`: the size the caller believes the upload has (decimal, no sign). */
export function parseUploadOffset(header: string | undefined): number {
  if (header === undefined || header.trim() === '') throw new InvalidUploadOffset('is required (the size the upload has so far)');
  const text = header.trim();
  if (!/^\d{1,15}$/.test(text)) throw new InvalidUploadOffset(`must be a non-negative integer, not ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

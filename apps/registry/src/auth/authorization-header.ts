/** Splits an Authorization header value into its scheme (lowercased) and credentials. */
export function parseAuthorization(header: string): { scheme: string; value: string } {
  const trimmed = header.trim();
  const space = trimmed.search(/\s/);
  if (space < 0) return { scheme: trimmed.toLowerCase(), value: '' };
  return { scheme: trimmed.slice(0, space).toLowerCase(), value: trimmed.slice(space).trim() };
}

/** `user:password` from Basic credentials; undefined when they are not base64 of that shape. */
export function decodeBasic(value: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

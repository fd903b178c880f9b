import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routing (`#/services/web`): works behind any static server, and the api's fallback to
 * index.html for unknown paths is then only needed for deep links without a hash.
 */
export type Route =
  | { page: 'overview' }
  | { page: 'node'; id: string }
  | { page: 'service'; name: string }
  | { page: 'deploy' }
  | { page: 'images' }
  | { page: 'image'; name: string }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, ...rest] = parts;
  if (!first) return { page: 'overview' };
  if (first === 'nodes' && rest.length === 1) return { page: 'node', id: rest[0]! };
  if (first === 'services' && rest.length === 1) return { page: 'service', name: rest[0]! };
  if (first === 'deploy' && rest.length === 0) return { page: 'deploy' };
  if (first === 'images' && rest.length === 0) return { page: 'images' };
  // repository names contain "/": everything after images/ is the name
  if (first === 'images') return { page: 'image', name: rest.join('/') };
  return { page: 'not-found', path };
}

export function href(path: string): string {
  return `#${path}`;
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

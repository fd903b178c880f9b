/** Registry actions, as token scopes name them (`repository:team/app:pull,push`). */
export const ACTIONS = ['pull', 'push', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Principal {
  kind: 'admin' | 'user' | 'robot' | 'anonymous';
  name: string;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', name: '' };

/** One scope of a token request or grant. `*` stands for every action. */
export interface ResourceAccess {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

/** Parses `repository:team/app:pull,push` (the name may contain colons for ports, never here). */
export function parseScope(scope: string): ResourceAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return { type, name: scope.slice(first + 1, last), actions };
}

export function formatScope(access: ResourceAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/** Whether a set of granted scopes includes `action` on `repository`. */
export function grants(access: ResourceAccess[], repository: string, action: Action): boolean {
  return access.some(
    (a) => a.type === 'repository' && a.name === repository && (a.actions.includes(action) || a.actions.includes('*')),
  );
}

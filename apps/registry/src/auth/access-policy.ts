import type { TeamRole } from '@silo/contracts';
import { Action, Principal } from './access';

export interface RepositoryFacts {
  isPublic: boolean;
  /** The principal's role in the team that owns the repository's namespace, if any. */
  role?: TeamRole;
}

const ROLE_ACTIONS: Record<TeamRole, Action[]> = {
  pull: ['pull'],
  push: ['pull', 'push'],
  delete: ['pull', 'push', 'delete'],
  admin: ['pull', 'push', 'delete'],
};

/** The team owning a repository: its first path component (`team/app` → `team`). */
export function namespaceOf(repository: string): string | undefined {
  const slash = repository.indexOf('/');
  return slash > 0 ? repository.slice(0, slash) : undefined;
}

/**
 * Who may do what on a repository (pure; no I/O): the admin everything; team members by their
 * role in the repository's namespace; anyone may pull a public repository.
 */
export function allowedActions(principal: Principal, facts: RepositoryFacts): Set<Action> {
  if (principal.kind === 'admin') return new Set<Action>(['pull', 'push', 'delete']);
  const allowed = new Set<Action>();
  if (facts.isPublic) allowed.add('pull');
  if (principal.kind !== 'anonymous' && facts.role) for (const action of ROLE_ACTIONS[facts.role]) allowed.add(action);
  return allowed;
}

export function canListCatalog(principal: Principal): boolean {
  return principal.kind === 'admin';
}

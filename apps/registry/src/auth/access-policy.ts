import { Action, Principal } from './access';

export interface RepositoryFacts {
  isPublic: boolean;
}

/**
 * Who may do what on a repository (pure; no I/O). Today: the admin may do everything; anyone may
 * pull a public repository. Users, teams and robot tokens extend this with namespace roles.
 */
export function allowedActions(principal: Principal, repository: string, facts: RepositoryFacts | undefined): Set<Action> {
  if (principal.kind === 'admin') return new Set<Action>(['pull', 'push', 'delete']);
  const allowed = new Set<Action>();
  if (facts?.isPublic) allowed.add('pull');
  void repository;
  return allowed;
}

export function canListCatalog(principal: Principal): boolean {
  return principal.kind === 'admin';
}

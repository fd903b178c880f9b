import type { PrincipalView, TeamRole } from '@silo/contracts';
import { AccessDenied } from './errors/access-denied.error';

/**
 * Who may do what in the api: a pure module (no Nest, no I/O) so every rule is unit-tested alone.
 *
 * - `admin` (the generated admin, and users with the admin role) may do everything.
 * - `viewer` may read everything and change nothing.
 * - `member` reads nodes; reads its teams' workloads and repositories (any team role); changes its
 *   teams' workloads with team role push, delete or admin (pull is read-only); pushes to its teams'
 *   repositories with push+, deletes with delete+, changes visibility and manages robots with admin.
 * - Public repositories are readable by everyone who is authenticated.
 */

export type Access = 'read' | 'write';

export type Action =
  | { kind: 'node'; access: Access }
  /** A service or job; `team` is its `spec.team` (absent: only admins and viewers see it). */
  | { kind: 'service'; access: Access; name?: string; team?: string }
  /** A repository of the registry; its namespace (first path component) is the owning team. */
  | { kind: 'repository'; access: 'read' | 'write' | 'delete' | 'admin'; name: string; public?: boolean }
  | { kind: 'account-admin' }
  | { kind: 'team-admin'; team: string }
  | { kind: 'registry-gc' }
  /** Cluster-wide reads without a team (status, registry usage, every task of a node). */
  | { kind: 'cluster'; access: Access };

export type Decision = { allowed: true } | { allowed: false; error: AccessDenied };

const WRITE_ROLES: readonly TeamRole[] = ['push', 'delete', 'admin'];
const DELETE_ROLES: readonly TeamRole[] = ['delete', 'admin'];
const ADMIN_ROLES: readonly TeamRole[] = ['admin'];

const ALLOW: Decision = { allowed: true };
const deny = (message: string): Decision => ({ allowed: false, error: new AccessDenied(message) });

export function isAdmin(principal: PrincipalView): boolean {
  return principal.role === 'admin' || principal.kind === 'admin';
}

/** The principal's role in a team, if a member. */
export function teamRole(principal: PrincipalView, team: string | undefined): TeamRole | undefined {
  if (!team) return undefined;
  return principal.teams.find((t) => t.team === team)?.role;
}

/** Teams whose workloads the principal may change (team role push, delete or admin). */
export function writableTeams(principal: PrincipalView): string[] {
  return principal.teams.filter((t) => WRITE_ROLES.includes(t.role)).map((t) => t.team);
}

/** The owning team of a repository: its first path component (`team/app` → `team`). */
export function repositoryNamespace(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash);
}

function who(principal: PrincipalView): string {
  return `${principal.kind === 'robot' ? 'robot' : 'account'} "${principal.name}" (role ${principal.role})`;
}

function hasTeamRole(principal: PrincipalView, team: string | undefined, roles: readonly TeamRole[]): boolean {
  const role = teamRole(principal, team);
  return role !== undefined && roles.includes(role);
}

function needs(roles: readonly TeamRole[]): string {
  return roles.length === 1 ? `team role ${roles[0]}` : `team role ${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
}

/** Decides one action; never throws. */
export function decide(principal: PrincipalView, action: Action): Decision {
  if (isAdmin(principal)) return ALLOW;
  const viewer = principal.role === 'viewer';
  switch (action.kind) {
    case 'node':
    case 'cluster':
      if (action.access === 'read') return ALLOW;
      return deny(`${who(principal)} may not change ${action.kind === 'node' ? 'nodes' : 'the cluster'}: the admin role is needed`);
    case 'service': {
      const what = action.name ? `service "${action.name}"` : 'this service';
      if (action.access === 'read') {
        if (viewer || teamRole(principal, action.team) !== undefined) return ALLOW;
        return deny(
          action.team
            ? `${who(principal)} may not read ${what}: it belongs to team "${action.team}"; a role in that team (or the viewer role) is needed`
            : `${who(principal)} may not read ${what}: it has no team; the viewer or admin role is needed`,
        );
      }
      if (viewer) return deny(`${who(principal)} is read-only: to change ${what} the admin role, or ${needs(WRITE_ROLES)} in its team, is needed`);
      if (!action.team) return deny(`${who(principal)} may not change ${what}: it has no team; the admin role is needed`);
      if (hasTeamRole(principal, action.team, WRITE_ROLES)) return ALLOW;
      return deny(`${who(principal)} may not change ${what} of team "${action.team}": ${needs(WRITE_ROLES)} in "${action.team}" is needed`);
    }
    case 'repository': {
      const team = repositoryNamespace(action.name);
      const what = `repository "${action.name}"`;
      if (action.access === 'read') {
        if (viewer || action.public || teamRole(principal, team) !== undefined) return ALLOW;
        return deny(`${who(principal)} may not read ${what}: a role in team "${team}" (or the viewer role) is needed`);
      }
      const roles = action.access === 'write' ? WRITE_ROLES : action.access === 'delete' ? DELETE_ROLES : ADMIN_ROLES;
      if (!viewer && hasTeamRole(principal, team, roles)) return ALLOW;
      return deny(`${who(principal)} may not ${action.access === 'admin' ? 'administer' : action.access} ${what}: ${needs(roles)} in "${team}" is needed`);
    }
    case 'team-admin':
      if (!viewer && hasTeamRole(principal, action.team, ADMIN_ROLES)) return ALLOW;
      return deny(`${who(principal)} may not manage team "${action.team}": the admin role, or team role admin in "${action.team}", is needed`);
    case 'account-admin':
      return deny(`${who(principal)} may not manage accounts: the admin role is needed`);
    case 'registry-gc':
      return deny(`${who(principal)} may not run registry garbage collection: the admin role is needed`);
  }
}

/** Throws AccessDenied (DENIED) unless the action is allowed. */
export function authorize(principal: PrincipalView, action: Action): void {
  const decision = decide(principal, action);
  if (!decision.allowed) throw decision.error;
}

export function allowed(principal: PrincipalView, action: Action): boolean {
  return decide(principal, action).allowed;
}

/** What an event concerns, for filtering the event stream per principal. */
export type EventSubjectRef =
  | { type: 'node' }
  | { type: 'service' | 'task'; team?: string; service?: string }
  | { type: 'push' | 'delete'; repository: string; public?: boolean };

/** Whether the principal may receive an event: node events for all; others as reads of what they concern. */
export function mayReceiveEvent(principal: PrincipalView, event: EventSubjectRef): boolean {
  switch (event.type) {
    case 'node':
      return allowed(principal, { kind: 'node', access: 'read' });
    case 'service':
    case 'task':
      return allowed(principal, { kind: 'service', access: 'read', team: event.team, name: event.service });
    case 'push':
    case 'delete':
      return allowed(principal, { kind: 'repository', access: 'read', name: event.repository, public: event.public });
  }
}

/**
 * The team a member's new workload belongs to: the one asked for (which must be writable), or
 * their only writable team. Admins keep what they asked for (possibly none).
 */
export function resolveWorkloadTeam(principal: PrincipalView, requested: string | undefined): { team?: string } | { error: 'none' | 'ambiguous'; teams: string[] } {
  if (isAdmin(principal) || requested) return { team: requested };
  if (principal.role === 'viewer') return { error: 'none', teams: [] };
  const teams = writableTeams(principal);
  if (teams.length === 1) return { team: teams[0] };
  return { error: teams.length === 0 ? 'none' : 'ambiguous', teams };
}

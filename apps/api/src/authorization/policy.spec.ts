import type { PrincipalView } from '@silo/contracts';
import { Action, authorize, decide, mayReceiveEvent, repositoryNamespace, resolveWorkloadTeam, writableTeams } from './policy';

const principal = (name: string, role: PrincipalView['role'], teams: PrincipalView['teams'] = [], kind: PrincipalView['kind'] = 'user'): PrincipalView => ({
  kind,
  name,
  role,
  teams,
  via: 'session',
});

const P = {
  generated: principal('admin', 'admin', [], 'admin'),
  admin: principal('alice', 'admin'),
  viewer: principal('vera', 'viewer', [{ team: 'red', role: 'admin' }]),
  redPull: principal('paul', 'member', [{ team: 'red', role: 'pull' }]),
  redPush: principal('pat', 'member', [{ team: 'red', role: 'push' }]),
  redDelete: principal('dan', 'member', [{ team: 'red', role: 'delete' }]),
  redAdmin: principal('ada', 'member', [{ team: 'red', role: 'admin' }]),
  bluePush: principal('bob', 'member', [{ team: 'blue', role: 'push' }]),
  nobody: principal('nina', 'member'),
  robot: principal('red+ci', 'member', [{ team: 'red', role: 'push' }], 'robot'),
};
type Who = keyof typeof P;

const A: Record<string, Action> = {
  nodeRead: { kind: 'node', access: 'read' },
  nodeWrite: { kind: 'node', access: 'write' },
  clusterRead: { kind: 'cluster', access: 'read' },
  redServiceRead: { kind: 'service', access: 'read', name: 'web', team: 'red' },
  redServiceWrite: { kind: 'service', access: 'write', name: 'web', team: 'red' },
  teamlessServiceRead: { kind: 'service', access: 'read', name: 'legacy' },
  teamlessServiceWrite: { kind: 'service', access: 'write', name: 'legacy' },
  redRepoRead: { kind: 'repository', access: 'read', name: 'red/app' },
  redRepoWrite: { kind: 'repository', access: 'write', name: 'red/app' },
  redRepoDelete: { kind: 'repository', access: 'delete', name: 'red/app' },
  redRepoAdmin: { kind: 'repository', access: 'admin', name: 'red/app' },
  publicBlueRepoRead: { kind: 'repository', access: 'read', name: 'blue/lib', public: true },
  publicBlueRepoWrite: { kind: 'repository', access: 'write', name: 'blue/lib', public: true },
  accounts: { kind: 'account-admin' },
  redTeamAdmin: { kind: 'team-admin', team: 'red' },
  gc: { kind: 'registry-gc' },
};
type What = keyof typeof A;

// Rows: actions; columns: who is allowed (everyone else is denied).
const ALLOWED: Record<What, Who[]> = {
  nodeRead: ['generated', 'admin', 'viewer', 'redPull', 'redPush', 'redDelete', 'redAdmin', 'bluePush', 'nobody', 'robot'],
  nodeWrite: ['generated', 'admin'],
  clusterRead: ['generated', 'admin', 'viewer', 'redPull', 'redPush', 'redDelete', 'redAdmin', 'bluePush', 'nobody', 'robot'],
  redServiceRead: ['generated', 'admin', 'viewer', 'redPull', 'redPush', 'redDelete', 'redAdmin', 'robot'],
  redServiceWrite: ['generated', 'admin', 'redPush', 'redDelete', 'redAdmin', 'robot'],
  teamlessServiceRead: ['generated', 'admin', 'viewer'],
  teamlessServiceWrite: ['generated', 'admin'],
  redRepoRead: ['generated', 'admin', 'viewer', 'redPull', 'redPush', 'redDelete', 'redAdmin', 'robot'],
  redRepoWrite: ['generated', 'admin', 'redPush', 'redDelete', 'redAdmin', 'robot'],
  redRepoDelete: ['generated', 'admin', 'redDelete', 'redAdmin'],
  redRepoAdmin: ['generated', 'admin', 'redAdmin'],
  publicBlueRepoRead: ['generated', 'admin', 'viewer', 'redPull', 'redPush', 'redDelete', 'redAdmin', 'bluePush', 'nobody', 'robot'],
  publicBlueRepoWrite: ['generated', 'admin', 'bluePush'],
  accounts: ['generated', 'admin'],
  redTeamAdmin: ['generated', 'admin', 'redAdmin'],
  gc: ['generated', 'admin'],
};

describe('authorization policy', () => {
  const cases: Array<[What, Who, boolean]> = [];
  for (const what of Object.keys(A) as What[]) for (const who of Object.keys(P) as Who[]) cases.push([what, who, ALLOWED[what].includes(who)]);

  it.each(cases)('%s by %s → allowed=%s', (what, who, expected) => {
    const decision = decide(P[who], A[what]!);
    expect(decision.allowed).toBe(expected);
    if (!decision.allowed) {
      expect(decision.error.code).toBe('DENIED');
      expect(decision.error.message).toMatch(/needed/);
      expect(() => authorize(P[who], A[what]!)).toThrow(decision.error.message);
    } else {
      expect(() => authorize(P[who], A[what]!)).not.toThrow();
    }
  });

  it('says which role is needed', () => {
    const denied = decide(P.bluePush, A.redServiceWrite!);
    expect(denied.allowed).toBe(false);
    if (!denied.allowed) expect(denied.error.message).toBe('account "bob" (role member) may not change service "web" of team "red": team role push, delete or admin in "red" is needed');
    const pull = decide(P.redPull, A.redServiceWrite!);
    if (!pull.allowed) expect(pull.error.message).toContain('team role push, delete or admin in "red"');
    const viewer = decide(P.viewer, A.redServiceWrite!);
    if (!viewer.allowed) expect(viewer.error.message).toContain('read-only');
    const gc = decide(P.redAdmin, A.gc!);
    if (!gc.allowed) expect(gc.error.message).toContain('the admin role is needed');
    const del = decide(P.redPush, A.redRepoDelete!);
    if (!del.allowed) expect(del.error.message).toContain('team role delete or admin in "red"');
    expect(pull.allowed || viewer.allowed || gc.allowed || del.allowed).toBe(false);
  });

  it('filters events per principal', () => {
    expect(mayReceiveEvent(P.nobody, { type: 'node' })).toBe(true);
    expect(mayReceiveEvent(P.redPull, { type: 'task', team: 'red', service: 'web' })).toBe(true);
    expect(mayReceiveEvent(P.bluePush, { type: 'task', team: 'red', service: 'web' })).toBe(false);
    expect(mayReceiveEvent(P.bluePush, { type: 'service', team: undefined, service: 'legacy' })).toBe(false);
    expect(mayReceiveEvent(P.viewer, { type: 'service', team: undefined, service: 'legacy' })).toBe(true);
    expect(mayReceiveEvent(P.bluePush, { type: 'push', repository: 'red/app' })).toBe(false);
    expect(mayReceiveEvent(P.bluePush, { type: 'push', repository: 'red/app', public: true })).toBe(true);
    expect(mayReceiveEvent(P.redPull, { type: 'delete', repository: 'red/app' })).toBe(true);
  });

  it('resolves the team of a member’s new workload', () => {
    expect(resolveWorkloadTeam(P.redPush, undefined)).toEqual({ team: 'red' });
    expect(resolveWorkloadTeam(P.redPull, undefined)).toEqual({ error: 'none', teams: [] });
    const two = principal('two', 'member', [
      { team: 'red', role: 'push' },
      { team: 'blue', role: 'admin' },
      { team: 'green', role: 'pull' },
    ]);
    expect(resolveWorkloadTeam(two, undefined)).toEqual({ error: 'ambiguous', teams: ['red', 'blue'] });
    expect(resolveWorkloadTeam(two, 'blue')).toEqual({ team: 'blue' });
    expect(resolveWorkloadTeam(P.admin, undefined)).toEqual({ team: undefined });
    expect(resolveWorkloadTeam(P.viewer, undefined)).toEqual({ error: 'none', teams: [] });
    expect(writableTeams(two)).toEqual(['red', 'blue']);
  });

  it('takes the namespace of a repository from its first component', () => {
    expect(repositoryNamespace('red/app/api')).toBe('red');
    expect(repositoryNamespace('library')).toBe('library');
  });
});

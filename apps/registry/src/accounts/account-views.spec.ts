import { accountRole, accountView, robotTeam, teamsOf, teamView } from './account-views';

const T0 = '2026-01-01T00:00:00.000Z';
const memberships = [
  { team: 'globex', account: 'alice', role: 'pull' as const },
  { team: 'acme', account: 'alice', role: 'push' as const },
  { team: 'acme', account: 'acme+ci', role: 'pull' as const },
  // a robot never acts outside its own team, whatever was stored
  { team: 'globex', account: 'acme+ci', role: 'admin' as const },
];

describe('account views', () => {
  it("finds a robot's team", () => {
    expect(robotTeam('acme+ci')).toBe('acme');
    expect(robotTeam('alice')).toBeUndefined();
  });

  it('gives users their role and robots member', () => {
    expect(accountRole({ kind: 'user', role: 'viewer' })).toBe('viewer');
    expect(accountRole({ kind: 'robot', role: 'admin' })).toBe('member');
  });

  it("lists an account's teams in order; a robot's are its own team only", () => {
    expect(teamsOf({ name: 'alice', kind: 'user' }, memberships)).toEqual([
      { team: 'acme', role: 'push' },
      { team: 'globex', role: 'pull' },
    ]);
    expect(teamsOf({ name: 'acme+ci', kind: 'robot' }, memberships)).toEqual([{ team: 'acme', role: 'pull' }]);
  });

  it('shows accounts without secrets and teams with their members', () => {
    const view = accountView({ name: 'alice', kind: 'user', role: 'admin', secretHash: 'scrypt$…', createdAt: T0 }, memberships);
    expect(view).toEqual({ name: 'alice', kind: 'user', role: 'admin', teams: [{ team: 'acme', role: 'push' }, { team: 'globex', role: 'pull' }], createdAt: T0 });
    expect(teamView({ name: 'acme', quotaBytes: null, createdAt: T0 }, memberships, 42)).toEqual({
      name: 'acme',
      quotaBytes: null,
      usedBytes: 42,
      members: [
        { account: 'acme+ci', role: 'pull' },
        { account: 'alice', role: 'push' },
      ],
      createdAt: T0,
    });
  });
});

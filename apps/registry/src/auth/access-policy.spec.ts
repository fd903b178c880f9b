import { Principal } from './access';
import { allowedActions, namespaceOf } from './access-policy';

const admin: Principal = { kind: 'admin', name: 'admin' };
const alice: Principal = { kind: 'user', name: 'alice' };
const anon: Principal = { kind: 'anonymous', name: '' };
const list = (s: Set<string>) => [...s].sort();

describe('access policy', () => {
  it('gives the admin everything', () => expect(list(allowedActions(admin, { isPublic: false }))).toEqual(['delete', 'pull', 'push']));
  it('gives members their role in the namespace', () => {
    expect(list(allowedActions(alice, { isPublic: false, role: 'pull' }))).toEqual(['pull']);
    expect(list(allowedActions(alice, { isPublic: false, role: 'push' }))).toEqual(['pull', 'push']);
    expect(list(allowedActions(alice, { isPublic: false, role: 'delete' }))).toEqual(['delete', 'pull', 'push']);
  });
  it('lets anyone pull a public repository, and nothing more', () => {
    expect(list(allowedActions(anon, { isPublic: true }))).toEqual(['pull']);
    expect(list(allowedActions(anon, { isPublic: false, role: 'admin' }))).toEqual([]);
    expect(list(allowedActions(alice, { isPublic: false }))).toEqual([]);
  });
  it('finds the namespace', () => {
    expect(namespaceOf('team/app/x')).toBe('team');
    expect(namespaceOf('app')).toBeUndefined();
  });
});

import { makeTempDir, TempDir } from '@silo/testing';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer, fakeTerminal, json, runCli, startFakeServer } from '../testing/fake-api';
import { configDir, ContextStore } from './context-store';

describe('the contexts file', () => {
  let dir: TempDir;
  beforeEach(async () => (dir = await makeTempDir()));
  afterEach(async () => dir.cleanup());

  it('lives in $SILO_CONFIG_DIR, else $XDG_CONFIG_HOME/silo, else ~/.config/silo', () => {
    expect(configDir({ SILO_CONFIG_DIR: 'conf' }, '/w')).toBe('/w/conf');
    expect(configDir({ XDG_CONFIG_HOME: '/x' }, '/w')).toBe('/x/silo');
    expect(configDir({ HOME: '/home/a' }, '/w')).toBe('/home/a/.config/silo');
  });

  it('is written with mode 0600 in a 0700 directory, replaced atomically, no temp files left', () => {
    const store = new ContextStore(join(dir.path, 'cfg'));
    store.put('a', { apiUrl: 'http://a:7070', username: 'u', token: 't1' });
    const first = statSync(store.file);
    expect(first.mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    store.put('b', { apiUrl: 'http://b:7070', username: 'u', token: 't2' });
    // A new file renamed over the old one (a new inode), never the old one rewritten in place.
    expect(statSync(store.file).ino).not.toBe(first.ino);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(store.dir)).toEqual(['config.json']);
    expect(store.load()).toEqual({ current: 'b', contexts: { a: expect.objectContaining({ token: 't1' }), b: expect.objectContaining({ token: 't2' }) } });
    store.remove('b');
    expect(store.load().current).toBe('a');
    expect(() => store.use('nope')).toThrow('no context "nope" (known: a)');
  });

  it('says how to recover from a damaged file', () => {
    mkdirSync(join(dir.path, 'cfg'));
    writeFileSync(join(dir.path, 'cfg', 'config.json'), '{ not json');
    expect(() => new ContextStore(join(dir.path, 'cfg')).load()).toThrow(/cannot read .*config\.json.*run silo login/);
  });
});

describe('silo login, context, logout (against a stand-in api)', () => {
  let dir: TempDir;
  let api: FakeServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    api = await startFakeServer();
  });
  afterAll(async () => api.close());
  beforeEach(async () => {
    dir = await makeTempDir();
    api.reset();
    env = { SILO_CONFIG_DIR: join(dir.path, 'config'), HOME: dir.path };
    api.route('POST /api/v1/auth/login', (req, res) => {
      const body = req.json as { username: string; password: string };
      if (body.password !== 'sesame') return json(res, 401, { code: 'UNAUTHORIZED', message: 'invalid username or password' });
      json(res, 200, { token: `session-of-${body.username}`, expiresAt: '2030-01-01T00:00:00.000Z', principal: { kind: 'user', name: body.username, role: 'member', teams: [], via: 'session' } });
    });
    api.route('GET /api/v1/services', (req, res) =>
      req.headers.authorization === 'Bearer session-of-alice' ? json(res, 200, { services: [] }) : json(res, 401, { code: 'SESSION_EXPIRED', message: 'the session expired' }),
    );
    api.route('POST /api/v1/auth/logout', (_req, res) => json(res, 200, { revoked: 1 }));
  });
  afterEach(async () => dir.cleanup());

  it('logs in with --password-stdin, stores the context 0600, and uses its token as Bearer', async () => {
    const terminal = fakeTerminal();
    terminal.stdin.end('sesame\n');
    const login = await runCli(['login', api.url, '-u', 'alice', '--password-stdin', '--context', 'prod'], env, dir.path, terminal);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${api.url} as alice (member); context "prod" is now current`);
    expect(api.seen[0]!.json).toEqual({ username: 'alice', password: 'sesame' });
    const file = join(env['SILO_CONFIG_DIR']!, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored).toEqual({ current: 'prod', contexts: { prod: { apiUrl: api.url, registry: '127.0.0.1:5000', username: 'alice', token: 'session-of-alice', expiresAt: '2030-01-01T00:00:00.000Z' } } });

    const ls = await runCli(['service', 'ls'], env, dir.path);
    expect(ls.code).toBe(0);
    expect(api.seen.at(-1)!.headers.authorization).toBe('Bearer session-of-alice');

    const contexts = await runCli(['context', 'ls'], env, dir.path);
    expect(contexts.stdout).toMatch(/CURRENT\s+NAME\s+API\s+REGISTRY\s+USER\s+EXPIRES\n\*\s+prod\s+http:\/\/127\.0\.0\.1:\d+\s+127\.0\.0\.1:5000\s+alice\s+2030-01-01T00:00:00Z/);
    expect((await runCli(['context', 'current'], env, dir.path)).stdout).toBe('prod\n');

    const logout = await runCli(['logout'], env, dir.path);
    expect(logout.code).toBe(0);
    expect(api.seen.at(-1)!.headers.authorization).toBe('Bearer session-of-alice');
    expect(JSON.parse(readFileSync(file, 'utf8')).contexts).toEqual({});
    expect((await runCli(['context', 'current'], env, dir.path)).code).toBe(1);
  });

  it('prompts for the password without echo on a terminal; a wrong one is refused with exit 1', async () => {
    const wrong = await runCli(['login', api.url, '-u', 'alice'], env, dir.path, fakeTerminal({ tty: true, secret: 'guess' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`login to ${api.url} failed: wrong username or password`);
    const right = await runCli(['login', api.url, '-u', 'alice'], env, dir.path, fakeTerminal({ tty: true, secret: 'sesame' }));
    expect(right.code).toBe(0);
  });

  it('an expired session gets a message that says to log in again, exit 1', async () => {
    const store = new ContextStore(env['SILO_CONFIG_DIR']!);
    store.put('prod', { apiUrl: api.url, username: 'bob', token: 'session-of-bob' });
    const ls = await runCli(['service', 'ls'], env, dir.path);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain('silo: your session for prod expired: run silo login');
  });

  it('--context picks another context; an unknown one is named', async () => {
    const store = new ContextStore(env['SILO_CONFIG_DIR']!);
    store.put('a', { apiUrl: 'http://127.0.0.1:1', username: 'alice', token: 'x' });
    store.put('b', { apiUrl: api.url, username: 'alice', token: 'session-of-alice' });
    store.use('a');
    expect((await runCli(['service', 'ls', '--context', 'b'], env, dir.path)).code).toBe(0);
    expect((await runCli(['--context', 'b', 'service', 'ls'], env, dir.path)).code).toBe(0);
    const unknown = await runCli(['service', 'ls', '--context', 'c'], env, dir.path);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no context "c"');
    expect(unknown.stderr).toContain('known: a, b');
  });

  it('without any context falls back to the local platform\'s admin credentials (Basic)', async () => {
    mkdirSync(join(dir.path, 'home'));
    writeFileSync(join(dir.path, 'home', 'admin-credentials.json'), JSON.stringify({ username: 'admin', password: 'pw', apiUrl: api.url, registry: '127.0.0.1:5000' }));
    api.route('GET /api/v1/services', (_req, res) => json(res, 200, { services: [] }));
    const ls = await runCli(['service', 'ls'], { ...env, SILO_HOME: join(dir.path, 'home') }, dir.path);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('No services.');
    expect(api.seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });
});

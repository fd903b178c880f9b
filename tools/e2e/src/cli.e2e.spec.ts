import { buildOciLayout, makeTempDir, skopeoCopy, TempDir, waitFor } from '@silo/testing';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BackgroundCli, CliResult, runScript, siloAsync } from './cli-runner';
import { freePorts, Platform, platformEnv, Ports, SILO_BIN } from './platform';

/** `-o json` of a list command: an array, or an object holding one array. */
function rows<T = Record<string, unknown>>(result: CliResult): T[] {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}${result.stdout}`);
  const parsed = JSON.parse(result.stdout) as unknown;
  if (Array.isArray(parsed)) return parsed as T[];
  const arrays = Object.values(parsed as Record<string, unknown>).filter(Array.isArray);
  if (arrays.length !== 1) throw new Error(`not a list: ${result.stdout.slice(0, 500)}`);
  return arrays[0] as T[];
}

function json<T = Record<string, unknown>>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

interface ServiceRow {
  name: string;
  desired: number;
  running: number;
  version: number;
  rollout: string;
  spec: { image: string; team?: string };
}

/**
 * The operator surface end to end: `npm start`'s platform in a temp SILO_HOME, the `silo` CLI as a
 * user runs it (a config dir of its own), real containers on the local node agent.
 */
describe('the silo CLI against a real platform', () => {
  let home: TempDir;
  let work: TempDir;
  let ports: Ports;
  let platform: Platform;
  let admin: { username: string; password: string; registry: string; apiUrl: string };
  /** The admin's CLI: logged in with `silo login` into a config dir of its own. */
  let env: Record<string, string>;
  let image: string;
  let imageV2: string;
  let layout: string;
  let shortSessionAt = 0;

  const cli = (args: string[], options?: { input?: string; timeoutMs?: number }, as = env) => siloAsync(args, as, options);
  /** A CLI environment with its own config dir (one user's `~/.config/silo`). */
  const userEnv = (name: string): Record<string, string> => {
    const base = platformEnv(home.path, ports);
    // no SILO_HOME: the only credentials are the user's own login
    const { SILO_HOME: _home, ...rest } = base;
    return { ...rest, SILO_CONFIG_DIR: join(work.path, `config-${name}`) };
  };

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-cli-');
    work = await makeTempDir('silo-e2e-cli-work-');
    ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    admin = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as typeof admin;
    env = userEnv('admin');
    // v1 by `silo image push` (an OCI layout) later; v2 pushed with skopeo now.
    const command = ['sh', '-c', 'echo started; i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'];
    layout = join(work.path, 'v1');
    await buildOciLayout(layout, { tag: 'v1', layers: [{ busybox: true }, { files: { 'etc/app-version': 'v1\n' } }], config: { Cmd: command } });
    const v2 = await buildOciLayout(join(work.path, 'v2'), { tag: 'v2', layers: [{ busybox: true }, { files: { 'etc/app-version': 'v2\n' } }], config: { Cmd: command } });
    await skopeoCopy(v2.skopeoRef, `${admin.registry}/shop/web:v2`, { destCreds: `${admin.username}:${admin.password}`, destTlsVerify: false });
    image = `${admin.registry}/shop/web:v1`;
    imageV2 = `${admin.registry}/shop/web:v2`;
  }, 240_000);

  afterAll(async () => {
    try {
      await platform?.removeWorkloads();
    } finally {
      await platform?.interrupt();
      await home?.cleanup();
      await work?.cleanup();
    }
  }, 120_000);

  describe('login and contexts', () => {
    it('logs in with --password-stdin and keeps the context in a 0600 file', async () => {
      const result = await cli(['login', admin.apiUrl, '-u', admin.username, '--password-stdin', '--context', 'local'], { input: `${admin.password}\n` });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const file = join(env['SILO_CONFIG_DIR']!, 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const config = JSON.parse(readFileSync(file, 'utf8')) as { current: string; contexts: Record<string, { apiUrl: string; token: string }> };
      expect(config.current).toBe('local');
      expect(config.contexts['local']!.apiUrl).toBe(admin.apiUrl);
      expect(config.contexts['local']!.token).toEqual(expect.any(String));
      expect(readFileSync(file, 'utf8')).not.toContain(admin.password);
    });

    it('refuses a wrong password with exit 1 and stores nothing', async () => {
      const other = userEnv('wrong');
      const result = await cli(['login', admin.apiUrl, '-u', admin.username, '--password-stdin'], { input: 'not-the-password\n' }, other);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/unauthori[sz]ed|invalid|wrong/i);
      expect(existsSync(join(other['SILO_CONFIG_DIR']!, 'config.json'))).toBe(false);
    });

    it('logs in a second user dir with the shortest session (60 s): checked after it expires, at the end', async () => {
      const result = await cli(['login', admin.apiUrl, '-u', admin.username, '--password-stdin', '--ttl', '60'], { input: `${admin.password}\n` }, userEnv('short'));
      expect(result.code).toBe(0);
      shortSessionAt = Date.now();
    });

    it('silo context ls shows the current context; silo status works through it', async () => {
      const contexts = await cli(['context', 'ls']);
      expect(contexts.code).toBe(0);
      expect(contexts.stdout).toMatch(/local/);
      const status = json<{ healthy: boolean }>(await cli(['status', '-o', 'json']));
      expect(status.healthy).toBe(true);
    });
  });

  describe('nodes', () => {
    let nodeId: string;

    it('silo node ls lists the local node, ready and active', async () => {
      const nodes = rows<{ nodeId: string; state: string; availability: string }>(await cli(['node', 'ls', '-o', 'json']));
      expect(nodes).toHaveLength(1);
      expect(nodes[0]).toMatchObject({ state: 'ready', availability: 'active' });
      nodeId = nodes[0]!.nodeId;
      const table = await cli(['node', 'ls']);
      expect(table.stdout).toMatch(/^ID\s+HOSTNAME\s+STATE\s+AVAILABILITY/m);
      expect(table.stdout).toContain(nodeId);
    });

    it('silo node update adds a label and changes availability; inspect shows it; yaml output parses', async () => {
      expect((await cli(['node', 'update', nodeId, '--label-add', 'zone=e2e', '--availability', 'pause'])).code).toBe(0);
      const yaml = await cli(['node', 'inspect', nodeId, '-o', 'yaml']);
      expect(yaml.code).toBe(0);
      expect(yaml.stdout).toMatch(/zone: e2e/);
      expect(yaml.stdout).toMatch(/availability: pause/);
      expect((await cli(['node', 'update', nodeId, '--availability', 'active'])).code).toBe(0);
    });

    it('silo node join-token create prints the join command', async () => {
      const result = await cli(['node', 'join-token', 'create', '-o', 'json']);
      expect(json<{ joinCommand: string }>(result).joinCommand).toMatch(/^silo agent --join nats:\/\/.* --token SILO-JOIN-/);
    });
  });

  describe('images', () => {
    it('silo image push pushes an OCI layout with per-layer progress', async () => {
      const result = await cli(['image', 'push', layout, 'shop/web:v1']);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.code).toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/sha256:[0-9a-f]{12}/);
      expect(`${result.stdout}${result.stderr}`).toMatch(/shop\/web:v1/);
    });

    it('silo image ls and inspect show the repository, its tags and sizes', async () => {
      const repos = rows<{ name: string; tagCount: number; sizeBytes: number }>(await cli(['image', 'ls', '-o', 'json']));
      expect(repos.find((r) => r.name === 'shop/web')).toMatchObject({ tagCount: 2 });
      const detail = json<{ tags?: Array<{ tag: string; digest: string }>; repository?: { tags: Array<{ tag: string }> } }>(await cli(['image', 'inspect', 'shop/web', '-o', 'json']));
      const tags = (detail.tags ?? detail.repository!.tags).map((t) => t.tag).sort();
      expect(tags).toEqual(['v1', 'v2']);
    });
  });

  describe('a service from run to removal', () => {
    it('silo run creates a 3-replica service and follows it to 3/3 running (exit 0)', async () => {
      const result = await cli(['run', '--name', 'web', '--replicas', '3', '--memory', '64Mi', '--cpus', '0.1', '--env', 'GREETING=hi', image], { timeoutMs: 180_000 });
      expect(result.code).toBe(0);
      // progress goes to stderr (stdout stays clean for programs)
      expect(`${result.stdout}${result.stderr}`).toMatch(/3\/3 running/);
      const services = rows<ServiceRow>(await cli(['service', 'ls', '-o', 'json']));
      expect(services.find((s) => s.name === 'web')).toMatchObject({ desired: 3, running: 3 });
    }, 200_000);

    it('silo service ps lists its three running tasks on the node', async () => {
      const tasks = rows<{ taskId: string; state: string; slot: number }>(await cli(['service', 'ps', 'web', '-o', 'json']));
      expect(tasks.filter((t) => t.state === 'running')).toHaveLength(3);
      const table = await cli(['service', 'ps', 'web']);
      expect(table.stdout).toMatch(/running/);
    });

    it('silo service logs shows the replicas output', async () => {
      await waitFor(async () => /tick \d+/.test((await cli(['service', 'logs', 'web'])).stdout) || undefined, { timeoutMs: 20_000, intervalMs: 1000, description: 'tick lines' });
      const logs = await cli(['service', 'logs', 'web', '--tail', '5']);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toMatch(/started|tick/);
    });

    it('silo service logs -f follows new lines until Ctrl-C', async () => {
      const follow = new BackgroundCli(['service', 'logs', '-f', 'web', '--tail', '0'], env);
      await waitFor(() => /tick \d+/.test(follow.stdout) || undefined, { timeoutMs: 20_000, intervalMs: 300, description: 'a followed line' });
      const code = await follow.interrupt();
      expect([0, 130]).toContain(code);
    });

    it('silo exec runs a command in a task and passes its exit code through', async () => {
      const tasks = rows<{ taskId: string }>(await cli(['service', 'ps', 'web', '-o', 'json']));
      const result = await cli(['exec', tasks[0]!.taskId, '--', 'sh', '-c', 'echo "in $GREETING"; cat /etc/app-version; exit 3']);
      expect(result.code).toBe(3);
      expect(result.stdout).toContain('in hi');
      expect(result.stdout).toContain('v1');
    });

    it('silo exec -it gives a terminal inside the task (through script(1), a real pty) and passes the exit code', async () => {
      const command = `${process.execPath} ${SILO_BIN} exec -it web.1 -- sh`;
      const result = await runScript(command, env, ['echo hi-from-tty', 'tty', 'exit 5']);
      expect(result.stdout).toContain('hi-from-tty');
      expect(result.stdout).toMatch(/\/dev\/pts\/\d+/);
      expect(result.code).toBe(5);
    });

    it('silo service scale follows convergence down to 1', async () => {
      const result = await cli(['service', 'scale', 'web', '1'], { timeoutMs: 120_000 });
      expect(result.code).toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/1\/1 running/);
      const inspected = json<{ service?: ServiceRow } & ServiceRow>(await cli(['service', 'inspect', 'web', '-o', 'json']));
      expect(inspected.service ?? inspected).toMatchObject({ desired: 1, running: 1 });
    }, 130_000);

    it('silo service update --image rolls out v2; rollback returns to v1', async () => {
      const update = await cli(['service', 'update', 'web', '--image', imageV2], { timeoutMs: 150_000 });
      expect(update.code).toBe(0);
      const inspect = (r: CliResult) => {
        const parsed = json<{ service?: ServiceRow } & ServiceRow>(r);
        return parsed.service ?? parsed;
      };
      expect(inspect(await cli(['service', 'inspect', 'web', '-o', 'json'])).spec.image).toBe(imageV2);
      const tasks = rows<{ taskId: string }>(await cli(['service', 'ps', 'web', '-o', 'json']));
      const running = tasks.filter((t) => (t as { state?: string }).state === 'running');
      expect((await cli(['exec', running[0]!.taskId, '--', 'cat', '/etc/app-version'])).stdout).toContain('v2');
      const rollback = await cli(['service', 'rollback', 'web'], { timeoutMs: 150_000 });
      expect(rollback.code).toBe(0);
      expect(inspect(await cli(['service', 'inspect', 'web', '-o', 'json'])).spec.image).toBe(image);
    }, 320_000);

    it('--detach returns at once', async () => {
      const result = await cli(['service', 'scale', 'web', '2', '--detach']);
      expect(result.code).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/2\/2 running/);
    });

    it('an update to a tag that does not exist fails to converge: exit 2 with the reason', async () => {
      const result = await cli(['service', 'update', 'web', '--image', `${admin.registry}/shop/web:missing`, '--update-failure-action', 'rollback', '--timeout', '90s'], {
        timeoutMs: 150_000,
      });
      expect(result.code).toBe(2);
      expect(`${result.stdout}${result.stderr}`).toMatch(/roll|fail|missing|not found|unknown/i);
    }, 160_000);

    it('silo job run runs to completion and passes the exit code through', async () => {
      const ok = await cli(['job', 'run', '--name', 'once', image, '--', 'sh', '-c', 'echo job-done'], { timeoutMs: 120_000 });
      expect(ok.code).toBe(0);
      const jobs = rows<{ name: string }>(await cli(['job', 'ls', '-o', 'json']));
      expect(jobs.map((j) => j.name)).toContain('once');
      expect((await cli(['job', 'logs', 'once'])).stdout).toContain('job-done');
      const failing = await cli(['job', 'run', '--name', 'fails', image, '--', 'sh', '-c', 'exit 4'], { timeoutMs: 120_000 });
      expect(failing.code).toBe(4);
    }, 260_000);

    it('silo top --no-stream shows per-node and per-service usage', async () => {
      const top = json<{ nodes: unknown[]; services: Array<{ name: string }> }>(await cli(['top', '--no-stream', '-o', 'json']));
      expect(top.nodes).toHaveLength(1);
      expect(top.services.map((s) => s.name)).toContain('web');
    });

    it('silo events -f streams events as they happen', async () => {
      const events = new BackgroundCli(['events', '-f', '-o', 'json'], env);
      await new Promise((r) => setTimeout(r, 1000));
      await cli(['service', 'scale', 'web', '1', '--detach']);
      await waitFor(() => /"service"|"task"/.test(events.stdout) || undefined, { timeoutMs: 20_000, intervalMs: 300, description: `events (stderr: ${events.stderr})` });
      const first = JSON.parse(events.stdout.split('\n').find((l) => l.trim())!) as { type: string };
      expect(['service', 'task', 'node']).toContain(first.type);
      expect([0, 130]).toContain(await events.interrupt());
    });

    it('silo service rm removes it', async () => {
      expect((await cli(['service', 'rm', 'web'])).code).toBe(0);
      expect(rows<ServiceRow>(await cli(['service', 'ls', '-o', 'json'])).find((s) => s.name === 'web')).toBeUndefined();
    });
  });

  describe('access control', () => {
    let alice: Record<string, string>;
    let bob: Record<string, string>;
    let vera: Record<string, string>;
    const passwords: Record<string, string> = {};

    beforeAll(async () => {
      for (const team of ['a', 'b']) expect((await cli(['team', 'create', team])).code).toBe(0);
      for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['vera', 'viewer']] as const) {
        const created = json<{ secret: string }>(await cli(['user', 'create', name, '--role', role, '-o', 'json']));
        passwords[name] = created.secret;
      }
      expect((await cli(['team', 'member', 'a', 'alice', 'push'])).code).toBe(0);
      expect((await cli(['team', 'member', 'b', 'bob', 'push'])).code).toBe(0);
      alice = userEnv('alice');
      bob = userEnv('bob');
      vera = userEnv('vera');
      for (const [name, e] of [['alice', alice], ['bob', bob], ['vera', vera]] as const) {
        const login = await cli(['login', admin.apiUrl, '-u', name, '--password-stdin'], { input: `${passwords[name]}\n` }, e);
        expect(login.code).toBe(0);
      }
    }, 60_000);

    it('a member creates a service for their team; another team cannot touch it', async () => {
      const created = await cli(['service', 'create', '--name', 'a-web', '--replicas', '0', '--detach', image], undefined, alice);
      expect(created.code).toBe(0);
      const svc = json<{ service?: ServiceRow } & ServiceRow>(await cli(['service', 'inspect', 'a-web', '-o', 'json'], undefined, alice));
      expect((svc.service ?? svc).spec.team).toBe('a');
      const denied = await cli(['service', 'scale', 'a-web', '2', '--detach'], undefined, bob);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/denied|not allowed|permission/i);
      expect(rows<ServiceRow>(await cli(['service', 'ls', '-o', 'json'], undefined, bob)).map((s) => s.name)).not.toContain('a-web');
    });

    it('a member cannot push to another team\'s repository', async () => {
      const result = await cli(['image', 'push', layout, 'b/app:v1'], undefined, alice);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/denied|unauthori[sz]ed/i);
    });

    it('a viewer sees everything and changes nothing', async () => {
      expect(rows<ServiceRow>(await cli(['service', 'ls', '-o', 'json'], undefined, vera)).map((s) => s.name)).toContain('a-web');
      const scale = await cli(['service', 'scale', 'a-web', '1', '--detach'], undefined, vera);
      expect(scale.code).toBe(1);
      expect(scale.stderr).toMatch(/denied|not allowed|permission/i);
      const create = await cli(['service', 'create', '--name', 'v-web', '--detach', image], undefined, vera);
      expect(create.code).toBe(1);
    });

    it('a revoked robot token stops working at once', async () => {
      const token = json<{ name: string; secret: string }>(await cli(['token', 'create', 'ci', '--team', 'a', '--role', 'push', '-o', 'json']));
      const basic = `Basic ${Buffer.from(`${token.name}:${token.secret}`).toString('base64')}`;
      const before = await fetch(`${admin.apiUrl}/api/v1/services`, { headers: { authorization: basic } });
      expect(before.status).toBe(200);
      expect((await cli(['token', 'rm', token.name])).code).toBe(0);
      const after = await fetch(`${admin.apiUrl}/api/v1/services`, { headers: { authorization: basic } });
      expect(after.status).toBe(401);
    });

    it('silo user|team|token ls show the accounts, memberships and robots (never a secret)', async () => {
      const users = rows<{ name: string; role: string }>(await cli(['user', 'ls', '-o', 'json']));
      expect(users.map((u) => [u.name, u.role]).sort()).toEqual(expect.arrayContaining([['alice', 'member'], ['vera', 'viewer']]));
      const teams = rows<{ name: string; members: Array<{ account: string; role: string }> }>(await cli(['team', 'ls', '-o', 'json']));
      expect(teams.find((t) => t.name === 'a')!.members).toEqual([{ account: 'alice', role: 'push' }]);
      const table = await cli(['user', 'ls']);
      expect(table.stdout).toMatch(/alice/);
      expect(table.stdout).not.toContain(passwords['alice']!);
      // a member sees only their own team
      expect(rows<{ name: string }>(await cli(['team', 'ls', '-o', 'json'], undefined, alice)).map((t) => t.name)).toEqual(['a']);
    });

    it('silo logout ends the session: the next command fails', async () => {
      const logout = await cli(['logout'], undefined, vera);
      expect(logout.code).toBe(0);
      expect((await cli(['service', 'ls'], undefined, vera)).code).toBe(1);
    });

    it('a deleted user is logged out at once: the CLI says to log in again', async () => {
      expect((await cli(['user', 'rm', 'bob'])).code).toBe(0);
      const result = await cli(['service', 'ls'], undefined, bob);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/silo login/);
    });
  });

  describe('bad input', () => {
    it('an unknown command gets a suggestion and exit 1', async () => {
      const result = await cli(['servce', 'ls']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/did you mean.*service/i);
    });

    it('an unknown flag gets a suggestion and exit 1', async () => {
      const result = await cli(['service', 'create', '--replica', '3', '--name', 'x', image]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/unknown option.*--replica/i);
      expect(result.stderr).toMatch(/--replicas/);
    });

    it('a malformed API request gets 400 with every problem', async () => {
      const login = JSON.parse(readFileSync(join(env['SILO_CONFIG_DIR']!, 'config.json'), 'utf8')) as { contexts: Record<string, { token: string }> };
      const res = await fetch(`${admin.apiUrl}/api/v1/services`, {
        method: 'POST',
        headers: { authorization: `Bearer ${login.contexts['local']!.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Bad_Name', image: '', replicas: -1 }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: unknown[] };
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.details.length).toBeGreaterThanOrEqual(3);
    });

    it('silo completion bash|zsh prints completion scripts', async () => {
      const bash = await cli(['completion', 'bash']);
      expect(bash.code).toBe(0);
      expect(bash.stdout).toMatch(/^complete .*-F _silo\w* silo$/m);
      expect(bash.stdout).toMatch(/service/);
      const zsh = await cli(['completion', 'zsh']);
      expect(zsh.code).toBe(0);
      expect(zsh.stdout).toMatch(/#compdef silo/);
    });
  });

  describe('an expired session', () => {
    it('gets 401 SESSION_EXPIRED from the api, and the CLI says to log in again (exit 1)', async () => {
      const wait = shortSessionAt + 61_000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const result = await cli(['service', 'ls'], undefined, userEnv('short'));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/expired/);
      expect(result.stderr).toMatch(/silo login/);
    }, 90_000);
  });

  describe('maintenance', () => {
    it('silo image rm deletes a tag; silo registry gc --dry-run reports', async () => {
      expect((await cli(['image', 'rm', 'shop/web:v2'])).code).toBe(0);
      const detail = await cli(['image', 'inspect', 'shop/web', '-o', 'json']);
      expect(detail.stdout).not.toContain('"v2"');
      const gc = await cli(['registry', 'gc', '--dry-run', '-o', 'json']);
      expect(gc.code).toBe(0);
    });
  });
});

import { NodeListReply, NodeRegisterReply, Subjects } from '@silo/contracts';
import { freePort, makeTempDir, natsRequest, NatsServerHandle, startNatsServer, stopProcess, TempDir, track, waitFor } from '@silo/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { ROOT, silo, SILO_BIN } from './platform';

const dist = (app: string) => join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
const NODE_ID = `join-e2e-${process.pid % 100_000}`;

interface Running {
  child: ChildProcess;
  output: string;
}

function run(command: string, args: string[], env: Record<string, string | undefined>): Running {
  const entry: Running = { child: track(spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })), output: '' };
  entry.child.stdout?.on('data', (d: Buffer) => (entry.output += d.toString()));
  entry.child.stderr?.on('data', (d: Buffer) => (entry.output += d.toString()));
  return entry;
}

/** Join tokens end to end: CLI → api → NATS → scheduler, and `silo agent --join` registering a real agent. */
describe('joining hosts with tokens (real nats-server, scheduler, registry, api, agent, CLI)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let work: TempDir;
  let nc: NatsConnection;
  const services: Running[] = [];
  let agent: Running | undefined;
  let cliEnv: Record<string, string>;
  let apiPort: number;

  beforeAll(async () => {
    for (const app of ['scheduler', 'registry', 'api', 'node-agent', 'cli']) if (!existsSync(dist(app))) throw new Error(`${dist(app)} is missing: run the build first`);
    nats = await startNatsServer({ jetstream: true });
    home = await makeTempDir('silo-e2e-join-');
    work = await makeTempDir('silo-e2e-join-host-');
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SILO_')));
    const env = { ...base, SILO_HOME: home.path, SILO_NATS_URL: nats.url, SILO_LOG_LEVEL: 'info', SILO_BIND_HOST: '127.0.0.1' };
    apiPort = await freePort();
    services.push(run(process.execPath, [dist('scheduler')], { ...env, SILO_METRICS_PORT: String(await freePort()) }));
    // the registry keeps the accounts: the api asks it who every request comes from
    services.push(run(process.execPath, [dist('registry')], { ...env, SILO_REGISTRY_PORT: String(await freePort()), SILO_METRICS_PORT: String(await freePort()) }));
    services.push(run(process.execPath, [dist('api')], { ...env, SILO_API_PORT: String(apiPort), SILO_METRICS_PORT: String(await freePort()) }));
    cliEnv = { ...base, SILO_HOME: home.path, NO_COLOR: '1' } as Record<string, string>;
    nc = await connect({ servers: nats.url });
    await waitFor(() => existsSync(join(home.path, 'admin-credentials.json')) && silo(['node', 'join-token', 'ls', '-o', 'json'], cliEnv).code === 0, {
      timeoutMs: 60_000,
      intervalMs: 300,
      description: `the api and scheduler answering (output:\n${services.map((s) => s.output.slice(-1500)).join('\n')})`,
    });
  }, 120_000);

  afterAll(async () => {
    if (agent) await stopProcess(agent.child, 20_000, 'SIGTERM');
    for (const s of services) await stopProcess(s.child, 20_000, 'SIGTERM');
    await nc?.close();
    await nats?.stop();
    await home?.cleanup();
    await work?.cleanup();
  });

  let created: { token: string; joinCommand: string; joinToken: { id: string } };

  it('creates a token shown once with the command that joins a host; ls never shows a secret', () => {
    const result = silo(['node', 'join-token', 'create', '--description', 'e2e host', '--ttl', '2h', '-o', 'json'], cliEnv);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    created = JSON.parse(result.stdout) as typeof created;
    expect(created.token).toMatch(/^SILO-JOIN-[a-f0-9]{12}-[a-f0-9]{40}$/);
    expect(created.joinCommand).toBe(`silo agent --join ${nats.url} --token ${created.token}`);
    const table = silo(['node', 'join-token', 'create'], cliEnv);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/This is the only time its secret is shown:\n\n {2}SILO-JOIN-/);
    expect(table.stdout).toContain(`silo agent --join ${nats.url} --token SILO-JOIN-`);
    const ls = silo(['node', 'join-token', 'ls'], cliEnv);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+STATE\s+KIND\s+DESCRIPTION\s+CREATED\s+EXPIRES\s+NODES/);
    expect(ls.stdout).toMatch(new RegExp(`${created.joinToken.id}\\s+valid\\s+admin\\s+e2e host`));
    expect(ls.stdout).toMatch(/valid\s+local\s+local agent/);
    expect(ls.stdout).not.toContain(created.token.slice(-40));
  });

  it('needs the admin credentials for the REST routes', async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/nodes/join-tokens`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses silo agent with a malformed token, before starting anything', () => {
    const result = silo(['agent', '--join', nats.url, '--token', 'hunter2'], cliEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--token is not a join token');
  });

  it('silo agent --join … --token … runs an agent that registers with its labels; the token lists the node', async () => {
    const runtime = join(work.path, 'fake-runtime');
    writeFileSync(runtime, '#!/bin/sh\necho "silo-runtime version 9.9.9"\n');
    chmodSync(runtime, 0o755);
    const suffix = process.pid % 10_000;
    agent = run(process.execPath, [SILO_BIN, 'agent', '--join', nats.url, '--token', created.token, '--home', join(work.path, 'agent-home'), '--labels', 'zone=e2e'], {
      ...cliEnv,
      SILO_HOME: undefined,
      SILO_NODE_ID: NODE_ID,
      SILO_RUNTIME_PATH: runtime,
      SILO_BRIDGE_NAME: `siloj${suffix}`,
      SILO_NODE_SUBNET: '10.251.0.0/24',
      SILO_NETWORK_CHAIN_PREFIX: `SILOJ${suffix}`,
      SILO_RUN_DIR: join(work.path, 'run'),
      SILO_METRICS_PORT: String(await freePort()),
    });
    await waitFor(
      async () => {
        if (agent!.child.exitCode !== null) throw new Error(`silo agent exited with ${agent!.child.exitCode}:\n${agent!.output.slice(-3000)}`);
        const { nodes } = await natsRequest(nc, Subjects.nodeList, {}, NodeListReply, 2000);
        return nodes.find((n) => n.nodeId === NODE_ID);
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'the agent registered' },
    );
    const { nodes } = await natsRequest(nc, Subjects.nodeList, {}, NodeListReply);
    expect(nodes.find((n) => n.nodeId === NODE_ID)?.labels).toEqual({ zone: 'e2e' });
    expect(existsSync(join(work.path, 'agent-home'))).toBe(true);
    const ls = JSON.parse(silo(['node', 'join-token', 'ls', '-o', 'json'], cliEnv).stdout) as { tokens: Array<{ id: string; nodeIds: string[] }> };
    expect(ls.tokens.find((t) => t.id === created.joinToken.id)?.nodeIds).toEqual([NODE_ID]);
  });

  it('revokes: the CLI names the node that joined with it; registrations with the token are refused', async () => {
    const result = silo(['node', 'join-token', 'revoke', created.joinToken.id], cliEnv);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Revoked join token ${created.joinToken.id}. Nodes that joined with it (refused at their next registration): ${NODE_ID}.`);
    const facts = { nodeId: NODE_ID, hostname: 'h', agentVersion: '0', platform: { os: 'linux', arch: 'amd64' }, kernel: '6', cgroupMode: 'v2', capacity: { cpuMillis: 1000, memoryBytes: 1e9 }, labels: {} };
    await expect(natsRequest(nc, Subjects.nodeRegister, { ...facts, joinToken: created.token }, NodeRegisterReply)).rejects.toThrow(/UNAUTHORIZED: join token .* was revoked/);
    await expect(natsRequest(nc, Subjects.nodeRegister, facts, NodeRegisterReply)).rejects.toThrow(/UNAUTHORIZED: node .* has no join token/);
    const again = silo(['node', 'join-token', 'revoke', created.joinToken.id, '-o', 'json'], cliEnv);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, joinToken: { state: 'revoked' } });
    const missing = silo(['node', 'join-token', 'revoke', 'ffffffffffff'], cliEnv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('silo agent forwards SIGTERM to the agent and exits with its code', async () => {
    const code = await stopProcess(agent!.child, 20_000, 'SIGTERM');
    agent = undefined;
    expect(code).toBe(0);
  });
});

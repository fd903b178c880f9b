import { makeTempDir, TempDir } from '@silo/testing';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAgentConfig } from '../config/node-agent.config';
import { ContainerRuntime, ExecProcess } from './container-runtime';

/**
 * spawnExec against a stand-in for silo-runtime (a shell script): the command line it gets, the
 * control-fd lines it reads (INTERFACE.md), its streams and exit codes.
 */
describe('ContainerRuntime.spawnExec', () => {
  let dir: TempDir;
  let runtime: ContainerRuntime;

  beforeAll(async () => {
    dir = await makeTempDir('silo-runtime-spawn-');
    const script = join(dir.path, 'silo-runtime');
    // Records its arguments and each control line; MODE (from --env) picks what it does.
    writeFileSync(
      script,
      `#!/bin/sh
printf '%s\\n' "$@" > "${dir.path}/args"
mode=
for a in "$@"; do case $a in MODE=*) mode=\${a#MODE=};; esac; done
case $mode in
  streams) echo out; echo err >&2; cat; exit 4;;
  fail) echo "silo-runtime: exec: no such thing" >&2; exit 1;;
  control) while read -r line <&3; do echo "$line" >> "${dir.path}/control"; [ "$line" = "signal KILL" ] && exit 137; done; exit 137;;
esac
`,
    );
    chmodSync(script, 0o755);
    runtime = new ContainerRuntime({ runtimeBinary: script, agentHome: dir.path } as NodeAgentConfig);
  });

  afterAll(async () => {
    await dir?.cleanup();
  });

  const collect = (p: ExecProcess) => {
    const out = { stdout: '', stderr: '' };
    p.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    return out;
  };

  it('passes the options on the runtime command line, with the control fd', async () => {
    const p = runtime.spawnExec('task-1', ['sh', '-c', 'x'], { tty: true, cols: 100, rows: 30, env: { MODE: 'none' }, user: '1000:1000', cwd: '/tmp' });
    expect(await p.exited).toEqual({ exitCode: 0 });
    expect(readFileSync(join(dir.path, 'args'), 'utf8').trim().split('\n')).toEqual([
      '--root', join(dir.path, 'runtime'), 'exec', '--control-fd', '3', '--tty', '--cols', '100', '--rows', '30',
      '--env', 'MODE=none', '--user', '1000:1000', '--cwd', '/tmp', 'task-1', 'sh', '-c', 'x',
    ]);
  });

  it('without a tty: stdout and stderr apart, stdin passed, the exit code', async () => {
    const p = runtime.spawnExec('task-1', ['x'], { tty: false, env: { MODE: 'streams' } });
    const out = collect(p);
    p.write(Buffer.from('typed\n'));
    p.endInput();
    expect(await p.exited).toEqual({ exitCode: 4 });
    expect(out).toEqual({ stdout: 'out\ntyped\n', stderr: 'err\n' });
  });

  it('with a tty the runtime stderr is not a stream: it only explains a failure', async () => {
    const p = runtime.spawnExec('task-1', ['x'], { tty: true, env: { MODE: 'fail' } });
    const out = collect(p);
    expect(await p.exited).toEqual({ exitCode: -1, error: 'exec: no such thing' });
    expect(out.stderr).toBe('');
  });

  it('resize and signal become control lines; kill sends KILL and ends the control fd', async () => {
    const p = runtime.spawnExec('task-1', ['x'], { tty: true, env: { MODE: 'control' } });
    p.resize(120, 40);
    p.signal('SIGINT');
    expect(() => p.signal('INT; rm -rf /')).toThrow(/not a signal/);
    p.kill();
    expect(await p.exited).toEqual({ exitCode: 137 });
    expect(readFileSync(join(dir.path, 'control'), 'utf8')).toBe('resize 120 40\nsignal SIGINT\nsignal KILL\n');
  });
});

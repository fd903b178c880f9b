import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, SpawnCommandRunner, SysfsHostNetworkProbe } from './command-runner';

describe('SpawnCommandRunner', () => {
  const runner = new SpawnCommandRunner();

  it('feeds stdin and returns stdout', async () => {
    await expect(runner.run('cat', [], 'link set lo up\n')).resolves.toEqual({ stdout: 'link set lo up\n', stderr: '' });
  });

  it('rejects with the command, exit code and stderr', async () => {
    const error = await runner.run('sh', ['-c', 'echo "Cannot find device" >&2; exit 2']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).exitCode).toBe(2);
    expect((error as CommandError).message).toBe('sh -c echo "Cannot find device" >&2; exit 2 failed (exit 2): Cannot find device');
  });

  it('rejects clearly when the command does not exist', async () => {
    await expect(runner.run('no-such-command-silo', [])).rejects.toThrow(/no-such-command-silo failed \(killed\): spawn no-such-command-silo ENOENT/);
  });

  it('finds commands in sbin even when PATH lacks it', async () => {
    await expect(runner.run('sh', ['-c', 'echo $PATH'])).resolves.toMatchObject({ stdout: expect.stringContaining('/usr/sbin') });
  });
});

describe('SysfsHostNetworkProbe', () => {
  const probe = new SysfsHostNetworkProbe();

  it('sees the loopback interface and not a made-up one', () => {
    expect(probe.linkExists('lo')).toBe(true);
    expect(probe.linkExists('silo-no-such')).toBe(false);
    expect(probe.bridgePorts('silo-no-such')).toEqual([]);
  });

  it('reads sysctls, undefined for unknown ones', () => {
    expect(['0', '1']).toContain(probe.readSysctl('net.ipv4.ip_forward'));
    expect(probe.readSysctl('net.ipv4.no_such_thing')).toBeUndefined();
  });

  it('checks paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'silo-probe-'));
    expect(probe.pathExists(dir)).toBe(true);
    rmSync(dir, { recursive: true });
    expect(probe.pathExists(dir)).toBe(false);
  });
});

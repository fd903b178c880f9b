import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandResult, CommandRunner, SpawnCommandRunner } from './command-runner';
import { NetworkManager } from './network-manager';

/**
 * Bridge setup/teardown timings with a per-command breakdown, on the real kernel (root):
 * `SILO_NETWORK_BENCH=1 npx jest -c apps/node-agent/jest.config.js apps/node-agent/src/network/network.bench`
 * (SILO_NETWORK_BENCH=legacy for the legacy iptables backend). Skipped otherwise.
 */
const wanted = process.env['SILO_NETWORK_BENCH'];
const describeBench = wanted && process.getuid?.() === 0 ? describe : describe.skip;

class TimingRunner implements CommandRunner {
  private readonly inner = new SpawnCommandRunner();
  readonly times = new Map<string, number[]>();

  async run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const started = performance.now();
    try {
      return await this.inner.run(command, args, input);
    } finally {
      const what = `${command} ${args.filter((a) => !a.startsWith('silo-')).join(' ')} [${(input ?? '').split('\n')[0]!.split(' ').slice(0, 2).join(' ')}]`;
      this.times.set(what, [...(this.times.get(what) ?? []), performance.now() - started]);
    }
  }
}

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const row = (name: string, values: number[]) => `${name.padEnd(64)} n=${String(values.length).padStart(3)}  p50 ${pct(values, 0.5).toFixed(1).padStart(5)} ms  p90 ${pct(values, 0.9).toFixed(1).padStart(5)} ms`;

describeBench('bridge networking timings', () => {
  it('setup and teardown, with and without a published port', async () => {
    const tag = randomBytes(3).toString('hex');
    const stateDir = mkdtempSync(join(tmpdir(), 'silo-net-bench-'));
    const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const runner = new TimingRunner();
    const manager = new NetworkManager(
      { bridge: `silob${tag}`, subnet: `10.${randomInt(200, 240)}.${randomInt(0, 255)}.0/24`, stateDir, chainPrefix: `SILOB${tag}`, iptables: wanted === 'legacy' ? 'legacy' : 'nft' },
      runner,
    );
    const times = { setup: [] as number[], setupPort: [] as number[], teardown: [] as number[], teardownPort: [] as number[] };
    try {
      await manager.init();
      for (let i = 0; i < 100; i++) {
        const ports = i % 2 ? [{ hostPort: 31000 + i, containerPort: 80, protocol: 'tcp' as const }] : [];
        let started = performance.now();
        await manager.setup(`b${tag}-${i}`, 'bridge', ports);
        (ports.length ? times.setupPort : times.setup).push(performance.now() - started);
        started = performance.now();
        await manager.teardown(`b${tag}-${i}`);
        (ports.length ? times.teardownPort : times.teardown).push(performance.now() - started);
      }
    } finally {
      await manager.uninstall();
      writeFileSync('/proc/sys/net/ipv4/ip_forward', `${ipForward}\n`);
      rmSync(stateDir, { recursive: true, force: true });
    }
    const lines = [
      row('setup, no published port', times.setup),
      row('setup, one published port', times.setupPort),
      row('teardown, no published port', times.teardown),
      row('teardown, one published port', times.teardownPort),
      ...[...runner.times].filter(([, v]) => v.length > 5).map(([name, v]) => row(`  ${name}`, v)),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }, 120_000);
});

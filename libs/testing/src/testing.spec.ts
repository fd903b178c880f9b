import { connect } from 'node:net';
import { freePort } from './free-port';
import { startNatsServer } from './nats-server';
import { makeTempDir } from './temp-dir';
import { waitFor } from './wait-for';
import { existsSync } from 'node:fs';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('test harness', () => {
  it('starts a real nats-server on a free port, kills it, brings it back and stops it', async () => {
    const nats = await startNatsServer({ jetstream: true });
    try {
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      expect(await reachable(nats.port)).toBe(true);
      await nats.kill();
      expect(await reachable(nats.port)).toBe(false);
      await nats.start();
      expect(await reachable(nats.port)).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(await reachable(nats.port)).toBe(false);
  });

  it('hands out distinct free ports and removable temp dirs', async () => {
    const a = await freePort();
    const b = await freePort();
    expect(a).toBeGreaterThan(0);
    expect(await reachable(a)).toBe(false);
    expect(b).toBeGreaterThan(0);
    const dir = await makeTempDir();
    expect(existsSync(dir.path)).toBe(true);
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('waitFor returns the first truthy value, and times out naming what it waited for', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 30, intervalMs: 5, description: 'the moon' })).rejects.toThrow(/waiting for the moon/);
  });
});

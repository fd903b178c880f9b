import { Clock } from '../clock/clock';
import { ServiceIdentity } from '../service-identity';
import { HealthIndicator } from './health-indicator';
import { CHECK_TIMEOUT_MS, HealthService } from './health.service';

class FixedClock extends Clock {
  override now() {
    return new Date('2026-01-01T00:01:30Z');
  }
}

const identity = new ServiceIdentity('scheduler', '1.2.3', 'host:1', new Date('2026-01-01T00:00:00Z'));
const ok = (name: string, message?: string): HealthIndicator => ({ name, check: async () => message });
const broken = (name: string): HealthIndicator => ({
  name,
  check: async () => {
    throw new Error(`${name} is down`);
  },
});

describe('HealthService', () => {
  it('passes when every check passes and reports uptime', async () => {
    const report = await new HealthService(identity, new FixedClock(), [ok('a', 'fine'), ok('b')]).report();
    expect(report).toMatchObject({ service: 'scheduler', version: '1.2.3', instance: 'host:1', uptimeSeconds: 90, status: 'pass' });
    expect(report.checks).toEqual([
      expect.objectContaining({ name: 'a', status: 'pass', message: 'fine' }),
      expect.objectContaining({ name: 'b', status: 'pass' }),
    ]);
  });

  it('fails when one check fails, with its reason', async () => {
    const report = await new HealthService(identity, new FixedClock(), [ok('a'), broken('db')]).report();
    expect(report.status).toBe('fail');
    expect(report.checks[1]).toMatchObject({ name: 'db', status: 'fail', message: 'db is down' });
  });

  it('fails a check that hangs, after its time limit', async () => {
    jest.useFakeTimers();
    try {
      const hang: HealthIndicator = { name: 'hang', check: () => new Promise(() => undefined) };
      const pending = new HealthService(identity, new FixedClock(), [hang]).report();
      await jest.advanceTimersByTimeAsync(CHECK_TIMEOUT_MS + 1);
      const report = await pending;
      expect(report.checks[0]).toMatchObject({ status: 'fail', message: `no answer within ${CHECK_TIMEOUT_MS} ms` });
    } finally {
      jest.useRealTimers();
    }
  });
});

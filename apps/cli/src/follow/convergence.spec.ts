import type { ServiceTask, ServiceView } from '@silo/contracts';
import { CrashLoopDetector, judge, Snapshot } from './convergence';

const service = (over: Partial<ServiceView> = {}): ServiceView =>
  ({
    id: 's1',
    name: 'web',
    mode: 'replicated',
    version: 2,
    spec: { name: 'web', image: 'x' },
    desired: 2,
    running: 0,
    rollout: 'completed',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...over,
  }) as ServiceView;

let n = 0;
const task = (over: Partial<ServiceTask>): ServiceTask =>
  ({ taskId: `web.${over.slot ?? 1}.${n++}`, slot: 1, version: 2, desiredState: 'running', state: 'running', updatedAt: '2026-01-01T00:00:00Z', ...over }) as ServiceTask;

describe('judge', () => {
  it('converged when every wanted task of the current version runs', () => {
    const snap: Snapshot = { service: service({ running: 2 }), tasks: [task({ slot: 1 }), task({ slot: 2 })] };
    expect(judge(snap)?.outcome).toBe('converged');
  });

  it('not yet while an old version still runs, or fewer run than desired', () => {
    expect(judge({ service: service({ running: 2 }), tasks: [task({ slot: 1 }), task({ slot: 2, version: 1 })] })).toBeUndefined();
    expect(judge({ service: service({ running: 1 }), tasks: [task({ slot: 1 }), task({ slot: 2, state: 'pulling' })] })).toBeUndefined();
  });

  it('failed with the rollout message when the rollout paused or rolled back', () => {
    const verdict = judge({ service: service({ rollout: 'rolled-back', rolloutMessage: 'task web.1 failed' }), tasks: [] });
    expect(verdict).toMatchObject({ outcome: 'failed', reason: 'rollout rolled-back: task web.1 failed' });
  });
});

describe('CrashLoopDetector', () => {
  it('gives up when each replica failed three times and none runs, with the last reason', () => {
    const detector = new CrashLoopDetector(3);
    const svc = service();
    const failures: ServiceTask[] = [];
    for (let round = 0; round < 3; round++) {
      failures.push(task({ slot: 1, state: 'failed', reason: 'manifest v1 not found' }), task({ slot: 2, state: 'failed', reason: 'manifest v1 not found' }));
      const verdict = detector.observe({ service: svc, tasks: failures.slice(-2) });
      if (round < 2) expect(verdict).toBeUndefined();
      else expect(verdict).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('manifest v1 not found') });
    }
  });

  it('keeps following while any task of the current version runs, and ignores old versions and jobs', () => {
    const detector = new CrashLoopDetector(1);
    const failing = [task({ slot: 1, state: 'failed' }), task({ slot: 2, state: 'failed' })];
    expect(detector.observe({ service: service(), tasks: [...failing, task({ slot: 2 })] })).toBeUndefined();
    expect(new CrashLoopDetector(1).observe({ service: service(), tasks: failing.map((t) => ({ ...t, version: 1 })) })).toBeUndefined();
    expect(new CrashLoopDetector(1).observe({ service: service({ mode: 'job' }), tasks: failing })).toBeUndefined();
    expect(new CrashLoopDetector(1).observe({ service: service(), tasks: failing })?.outcome).toBe('failed');
  });
});

describe('judge by goal', () => {
  const settled = (rollout: ServiceView['rollout']): Snapshot => ({ service: service({ rollout, running: 2 }), tasks: [task({ slot: 1 }), task({ slot: 2 })] });

  it('a rollback succeeds when it has rolled back; an update fails there', () => {
    expect(judge(settled('rolled-back'), 'rollback')?.outcome).toBe('converged');
    expect(judge(settled('rolled-back'), 'rollout')?.outcome).toBe('failed');
  });

  it('a scale of a service rolled back earlier converges; a paused rollout fails every goal', () => {
    expect(judge(settled('rolled-back'), 'scale')?.outcome).toBe('converged');
    for (const goal of ['rollout', 'rollback', 'scale'] as const) expect(judge(settled('paused'), goal)?.outcome).toBe('failed');
  });
});

describe('judge: scale down and failed jobs', () => {
  it('a scale down is not done while the extra replicas still run', () => {
    const tasks = [task({ slot: 1 }), task({ slot: 2 }), task({ slot: 3 })];
    expect(judge({ service: service({ desired: 1, running: 3 }), tasks }, 'scale')).toBeUndefined();
    const stopping = [tasks[0]!, { ...tasks[1]!, desiredState: 'shutdown' as const }, { ...tasks[2]!, desiredState: 'shutdown' as const }];
    expect(judge({ service: service({ desired: 1, running: 3 }), tasks: stopping }, 'scale')).toBeUndefined();
    const after = [tasks[0]!, { ...tasks[1]!, desiredState: 'shutdown' as const, state: 'removed' }];
    expect(judge({ service: service({ desired: 1, running: 1 }), tasks: after }, 'scale')?.outcome).toBe('converged');
  });

  it('a job that gave up exits with its last failed run\'s code, even when that run is gone from the list', () => {
    const verdict = judge({ service: service({ mode: 'job', rollout: 'paused', rolloutMessage: '3 failed runs: giving up', lastExitCode: 4 }), tasks: [] });
    expect(verdict).toMatchObject({ outcome: 'failed', exitCode: 4, reason: '3 failed runs: giving up' });
  });
});

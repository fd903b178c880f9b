import { openDataSource } from '@silo/persistence';
import { makeTempDir, TempDir } from '@silo/testing';
import { DataSource } from 'typeorm';
import { JoinTokenEntity } from '../join-tokens/join-token.entity';
import { SCHEDULER_MIGRATIONS } from '../migrations';
import { NodeEntity } from '../nodes/node.entity';
import { WriteQueue } from '../nodes/write-queue';
import { JOB_FAILURES, ServiceModel } from './model';
import { ServiceEntity, ServiceVersionEntity, TaskEntity } from './orchestrator.entities';
import { TypeOrmSchedulerStore } from './scheduler.store';

describe('TypeOrmSchedulerStore (real SQLite file, every migration)', () => {
  let dir: TempDir;
  let db: DataSource;
  const open = () =>
    openDataSource({
      service: 'scheduler',
      home: dir.path,
      entities: [NodeEntity, ServiceEntity, ServiceVersionEntity, TaskEntity, JoinTokenEntity],
      migrations: SCHEDULER_MIGRATIONS,
    });

  beforeEach(async () => {
    dir = await makeTempDir('silo-scheduler-store-');
    db = await open();
  });
  afterEach(async () => {
    if (db.isInitialized) await db.destroy();
    await dir.cleanup();
  });

  const job = (): ServiceModel => ({
    id: 'svc-1',
    name: 'flaky',
    mode: 'job',
    version: 1,
    specs: new Map([[1, { name: 'flaky', image: 'busybox', replicas: 1 } as never]]),
    rollout: 'paused',
    rolloutMessage: '3 failed runs: giving up',
    createdMs: 1000,
    updatedMs: 2000,
    failures: new Map([
      [JOB_FAILURES, { count: 3, retryAtMs: 5000 }],
      ['1', { count: 2, retryAtMs: 9000 }], // a replica's backoff: not kept
    ]),
    lastExitCode: 4,
  });

  it("keeps a job's failed-run count and last exit code across a restart", async () => {
    await new TypeOrmSchedulerStore(db, new WriteQueue()).saveService(job());
    await db.destroy();
    db = await open();
    const [loaded] = (await new TypeOrmSchedulerStore(db, new WriteQueue()).load()).services;
    expect(loaded).toMatchObject({ name: 'flaky', rollout: 'paused', rolloutMessage: '3 failed runs: giving up', lastExitCode: 4 });
    expect([...loaded!.failures]).toEqual([[JOB_FAILURES, { count: 3, retryAtMs: 0 }]]);
  });

  it('a service without failures loads with none and no exit code', async () => {
    const store = new TypeOrmSchedulerStore(db, new WriteQueue());
    await store.saveService({ ...job(), mode: 'replicated', failures: new Map(), lastExitCode: undefined });
    const [loaded] = (await store.load()).services;
    expect(loaded!.failures.size).toBe(0);
    expect(loaded).not.toHaveProperty('lastExitCode');
  });
});

import { WriteQueue } from './write-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteQueue', () => {
  it('runs one write at a time, in order within a lane', async () => {
    const queue = new WriteQueue();
    const log: string[] = [];
    let active = 0;
    const write = (name: string) => async () => {
      active += 1;
      expect(active).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      active -= 1;
      return name;
    };
    await expect(Promise.all([queue.run(write('a')), queue.run(write('b'))])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('lets a command pass background writes that have not started; a failure rejects only its own caller', async () => {
    const queue = new WriteQueue();
    const log: string[] = [];
    const write = (name: string, fail = false) => async () => {
      await tick();
      log.push(name);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    const first = queue.run(write('batch-1', true), 'background');
    const second = queue.run(write('batch-2'), 'background');
    const command = queue.run(write('create'));
    await expect(first).rejects.toThrow('batch-1 failed');
    await expect(Promise.all([second, command])).resolves.toEqual(['batch-2', 'create']);
    expect(log).toEqual(['batch-1', 'create', 'batch-2']);
  });
});

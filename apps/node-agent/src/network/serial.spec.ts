import { Coalescer, KeyedSerialQueue, SerialQueue } from './serial';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SerialQueue', () => {
  it('runs tasks one at a time and goes on after a failure', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run(task('a')), queue.run(task('b', true)), queue.run(task('c'))]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('KeyedSerialQueue', () => {
  it('serializes one key, runs different keys in parallel, and forgets idle keys', async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
    };
    await Promise.all([queue.run('x', task('x1')), queue.run('y', task('y1')), queue.run('x', task('x2'))]);
    expect(log.slice(0, 2)).toEqual(['x1+', 'y1+']);
    expect(log.indexOf('x2+')).toBeGreaterThan(log.indexOf('x1-'));
    await tick();
    expect(queue.size).toBe(0);
  });
});

describe('Coalescer', () => {
  it('serves requests made during a run with one more run, shared by all of them', async () => {
    let runs = 0;
    const coalescer = new Coalescer(async () => {
      runs++;
      await tick();
    });
    const first = coalescer.request();
    await tick(1);
    await Promise.all([first, coalescer.request(), coalescer.request(), coalescer.request()]);
    expect(runs).toBe(2);
  });

  it('gives a failure to the requests its run served, and later requests run again', async () => {
    let runs = 0;
    const coalescer = new Coalescer(async () => {
      runs++;
      await tick();
      if (runs === 1) throw new Error('boom');
    });
    await expect(coalescer.request()).rejects.toThrow('boom');
    await expect(coalescer.request()).resolves.toBeUndefined();
    expect(runs).toBe(2);
  });
});

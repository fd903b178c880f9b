import { mergePatch } from './merge-patch';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, replaces arrays and scalars, removes nulls', () => {
    const target = { name: 'web', env: { A: '1', B: '2' }, args: ['a', 'b'], replicas: 2, resources: { cpuLimitMillis: 500 } };
    expect(mergePatch(target, { env: { B: null, C: '3' }, args: ['c'], replicas: 3, resources: null })).toEqual({
      name: 'web',
      env: { A: '1', C: '3' },
      args: ['c'],
      replicas: 3,
    });
    expect(target.env).toEqual({ A: '1', B: '2' });
  });
});

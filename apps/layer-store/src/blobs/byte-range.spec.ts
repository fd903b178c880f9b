import { resolveRange } from './byte-range';

describe('resolveRange', () => {
  it.each([
    [undefined, 1000, { kind: 'full' }],
    ['bytes=0-0', 1000, { kind: 'partial', range: { start: 0, end: 0 } }],
    ['bytes=0-999', 1000, { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=10-19', 1000, { kind: 'partial', range: { start: 10, end: 19 } }],
    ['bytes=990-5000', 1000, { kind: 'partial', range: { start: 990, end: 999 } }],
    ['bytes=999-', 1000, { kind: 'partial', range: { start: 999, end: 999 } }],
    ['bytes=0-', 1000, { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=-1', 1000, { kind: 'partial', range: { start: 999, end: 999 } }],
    ['bytes=-5000', 1000, { kind: 'partial', range: { start: 0, end: 999 } }],
    [' Bytes = 5-6 ', 1000, { kind: 'partial', range: { start: 5, end: 6 } }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=1000-1001', 1000, { kind: 'unsatisfiable' }],
    ['bytes=5-4', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=a-b', 1000, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=-1', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', 1000, { kind: 'full' }],
    ['items=0-1', 1000, { kind: 'full' }],
    ['bytes=99999999999999999999-', 1000, { kind: 'unsatisfiable' }],
  ])('%s of %d bytes → %j', (header, size, expected) => {
    expect(resolveRange(header, size)).toEqual(expected);
  });
});

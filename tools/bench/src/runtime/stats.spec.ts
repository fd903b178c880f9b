import { atMost, fmt, kibField, latency, median, num, percentile } from './stats';

describe('runtime bench: stats', () => {
  it('percentiles by nearest rank, medians, summaries', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1…100, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(latency([3, 1, 2])).toEqual({ n: 3, min: 1, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
  });

  it('formats, verdicts and /proc fields', () => {
    expect(fmt(1.234)).toBe('1.2');
    expect(fmt(Number.NaN)).toBe('–');
    expect(num(1.23456, 2)).toBe(1.23);
    expect(num(undefined)).toBeNull();
    expect(atMost(0.4, 0.5)).toBe('pass');
    expect(atMost(0.6, 0.5)).toBe('FAIL');
    expect(atMost(null, 0.5)).toBe('n/a');
    const status = 'Name:\tsilo-monitor\nVmPeak:\t    1000 kB\nVmRSS:\t     724 kB\n';
    expect(kibField(status, 'VmRSS')).toBe(724);
    expect(kibField('Rss:                 700 kB\nPss:                 125 kB\n', 'Pss')).toBe(125);
    expect(kibField(status, 'Pss')).toBeUndefined();
  });
});

import { busyTicksFromProcStat, cpuTicksFromStat, intSetting, layerSizesSetting, median, parsePrometheus, ratio, routeTimes, summarize, table } from './stats';

describe('registry bench: stats', () => {
  it('medians, summaries and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(summarize([2, 5, 1])).toEqual({ median: 2, min: 1, max: 5, n: 3 });
    expect(ratio(0.7, 1)).toBe(0.7);
    expect(ratio(2, 3)).toBe(0.667);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(undefined, 1)).toBeNull();
  });

  it('settings from the environment, with errors naming the variable', () => {
    expect(intSetting({}, 'BENCH_RUNS', 5)).toBe(5);
    expect(intSetting({ BENCH_RUNS: '3' }, 'BENCH_RUNS', 5)).toBe(3);
    expect(() => intSetting({ BENCH_RUNS: '0' }, 'BENCH_RUNS', 5)).toThrow(/BENCH_RUNS/);
    expect(() => intSetting({ BENCH_RUNS: 'x' }, 'BENCH_RUNS', 5)).toThrow(/BENCH_RUNS/);
    expect(layerSizesSetting({ L: '60, 40,0.5' }, 'L', [1])).toEqual([60, 40, 0.5]);
    expect(layerSizesSetting({}, 'L', [1])).toEqual([1]);
    expect(() => layerSizesSetting({ L: '60,,1' }, 'L', [1])).toThrow(/L must/);
  });

  it('tables pad every column', () => {
    expect(table(['a', 'bb'], [['ccc', 'd']])).toBe('a   | bb\n----|---\nccc | d');
  });

  it('route times from the Prometheus text', () => {
    const text = [
      '# HELP silo_http_request_duration_seconds HTTP request latency',
      'silo_http_request_duration_seconds_bucket{le="0.1",method="PUT",route="/v2/*",service="registry"} 3',
      'silo_http_request_duration_seconds_sum{method="PUT",route="/v2/*",service="registry"} 1.5',
      'silo_http_request_duration_seconds_count{method="PUT",route="/v2/*",service="registry"} 3',
      'silo_http_request_duration_seconds_sum{method="GET",route="/v2/",service="registry"} 0.25',
      'silo_http_request_duration_seconds_count{method="GET",route="/v2/",service="registry"} 10',
      'process_cpu_seconds_total{service="registry"} 12.5',
    ].join('\n');
    const samples = parsePrometheus(text);
    expect(samples).toContainEqual({ name: 'process_cpu_seconds_total', labels: { service: 'registry' }, value: 12.5 });
    expect(routeTimes(samples)).toEqual([
      { method: 'PUT', route: '/v2/*', count: 3, totalSeconds: 1.5 },
      { method: 'GET', route: '/v2/', count: 10, totalSeconds: 0.25 },
    ]);
  });

  it('CPU ticks from /proc/PID/stat, whatever the command name holds', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0 100 0 0';
    expect(cpuTicksFromStat(stat)).toEqual({ self: 300, children: 10 });
  });

  it('busy ticks of the machine from /proc/stat (idle and iowait excluded)', () => {
    expect(busyTicksFromProcStat('cpu  100 5 50 9000 40 3 2 1 0 0')).toBe(161);
  });
});

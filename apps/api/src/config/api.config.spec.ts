import { defaultDashboardDir } from './api.config';

describe('defaultDashboardDir', () => {
  it('finds <repo root>/dist/apps/dashboard from the built file and from the source', () => {
    expect(defaultDashboardDir('/opt/silo/dist/apps/api/src/config')).toBe('/opt/silo/dist/apps/dashboard');
    expect(defaultDashboardDir('/work/main/apps/api/src/config')).toBe('/work/main/dist/apps/dashboard');
  });
});

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './platform';

/** The lint rule really enforces DESIGN.md's dependency direction: probes that break it fail. */
describe('module boundaries (npm run lint)', () => {
  /** Lints a probe file's text as if it were at `filePath`, with the workspace's real config. */
  async function problems(filePath: string, code: string): Promise<string[]> {
    const eslint = join(ROOT, 'node_modules/eslint/bin/eslint.js');
    const run = spawnSync(process.execPath, [eslint, '--stdin', '--stdin-filename', join(ROOT, filePath), '-f', 'json'], {
      cwd: ROOT,
      input: code,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (!run.stdout) throw new Error(`eslint failed: ${run.stderr}`);
    const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
    return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('domain depends on nothing of ours', async () => {
    const found = await problems('libs/domain/src/probe.ts', "import { freePort } from '@silo/testing';\nexport const x = freePort;\n");
    // Reported as a tag violation, or as the cycle it would close (the harness speaks the contracts).
    expect(found.join('\n')).toMatch(/type:domain|Circular dependency between "domain"/);
  });

  it('contracts depend only on domain', async () => {
    const found = await problems('libs/contracts/src/probe.ts', "import { openDataSource } from '@silo/persistence';\nexport const x = openDataSource;\n");
    expect(found.join('\n')).toMatch(/type:contracts|Circular dependency between "contracts"/);
  });

  it('no app imports another app', async () => {
    const found = await problems('apps/api/src/probe.ts', "import { RegistryModule } from '../../registry/src/registry.module';\nexport const x = RegistryModule;\n");
    expect(found.length).toBeGreaterThan(0);
  });

  it('production code may not use the test harness; tests may', async () => {
    const code = "import { freePort } from '@silo/testing';\nexport const x = freePort;\n";
    expect((await problems('apps/registry/src/probe.ts', code)).join('\n')).toMatch(/type:app/);
    expect(await problems('apps/registry/src/probe.spec.ts', code)).toEqual([]);
  });

  it('allowed directions pass', async () => {
    expect(await problems('apps/api/src/probe.ts', "import { Subjects } from '@silo/contracts';\nexport const x = Subjects;\n")).toEqual([]);
  });
});

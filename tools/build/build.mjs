#!/usr/bin/env node
// The workspace build: TypeScript → CommonJS with SWC (decorator metadata on, path aliases
// rewritten to relative requires) into dist/<same path>, then the dashboard with Vite into
// dist/apps/dashboard (the api serves it), then the native runtime with make.
// Type checking is `npm run lint` (tsc --noEmit); this step only transpiles, so it takes a second.
// Flags: --skip-native, --skip-dashboard.
import { transformFile } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(root, 'dist');
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const skipNative = process.argv.includes('--skip-native');
const skipDashboard = process.argv.includes('--skip-dashboard');

/** Browser code, bundled by Vite (buildDashboard), not transpiled to CommonJS with the rest. */
const DASHBOARD = join(root, 'apps', 'dashboard');

/** Every source directory that ships: apps/<x>/src, libs/<x>/src, tools/<x>/src. */
function sourceRoots() {
  const roots = [];
  for (const group of ['apps', 'libs', 'tools']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const src = join(dir, name, 'src');
      if (join(dir, name) === DASHBOARD) continue;
      if (existsSync(src) && statSync(src).isDirectory()) roots.push(src);
    }
  }
  return roots;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !/\.(spec|test)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

const swcOptions = (filename) => ({
  filename,
  swcrc: false,
  sourceMaps: true,
  module: { type: 'commonjs', strict: true },
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
    baseUrl: root,
    paths: tsconfig.compilerOptions.paths,
  },
});

async function buildTypescript() {
  const started = Date.now();
  const roots = sourceRoots();
  for (const src of roots) rmSync(join(dist, relative(root, src)), { recursive: true, force: true });
  const files = roots.flatMap((src) => [...walk(src)]);
  const queue = [...files];
  const workers = Array.from({ length: 8 }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const out = join(dist, relative(root, file)).replace(/\.ts$/, '.js');
      const result = await transformFile(file, swcOptions(file));
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${result.code}\n//# sourceMappingURL=${out.split('/').pop()}.map\n`);
      if (result.map) await writeFile(`${out}.map`, result.map);
    }
  });
  await Promise.all(workers);
  console.log(`build: ${files.length} TypeScript files → dist/ in ${Date.now() - started} ms`);
}

/** The dashboard (Preact + Vite): apps/dashboard → dist/apps/dashboard, served by the api (SILO_DASHBOARD_DIR). */
async function buildDashboard() {
  const configFile = join(DASHBOARD, 'vite.config.ts');
  if (skipDashboard || !existsSync(configFile)) return;
  const started = Date.now();
  const { build } = await import('vite');
  try {
    await build({ configFile, logLevel: 'warn' });
  } catch (err) {
    throw new Error(`build: the dashboard failed to build: ${err instanceof Error ? err.message : err}`);
  }
  console.log(`build: apps/dashboard → dist/apps/dashboard in ${Date.now() - started} ms`);
}

/** The -dev packages native/ compiles against (headers + static libraries): yajl and libseccomp. */
const nativeDevPackages = [
  { pkg: 'libyajl-dev', header: '/usr/include/yajl/yajl_tree.h' },
  { pkg: 'libseccomp-dev', header: '/usr/include/seccomp.h' },
];

function ensureNativeDevPackages() {
  const missing = nativeDevPackages.filter(({ header }) => !existsSync(header)).map(({ pkg }) => pkg);
  if (missing.length === 0) return;
  const howTo = `native/ needs ${missing.join(' and ')} (Debian/Ubuntu: sudo apt-get install ${missing.join(' ')})`;
  const hasAptGet = ['/usr/bin/apt-get', '/bin/apt-get'].some((p) => existsSync(p));
  if (process.getuid?.() !== 0 || !hasAptGet) throw new Error(`build: ${howTo}`);
  console.log(`build: installing ${missing.join(' ')} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    if (install().status !== 0) throw new Error(`build: apt-get could not install them; ${howTo}`);
  }
}

function buildNative() {
  if (skipNative || !existsSync(join(root, 'native/Makefile'))) return;
  ensureNativeDevPackages();
  const result = spawnSync('make', ['-s', '-C', join(root, 'native')], { stdio: 'inherit' });
  if (result.error) throw new Error(`build: cannot run make for native/: ${result.error.message} (install make and gcc)`);
  if (result.status !== 0) throw new Error('build: native/ failed to build (see the compiler output above)');
  console.log('build: native/silo-runtime → dist/native/silo-runtime');
}

try {
  await buildTypescript();
  await buildDashboard();
  buildNative();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

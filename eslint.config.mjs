import nx from '@nx/eslint-plugin';

/**
 * Module boundaries (see DESIGN.md): apps depend on libs, never on other apps; `domain` depends on
 * nothing of ours; `contracts` only on `domain`; util libs on domain, contracts and other util
 * libs; the test harness (which may speak the contracts to drive services) only where tests are. Tags live in each project.json.
 */
const depConstraints = [
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:testing'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:registry', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:layer-store', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:scheduler', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:node-agent', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared'] },
  // The dashboard is a browser app: it imports nothing of ours (it speaks the REST API).
  { sourceTag: 'scope:dashboard', onlyDependOnLibsWithTags: [] },
];

/** Tests may also use the harness (libs/testing) — production code may not. */
const testDepConstraints = depConstraints.map((c) =>
  c.sourceTag.startsWith('type:') && c.sourceTag !== 'type:domain' && c.sourceTag !== 'type:testing'
    ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] }
    : c.sourceTag === 'type:domain'
      ? { ...c, onlyDependOnLibsWithTags: ['type:testing'] }
      : c,
);

const TEST_FILES = ['**/*.spec.ts', '**/*.test.ts', '**/*.spec.tsx'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.silo', 'native/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints, banTransitiveDependencies: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
      'no-console': 'error',
      // Regex captures and checked lookups read better with `!` than with dead branches.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints: testDepConstraints }],
    },
  },
];

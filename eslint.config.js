// One lint config for the whole repository. Besides the usual TypeScript checks it enforces
// the module boundaries of the style guide (who may import whom): a wrong import fails lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['node:net', 'node:dgram', 'node:fs', 'node:fs/promises', 'node:child_process', 'node:timers', 'node:timers/promises', 'node:http', 'node:worker_threads'];
const bare = (names) => names.flatMap((n) => [n, n.replace(/^node:/, '')]);

/** Builds a no-restricted-imports rule from forbidden path patterns and module names. */
function boundary({ patterns = [], paths = [] }) {
  return {
    'no-restricted-imports': ['error', {
      paths: paths.map((name) => ({ name, message: 'forbidden here by the module boundaries (STYLE.md §3.2)' })),
      patterns: patterns.map(({ group, message }) => ({ group, message })),
    }],
  };
}

const deepImport = { group: ['**/src/**', '@rackcast/*/src/**', '@rackcast/*/dist/**'], message: 'import a package through its public entry point, never its src/ or dist/' };
const serverFolders = ['net', 'boot', 'store', 'session', 'api', 'machine', 'config', 'cli', 'deploy', 'capture'];
/** Other top-level folders of server/src may be reached only through their index.ts. */
const crossFolderDeep = (self, allowed = []) => ({
  group: serverFolders.filter((f) => f !== self).map((f) => `**/${f}/**/*.js`)
    .concat(serverFolders.filter((f) => f !== self).map((f) => `!**/${f}/index.js`))
    .concat(allowed.map((a) => `!**/${a}`)),
  message: 'reach another folder through its index.ts only',
});
const forbidFolders = (folders, why) => ({ group: folders.flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}/*`]), message: why });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'var/**', 'test/fixtures/**', 'test/lint-fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/ban-ts-comment': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['wire/src/**/*.ts'],
    rules: boundary({
      paths: [...bare(nodeIo), 'pino', 'level', 'express'],
      patterns: [deepImport, { group: ['@rackcast/*', '../../server/**', '../../preboot-image/**'], message: 'wire/ imports nothing else in the repo' }],
    }),
  },
  {
    files: ['server/src/net/**/*.ts'],
    rules: boundary({ patterns: [deepImport, forbidFolders(['boot', 'store', 'session', 'api'], 'net/ is transport only: policy plugs in through interfaces it declares')] }),
  },
  {
    files: ['server/src/boot/**/*.ts'],
    rules: boundary({ paths: bare(['node:net', 'node:dgram']), patterns: [deepImport, forbidFolders(['api', 'session', 'net'], 'boot/ is policy: no sockets, no api/ or session/')] }),
  },
  {
    files: ['server/src/store/**/*.ts'],
    rules: boundary({ patterns: [deepImport, forbidFolders(['net', 'boot', 'api', 'session'], 'store/ depends on wire/manifest only')] }),
  },
  {
    files: ['server/src/session/**/*.ts'],
    rules: boundary({ patterns: [deepImport, crossFolderDeep('session', ['net/multicast/index.js']), forbidFolders(['api'], 'session/ must not import api/'), { group: ['../net/*', '!../net/multicast', '../net/*.js'], message: 'session/ may use net/multicast only' }] }),
  },
  {
    files: ['server/src/api/**/*.ts'],
    rules: boundary({ paths: bare(['node:net', 'node:dgram']), patterns: [deepImport, crossFolderDeep('api'), forbidFolders(['net'], 'api/ reaches sessions and the store, never sockets')] }),
  },
  {
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/main.ts', 'server/src/cli/**', 'server/src/net/**', 'server/src/boot/**', 'server/src/store/**', 'server/src/session/**', 'server/src/api/**'],
    rules: boundary({ patterns: [deepImport] }),
  },
  {
    files: ['preboot-image/agent/src/**/*.ts'],
    rules: boundary({ patterns: [deepImport, { group: ['@rackcast/server', '**/server/**'], message: 'the agent shares only wire/ with the server' }] }),
  },
  {
    // The dashboard runs in the browser and talks to the server over HTTP and WebSocket only;
    // its console is the page's log (warnings only).
    files: ['server/ui/**/*.ts', 'server/ui/**/*.tsx'],
    rules: {
      ...boundary({ patterns: [{ group: ['@rackcast/*', '!@rackcast/wire', '**/server/src/**', '../../src/**', 'node:*'], message: 'server/ui talks to the server over HTTP and WebSocket only (STYLE.md §3.2)' }] }),
      // The wire formats' types (profile, plan) describe what the API answers: type-only imports,
      // erased from the bundle; their code stays out.
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['@rackcast/wire'], allowTypeImports: true, message: 'server/ui takes only types from @rackcast/wire (import type): no wire code in the bundle' }] }],
      'no-console': ['error', { allow: ['warn'] }],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { ...boundary({ patterns: [deepImport] }), 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // The batched-receive addon's loader: CommonJS, as node-gyp addons are loaded.
    files: ['preboot-image/datagram-ring/index.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

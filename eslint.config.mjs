import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of packages/api, bottom to top (packages/api/README.md, "Layers"). A file may
 * import its own layer and the layers below, never one above; between domains only the edges
 * listed in DOMAIN_EDGES. Each zone names a layer (`target`) and what it must not import (`from`).
 */
/** Node's blocking calls (fs, child_process, zlib, crypto) by name, as an esquery regex. */
const SYNC_CALLS =
  '/^(' +
  [
    'readFile',
    'writeFile',
    'appendFile',
    'exists',
    'stat',
    'lstat',
    'readdir',
    'mkdir',
    'rm',
    'unlink',
    'rename',
    'copyFile',
    'open',
    'read',
    'write',
    'access',
    'realpath',
    'exec',
    'execFile',
    'spawn',
    'gzip',
    'gunzip',
    'inflate',
    'deflate',
    'brotliCompress',
    'brotliDecompress',
    'pbkdf2',
    'scrypt',
    'hkdf',
    'generateKeyPair',
  ].join('|') +
  ')Sync$/';
const API = 'packages/api/src';
const at = (...paths) => paths.map((item) => `${API}/${item}`);
const FOUNDATION = at(
  'config/**',
  'observability/**',
  'cache/**',
  'runtime/**',
  'db/**',
  'errors.ts',
);
const AUTH = at('auth/**');
const KITS = at('graphql/**', 'http/**', 'attribution/**');
const DOMAINS = [
  'api-keys',
  'pricing',
  'usage',
  'budgets',
  'velocity',
  'virtual-keys',
  'decisions',
  'allocation',
  'metrics',
  'integrations',
  'billing',
  'focus',
  'insights',
  'reports',
  'notifications',
];
/** The service registry (assembly): a resolver or route names the services it calls instead. */
const REGISTRY = at('@(services).ts');
const ASSEMBLY = at('@(app|schema|http-server|database).ts');
const ENTRIES = at('@(main|cli|index|testing|print-schema).ts');
/** Which domains a domain may import (everything else among the domains is refused). */
const DOMAIN_EDGES = {
  'api-keys': [],
  pricing: [],
  usage: ['pricing'],
  budgets: ['pricing', 'usage'],
  velocity: [],
  'virtual-keys': ['budgets'],
  decisions: ['pricing', 'usage', 'budgets', 'velocity', 'virtual-keys'],
  allocation: ['pricing', 'usage'],
  metrics: ['pricing', 'usage'],
  integrations: ['usage', 'decisions'],
  billing: ['usage', 'pricing'],
  focus: ['pricing', 'usage', 'allocation'],
  insights: ['pricing', 'usage', 'budgets', 'allocation'],
  reports: ['pricing', 'usage', 'budgets', 'allocation', 'billing', 'metrics'],
  notifications: [],
};
const domainFiles = (domain) => at(`${domain}/**`);
const zone = (target, from, message) => ({ target, from, message });
const apiZones = [
  zone(
    FOUNDATION,
    [...AUTH, ...KITS, ...DOMAINS.flatMap(domainFiles), ...REGISTRY, ...ASSEMBLY, ...ENTRIES],
    'foundation imports foundation only',
  ),
  zone(
    AUTH,
    [...KITS, ...DOMAINS.flatMap(domainFiles), ...REGISTRY, ...ASSEMBLY, ...ENTRIES],
    'auth imports foundation only',
  ),
  zone(
    KITS,
    [...DOMAINS.flatMap(domainFiles), ...REGISTRY, ...ASSEMBLY, ...ENTRIES],
    'a kit (graphql, http, attribution) imports no domain and no assembly',
  ),
  ...DOMAINS.map((domain) =>
    zone(
      domainFiles(domain),
      [
        ...DOMAINS.filter(
          (other) => other !== domain && !DOMAIN_EDGES[domain].includes(other),
        ).flatMap(domainFiles),
        ...REGISTRY,
        ...ASSEMBLY,
        ...ENTRIES,
      ],
      `${domain} may import the domains ${DOMAIN_EDGES[domain].join(', ') || '(none)'} only, and no assembly`,
    ),
  ),
  zone([...REGISTRY, ...ASSEMBLY], ENTRIES, 'assembly imports no entry'),
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.purser/**',
      'policies/bundle/**',
      'coverage/**',
      'packages/console/src/gql/**',
      'test/artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        globalThis: 'readonly',
        setTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  // Type-aware checks on the product code: a promise is awaited, handled or explicitly voided.
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // No import cycles inside a package (type-only imports are erased and do not count).
  {
    files: ['packages/*/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // No synchronous file, process, compression or key-derivation call in the service's code: it
  // holds the event loop, and every request with it, for as long as the disk or the CPU takes,
  // and the loop-stall tests count only CPU time (test/support/loop-watch.ts). Start-up and
  // command-line code is listed apart.
  {
    files: [`${API}/**/*.ts`],
    ignores: [
      `${API}/**/*.test.ts`,
      `${API}/**/*-testing.ts`,
      `${API}/cli.ts`,
      `${API}/**/*-cli.ts`,
      `${API}/database.ts`,
      `${API}/print-schema.ts`,
      // Reads the built console once, at its first request (documented there).
      `${API}/http/console-static.ts`,
      // Derives its key once, when the service starts.
      `${API}/billing/secret-box.ts`,
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.name=${SYNC_CALLS}], CallExpression[callee.property.name=${SYNC_CALLS}]`,
          message:
            'A synchronous call holds the event loop for every request: use the async API (start-up code is listed apart in eslint.config.mjs).',
        },
      ],
    },
  },
  // The layers of packages/api (tests beside the code may import across them).
  {
    files: [`${API}/**/*.ts`],
    ignores: [`${API}/**/*.test.ts`],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: apiZones }],
    },
  },
);

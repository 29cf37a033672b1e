// ESLint 9 flat config: typescript-eslint's recommended rules (without type information, so linting stays
// fast on a small machine) plus the layering of design.md as import rules, so an arrow pointing the wrong
// way fails `npm run lint` (and `npm test`, which runs it first).
//
// The arrows are checked with eslint-plugin-import's `no-restricted-paths`: it resolves every import to a
// file and compares folders, so `../../functions/x` and `../functions/x` are caught alike, and the error
// shows in the editor on the import line. (dependency-cruiser checks the same graph, but as a second tool
// with its own config and run; one linter is enough for folder rules.)
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

const LAYERS = ['core', 'adapters', 'functions', 'cli', 'lib', 'bin', 'monolith', 'scripts', 'test', 'statemachines'];

/** A zone per layer: files under `target` may not import from the listed layers. */
function forbid(target, layers, message) {
  return layers.map((layer) => ({ target: `./${target}`, from: `./${layer}`, message }));
}

// functions/<name>/ may import its own folder and functions/shared (Lambda-only setup), never another
// function's folder: what two handlers share belongs in core/ (pure) or adapters/ (I/O).
const functionFolders = readdirSync(new URL('./functions', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const functionZones = functionFolders.map((name) => ({
  target: `./functions/${name}`,
  from: './functions',
  except: name === 'shared' ? ['./shared'] : [`./${name}`, './shared'],
  message: 'a handler imports its own folder and functions/shared only; share through core/ or adapters/',
}));

const boundaryZones = [
  ...forbid(
    'core',
    LAYERS.filter((l) => l !== 'core'),
    'core/ is pure and imports nothing of ours outside core/',
  ),
  ...forbid(
    'adapters',
    LAYERS.filter((l) => l !== 'core' && l !== 'adapters'),
    'adapters/ import core/ only',
  ),
  ...forbid(
    'cli',
    ['functions', 'lib', 'bin', 'monolith', 'scripts', 'test', 'statemachines'],
    'cli/ imports adapters/ and core/, never functions/',
  ),
  ...forbid(
    'functions',
    ['cli', 'lib', 'bin', 'monolith', 'scripts', 'test', 'statemachines'],
    'functions/ import adapters/ and core/ only',
  ),
  ...forbid(
    'lib',
    ['adapters', 'functions', 'cli', 'bin', 'monolith', 'scripts', 'test', 'statemachines'],
    'lib/ is CDK only and imports core/ (for the spec)',
  ),
  ...forbid(
    'monolith',
    ['functions', 'cli', 'lib', 'bin', 'scripts', 'test', 'statemachines'],
    'monolith/ imports adapters/ and core/ only',
  ),
  ...forbid('bin', ['functions', 'adapters', 'scripts', 'test'], 'bin/ builds the app (lib/) and the CLI (cli/)'),
  ...functionZones,
];

// Packages a layer must not use (the folder rules cannot see packages).
const IO_PACKAGES = [
  '@aws-sdk/*',
  '@aws-lambda-powertools/*',
  'pg',
  'pg-copy-streams',
  'mysql2',
  'mysql2/*',
  '@electric-sql/*',
  'commander',
];
const NODE_IO = [
  'fs',
  'node:fs',
  'fs/*',
  'node:fs/*',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  'worker_threads',
  'node:worker_threads',
];
const CDK = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      'cdk.*.out/**',
      '**/*.d.ts',
      'coverage/**',
      '.cutover/**',
      '.venv*/**',
      '.ministack/**',
      'bench-results/**',
      'localstack/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } } },
    rules: {
      'import/no-restricted-paths': ['error', { zones: boundaryZones }],
      // Kept to what the code already satisfies; `_`-prefixed names are deliberately unused (destructuring out).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `aws-lambda` is @types/aws-lambda: Lambda's event and context types, no code. Every layer, core
      // included, may use them with `import type` (erased, so core stays pure); a value import would fail at
      // run time.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'aws-lambda', allowTypeImports: true, message: 'aws-lambda is types only: use `import type`' }] },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: [...IO_PACKAGES, ...NODE_IO, ...CDK], message: 'core/ is pure: no SDK, no CDK, no I/O' }] },
      ],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@aws-lambda-powertools/*', 'pg', 'mysql2', 'mysql2/*', 'commander'],
              message: 'lib/ is CDK only: no runtime code',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['functions/**/*.ts', 'adapters/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: CDK, message: 'runtime code never imports CDK' }] }],
    },
  },
  {
    // Tests cast synthesized templates and fixtures freely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['eslint.config.mjs'],
    languageOptions: { globals: { URL: 'readonly' } },
  },
  {
    // CommonJS files (jest config, the esbuild transform, the CLI shim) use require by nature.
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

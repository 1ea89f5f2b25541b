/**
 * One jest run for the whole workspace: unit tests beside the code in packages/*,
 * integration tests under test/. Sources are compiled by @swc/jest with decorator
 * metadata on (type-graphql and TypeORM read it); `tsc -b` type-checks them first.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@purser/([a-z]+)/testing$': '<rootDir>/packages/$1/src/testing',
    '^@purser/adapters/client$': '<rootDir>/packages/adapters/src/client',
    '^@purser/([a-z]+)$': '<rootDir>/packages/$1/src',
  },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  maxWorkers: 2,
  testTimeout: 60000,
};

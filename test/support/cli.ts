import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../packages/api/dist/cli.js');

/**
 * Runs the built CLI (`pnpm purser …`) on a database (none: no DATABASE_URL, for the checks
 * that must fail before connecting), silent and without seeding the catalog; answers its exit
 * code and what it wrote to stderr.
 */
export function runCli(args: string[], databaseUrl: string | undefined) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'silent',
        PURSER_SEED_CATALOG: 'false',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../packages/api/dist/cli.js');

/** How a CLI run ended: its exit code and what it wrote. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`pnpm purser …`) silent, with only PATH and `env` in its environment (so
 * nothing of the test process's own settings leaks in).
 */
export function spawnCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise<CliRun>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs the built CLI on a database (none: no DATABASE_URL, for the checks that must fail before
 * connecting) without seeding the catalog; answers its exit code and what it wrote to stderr.
 */
export async function runCli(
  args: string[],
  databaseUrl: string | undefined,
): Promise<{ code: number | null; stderr: string }> {
  const { code, stderr } = await spawnCli(args, {
    PURSER_SEED_CATALOG: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  return { code, stderr };
}

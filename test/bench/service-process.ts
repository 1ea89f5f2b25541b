import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from '../support/database';
import { adminCalls, type RunningPurser } from '../support/purser';

// From test/dist/bench.
const MAIN = path.resolve(__dirname, '../../../packages/api/dist/main.js');

/**
 * Purser as its own process (`node packages/api/dist/main.js`), as a deployment runs it: the
 * benches that measure the service's memory, or a client calling it from outside, need it out
 * of their own process and event loop.
 */
export interface ServiceProcess extends Pick<RunningPurser, 'graphql' | 'keyFor'> {
  url: string;
  pid: number;
  adminToken: string;
  /** SIGTERM, then waits for the process to exit (the service drains and closes its pool). */
  stop(): Promise<void>;
}

/**
 * Starts the service with production settings (`NODE_ENV=production`, logs at `warn` unless
 * LOG_LEVEL says otherwise) on a free port of 127.0.0.1 against `databaseUrl` (it migrates a
 * new database as it starts), and waits until `/readyz` answers. NATS_URL is passed only with
 * `nats`; `env` adds or overrides settings (tunables, INGEST_CONSUMER_NAME); `nodeArgs` go to
 * node before the script.
 */
export async function startServiceProcess(options: {
  databaseUrl: string;
  adminToken?: string;
  nats?: boolean;
  env?: Record<string, string>;
  /** Node's own flags for the service (`--cpu-prof`…). */
  nodeArgs?: string[];
}): Promise<ServiceProcess> {
  const port = await freePort();
  const adminToken = options.adminToken ?? `bench-${randomBytes(12).toString('hex')}`;
  // Neither the bench's NATS nor its Node flags (a heap limit would change bench:export's figure).
  const { NATS_URL: natsUrl, NODE_OPTIONS: _nodeOptions, ...processEnv } = process.env;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
    env: {
      ...processEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      PURSER_ADMIN_TOKEN: adminToken,
      ...(options.nats && natsUrl ? { NATS_URL: natsUrl } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let attempt = 0; ; attempt += 1) {
      if (ended(child))
        throw new Error(`the service exited with ${child.exitCode ?? child.signalCode}`);
      const ready = await fetch(`${url}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (attempt > 600) throw new Error('the service did not get ready in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    pid: child.pid!,
    adminToken,
    ...adminCalls(url, adminToken),
    async stop() {
      if (ended(child)) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Whether the child has ended, by an exit or by a signal (an OOM kill leaves exitCode null). */
function ended(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

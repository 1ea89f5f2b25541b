// What unit tests cannot catch: the real process stops cleanly on SIGTERM — it stops taking
// requests, lets an in-flight one finish, closes its pools and exits 0 — and refuses to start
// on an invalid environment with a message naming the variable.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realisticUsageEvents } from '@purser/adapters/testing';

const MAIN = path.resolve(__dirname, '../../packages/api/dist/main.js');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the service process', () => {
  it('should exit 78 naming the bad variable when the environment is invalid', async () => {
    const { exited, output } = run({
      PORT: 'eighty',
      NATS_URL: 'localhost:4222',
      PURSER_HEAP_GROWTH_PERCENT: '5000',
    });
    expect(await exited).toBe(78);
    expect(output()).toContain('PORT');
    expect(output()).toContain('PURSER_HEAP_GROWTH_PERCENT');
    expect(output()).toContain('NATS_URL: must be nats://host:port');
  });

  it('should finish an in-flight request and exit 0 on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-shutdown-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const token = 'shutdown-test-admin-token';
    const service = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      PURSER_DATA_DIR: dataDir,
      PURSER_ADMIN_TOKEN: token,
      LOG_LEVEL: 'info',
      PURSER_SEED_CATALOG: 'false',
      PURSER_POLICY_WATCH: 'false',
    });
    try {
      await waitFor(() => service.output().includes('Purser listening'), 60_000);
      // A large ingest request is still being processed when the signal arrives.
      const events = [...realisticUsageEvents(3000, 7)];
      const inFlight = fetch(`http://127.0.0.1:${port}/v1/usage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(events),
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      service.child.kill('SIGTERM');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { accepted: number }).accepted).toBe(3000);
      expect(await service.exited).toBe(0);
      expect(service.output()).toContain('Purser stopped');
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      service.child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/**
 * HTTP load for the authorization bench, run in a worker thread so that the load generator
 * never shares an event loop with the server it measures.
 *
 * Open loop: request i is due at `start + i / rate`; it is sent when due whether or not
 * earlier answers came back, and its latency counts from when it was due (a slow server
 * cannot hide its queue by slowing the sender). Closed loop: `concurrency` callers each send
 * the next request when the previous answer arrived — the way to find the maximum rate.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, Worker, workerData } from 'node:worker_threads';

/** What a response must contain to count as a successful decision. */
export type Expectation = 'rest-hold' | 'graphql-hold' | 'opa-allow';

export interface LoadTask {
  mode: 'open' | 'closed';
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  expect: Expectation;
  seconds: number;
  /** Open loop: requests per second. */
  rate?: number;
  /** Closed loop: callers in parallel. */
  concurrency?: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** First failure, for the report. */
  firstFailure?: string;
  seconds: number;
  /** Successful decisions per second over the run. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

function succeeded(expectation: Expectation, status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  const body = JSON.parse(text) as Record<string, unknown>;
  const decision =
    expectation === 'graphql-hold'
      ? ((body.data as Record<string, unknown> | undefined)?.authorize as
          Record<string, unknown> | undefined)
      : (body.result as Record<string, unknown> | undefined);
  if (!decision || decision.allow !== true) return `not allowed: ${text.slice(0, 300)}`;
  if (expectation !== 'opa-allow' && !decision.reservation) return `no hold: ${text.slice(0, 300)}`;
  return null;
}

async function run(task: LoadTask): Promise<LoadResult> {
  const target = new URL(task.path, task.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  let firstFailure: string | undefined;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      sent += 1;
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(task.body),
            ...task.headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const problem = succeeded(
              task.expect,
              response.statusCode ?? 0,
              Buffer.concat(chunks).toString('utf8'),
            );
            if (problem) {
              failed += 1;
              firstFailure ??= problem;
            } else {
              latencies.push(performance.now() - due);
            }
            resolve();
          });
        },
      );
      request.on('error', (error) => {
        failed += 1;
        firstFailure ??= error.message;
        resolve();
      });
      request.end(task.body);
    });

  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  if (task.mode === 'open') {
    const rate = task.rate ?? 1000;
    const total = Math.round(rate * task.seconds);
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next < total && started + (next * 1000) / rate <= now) {
          inFlight.push(send(started + (next * 1000) / rate));
          next += 1;
        }
        if (next >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(inFlight);
  } else {
    const deadline = started + task.seconds * 1000;
    const caller = async () => {
      while (performance.now() < deadline) await send(performance.now());
    };
    await Promise.all(Array.from({ length: task.concurrency ?? 64 }, caller));
  }
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent,
    ok: latencies.length,
    failed,
    firstFailure,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
  };
}

/** Runs one load task in a fresh worker thread and returns what it measured. */
export function runLoad(task: LoadTask): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: task });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

if (parentPort && (workerData as LoadTask | undefined)?.mode) {
  void run(workerData as LoadTask).then((result) => parentPort!.postMessage(result));
}

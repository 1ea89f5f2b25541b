/**
 * HTTP load for the authorization bench, run in a worker thread so that the load generator
 * never shares an event loop with the server it measures.
 *
 * Like a gateway, it keeps a pool of keep-alive connections, opened before the clock starts,
 * and writes each request as prepared bytes on an idle connection (a new one is opened only
 * when every connection is busy); it parses just enough of each answer (status line,
 * `content-length`, the JSON body) to check it. Node's `http` client costs several times
 * more CPU per request, and on a 2-core machine the load generator's CPU is taken from the
 * server it measures.
 *
 * Open loop: request i is due at `start + i / rate`; it is sent when due whether or not
 * earlier answers came back, and its latency counts from when it was due (a slow server
 * cannot hide its queue by slowing the sender). The first `warmupSeconds` run at the same
 * rate and are not counted, so the measured window starts in a steady state rather than on
 * a server just woken from idle. Closed loop: `concurrency` callers each send the next
 * request when the previous answer arrived — the way to find the maximum rate.
 */
import net from 'node:net';
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
  /** Measured seconds. */
  seconds: number;
  /** Open loop: seconds at the same rate before the measured window (default 0). */
  warmupSeconds?: number;
  /** Open loop: requests per second. */
  rate?: number;
  /** Closed loop: callers in parallel; open loop: connections opened before the start (default 64). */
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
  /** Connections the run used (opened beforehand, and any opened because all were busy). */
  connections: number;
}

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function succeeded(expectation: Expectation, status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const decision =
    expectation === 'graphql-hold'
      ? ((body.data as Record<string, unknown> | undefined)?.authorize as
          Record<string, unknown> | undefined)
      : (body.result as Record<string, unknown> | undefined);
  if (!decision || decision.allow !== true) return `not allowed: ${text.slice(0, 300)}`;
  if (expectation !== 'opa-allow' && !decision.reservation) return `no hold: ${text.slice(0, 300)}`;
  return null;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/**
 * One keep-alive connection with at most one request in flight. `onAnswer` gets each
 * complete response; `onBroken` a connection that failed with a request in flight.
 */
class Connection {
  private buffer: Buffer | null = null;
  /** When the request in flight was due, or -1 when idle. */
  due = -1;

  constructor(
    readonly socket: net.Socket,
    private readonly onAnswer: (connection: Connection, status: number, body: string) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  send(request: Buffer, due: number): void {
    this.due = due;
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const buffer: Buffer = this.buffer;
      const end = buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
      const total = end + 4 + length;
      if (buffer.length < total) return;
      const status = Number(head.slice(9, 12));
      const body = buffer.toString('utf8', end + 4, total);
      this.buffer = buffer.length > total ? buffer.subarray(total) : null;
      this.onAnswer(this, status, body);
      if (!this.buffer) return;
    }
  }
}

async function run(task: LoadTask): Promise<LoadResult> {
  const target = new URL(task.url);
  const head =
    `POST ${task.path} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(task.body)}\r\n` +
    Object.entries(task.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n';
  const request = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(task.body, 'utf8')]);

  const latencies: number[] = [];
  let measureFrom = 0;
  let sent = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let outstanding = 0;
  let stopping = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  let opened = 0;

  const fail = (problem: string) => {
    failed += 1;
    firstFailure ??= problem;
  };
  const settled = (connection: Connection) => {
    connection.due = -1;
    outstanding -= 1;
    if (task.mode === 'closed' && !stopping) send(connection, performance.now());
    else idle.push(connection);
    if (stopping && outstanding === 0) finish();
  };
  const onAnswer = (connection: Connection, status: number, body: string) => {
    const due = connection.due;
    const problem = succeeded(task.expect, status, body);
    if (due >= measureFrom) {
      if (problem) fail(problem);
      else latencies.push(performance.now() - due);
    }
    settled(connection);
  };
  const open = () =>
    new Promise<Connection>((resolve, reject) => {
      const socket = net.connect(Number(target.port), target.hostname);
      const connection = new Connection(socket, onAnswer);
      all.add(connection);
      opened += 1;
      socket.once('connect', () => resolve(connection));
      socket.once('error', reject);
      // A connection that ends (error or close) with a request in flight fails that request.
      socket.once('close', () => {
        if (!all.delete(connection)) return;
        const waiting = idle.indexOf(connection);
        if (waiting >= 0) idle.splice(waiting, 1);
        if (connection.due < 0) return;
        if (connection.due >= measureFrom) fail('connection closed with a request in flight');
        connection.due = -1;
        outstanding -= 1;
        if (stopping && outstanding === 0) finish();
      });
    });
  const send = (connection: Connection, due: number) => {
    outstanding += 1;
    if (due >= measureFrom) sent += 1;
    connection.send(request, due);
  };
  const sendOnAny = (due: number) => {
    const connection = idle.pop();
    if (connection) {
      send(connection, due);
      return;
    }
    // Every connection is busy: the request still goes out when due, on a new one.
    outstanding += 1;
    open().then(
      (fresh) => {
        outstanding -= 1;
        send(fresh, due);
      },
      (error: Error) => {
        outstanding -= 1;
        if (due >= measureFrom) fail(error.message);
        if (stopping && outstanding === 0) finish();
      },
    );
  };

  const concurrency = task.concurrency ?? 64;
  for (const connection of await Promise.all(Array.from({ length: concurrency }, open)))
    idle.push(connection);

  let started: number;
  if (task.mode === 'open') {
    const rate = task.rate ?? 1000;
    const warmup = Math.round(rate * (task.warmupSeconds ?? 0));
    const total = warmup + Math.round(rate * task.seconds);
    const origin = performance.now();
    const dueAt = (index: number) => origin + (index * 1000) / rate;
    measureFrom = dueAt(warmup);
    started = measureFrom;
    setTimeout(announceWindow, Math.max(0, measureFrom - performance.now()));
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next < total && dueAt(next) <= now) {
          sendOnAny(dueAt(next));
          next += 1;
        }
        if (next >= total) resolve();
        else setTimeout(tick, Math.max(0, dueAt(next) - performance.now()));
      };
      tick();
    });
  } else {
    started = performance.now();
    measureFrom = started;
    announceWindow();
    for (const connection of idle.splice(0)) send(connection, performance.now());
    await new Promise((resolve) => setTimeout(resolve, task.seconds * 1000));
  }
  stopping = true;
  if (outstanding > 0) await finished;
  const seconds = (performance.now() - started) / 1000;
  for (const connection of [...all]) {
    all.delete(connection);
    connection.socket.destroy();
  }
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
    connections: opened,
  };
}

/** What the worker tells the thread that started it: the window began, or the result. */
type WorkerMessage = { measuring: true } | { result: LoadResult };

/** Tells the starting thread that the measured window begins (its `onMeasuring`). */
function announceWindow(): void {
  parentPort?.postMessage({ measuring: true } satisfies WorkerMessage);
}

/**
 * Runs one load task in a fresh worker thread and returns what it measured. `onMeasuring` is
 * called (on this thread) when the measured window begins, after any warm-up; the window ends
 * when the promise resolves, so the caller can watch its own process over the same window.
 */
export function runLoad(task: LoadTask, onMeasuring?: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: task });
    worker.on('message', (message: WorkerMessage) => {
      if ('measuring' in message) onMeasuring?.();
      else resolve(message.result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

if (parentPort && (workerData as LoadTask | undefined)?.mode) {
  void run(workerData as LoadTask).then((result) =>
    parentPort!.postMessage({ result } satisfies WorkerMessage),
  );
}

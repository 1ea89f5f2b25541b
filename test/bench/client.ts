/**
 * Client benchmark: the latency `track` (`@purser/adapters/client`) adds to a call, at a fixed
 * offered load (open loop: latency counts from when each call was due). The call is a chat
 * completion to a local OpenAI-shaped mock provider; the floor is the same call made bare, in
 * the same run, in alternating windows (bare, stub, track, bare, stub, track…) so that the
 * machine's drift hits all alike. `stub` is `track` against a canned-decision stub of Purser
 * in this process: the client's own cost, without the service's. `track` = authorize (REST, a hold on a BLOCK budget) → the call →
 * its usage queued for the batched background report (`POST /v1/usage`, or JetStream with
 * `--nats`), which the run also checks was delivered and settled to the last decimal.
 *
 *   pnpm bench:client [--rate 200] [--seconds 5] [--windows 2] [--warmup-seconds 2] [--nats]
 *                     [--linger-ms N] [--no-budget] [--in-process] [--service-cpu-prof DIR]
 *                     [--track-warmup-seconds N]
 *
 * Purser runs as its own process (`node packages/api/dist/main.js`, production settings), as a
 * gateway calls it; the mock provider and the stub run in this process's main thread, the
 * client and its load in a worker thread. `--in-process` runs Purser in the main thread too
 * (test settings), beside the provider and the stub, whose answers then wait for the service's
 * work and the other way round: alternate the two to see what sharing a loop costs.
 * The service's own time per decision (the decision log's `latency_ms`: from the parsed request
 * to the decision, without HTTP, authentication and JSON) is printed beside the client's
 * figures; `--service-cpu-prof DIR` writes a CPU profile of the service process into DIR.
 * Each track window follows two windows without a decision (bare and stub), so the
 * service would start it cold: its hold allowances (docs/0005) start only after a full second
 * of at least 50 holds/s, and until then every hold is a Postgres round trip and commit. A
 * gateway at 200 calls/s is not idle ten seconds in fifteen, so each track window is preceded
 * by `--track-warmup-seconds N` (default 2) of track calls at the rate: timed and printed on a
 * line of their own (`track, warm-up`), not counted in the overhead, which is the service's
 * steady state at the rate. `--track-warmup-seconds 0` measures the cold start instead.
 * Postgres: DATABASE_URL (an admin connection: the bench creates a database and drops it).
 * PURSER_HOLD_SYNC_COMMIT, PURSER_HOLD_ALLOWANCES, PURSER_COUNTER_STALENESS_MS and
 * DATABASE_POOL_SIZE, when set, are passed to the instance (and printed).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PurserClient } from '@purser/adapters/client';
import { Money } from '@purser/pricing';
import { chatCompletion, type MockProvider, startMockProvider } from '../client/mock-provider';
import type { NatsConnection } from '@nats-io/transport-node';
import { queryDatabase } from '../support/database';
import { budgetState, createBudget, priceModel, unique } from '../support/decisions';
import { connectNats, createIngestConsumer, deleteIngestConsumer } from '../support/nats';
import { type RunningPurser, startPurser } from '../support/purser';
import { createBenchDatabase } from './bench-database';
import { percentile } from './load';
import { startServiceProcess } from './service-process';

const TARGET_P50_OVERHEAD_MS = 1;
const TARGET_P99_OVERHEAD_MS = 5;
const MODEL = 'bench-client-model';

interface Options {
  rate: number;
  seconds: number;
  windows: number;
  warmupSeconds: number;
  /** Track calls right before each track window, timed apart (the overhead is then the steady state's). */
  trackWarmupSeconds: number;
  nats: boolean;
  /** No budget: decisions hold on nothing (placed in memory, written behind; docs/0005). */
  noBudget: boolean;
  /** The client's usage linger (default: the client's own). */
  lingerMs?: number;
  /** Purser in this process's main thread (the layout before it had its own process). */
  inProcess: boolean;
  /** Where the service process writes its CPU profile (`node --cpu-prof`), if anywhere. */
  serviceCpuProf?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    rate: 200,
    seconds: 5,
    windows: 2,
    warmupSeconds: 2,
    trackWarmupSeconds: 2,
    nats: false,
    noBudget: false,
    inProcess: false,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = () => {
      const parsed = Number(argv[++index]);
      if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a number > 0`);
      return parsed;
    };
    if (flag === '--rate') options.rate = value();
    else if (flag === '--seconds') options.seconds = value();
    else if (flag === '--windows') options.windows = Math.max(1, Math.round(value()));
    else if (flag === '--warmup-seconds') options.warmupSeconds = value();
    else if (flag === '--track-warmup-seconds') {
      const parsed = Number(argv[++index]);
      if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${flag} needs a number >= 0`);
      options.trackWarmupSeconds = parsed;
    } else if (flag === '--nats') options.nats = true;
    else if (flag === '--no-budget') options.noBudget = true;
    else if (flag === '--in-process') options.inProcess = true;
    else if (flag === '--service-cpu-prof') {
      const directory = argv[++index];
      if (!directory) throw new Error(`${flag} needs a directory`);
      options.serviceCpuProf = path.resolve(directory);
    } else if (flag === '--linger-ms') options.lingerMs = value();
    else throw new Error(`unknown flag ${flag}`);
  }
  if (options.inProcess && options.serviceCpuProf) {
    throw new Error('--service-cpu-prof needs the service in its own process (not --in-process)');
  }
  return options;
}

interface WorkerTask {
  purserUrl: string;
  apiKey: string;
  providerUrl: string;
  stubUrl: string;
  natsUrl?: string;
  team: string;
  options: Options;
}

/** `stub`: track against a canned-decision stub of Purser (the client's own cost alone). */
type Mode = 'bare' | 'stub' | 'track';

interface WindowResult {
  mode: Mode;
  /** The track calls right before a track window (`--track-warmup-seconds`), timed apart. */
  warmup?: boolean;
  latencies: number[];
  failed: number;
  firstFailure?: string;
}

interface WorkerResult {
  windows: WindowResult[];
  /** Prompt and completion tokens of every tracked call (for the spend check). */
  tracked: { input: number; output: number }[];
  stats: Record<string, number>;
  sequential: Record<Mode, number[]>;
  /** When each track window started and ended (epoch ms): its decisions are in between. */
  trackSpans: [number, number][];
}

/** What the worker tells the main thread: a track window's edges, then its result. */
type WorkerMessage = { edge: 'start' | 'end' } | { result: WorkerResult };

/** One open-loop window of `seconds` at `rate`: each call timed from when it was due. */
async function openLoop(
  rate: number,
  seconds: number,
  call: (index: number) => Promise<unknown>,
): Promise<Omit<WindowResult, 'mode'>> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < total; index += 1) {
    const due = started + index * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      call(index).then(
        () => {
          latencies.push(performance.now() - due);
        },
        (error: unknown) => {
          failed += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies, failed, ...(firstFailure ? { firstFailure } : {}) };
}

async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const provider = { url: task.providerUrl } as MockProvider;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const nats = task.options.nats && task.natsUrl ? await connectNats(task.natsUrl) : undefined;
  const warnings: string[] = [];
  const client = new PurserClient({
    url: task.purserUrl,
    apiKey: task.apiKey,
    failMode: 'closed',
    timeoutMs: 5_000,
    logger: { warn: (message) => warnings.push(message) },
    ...(nats ? { nats } : {}),
    ...(task.options.lingerMs ? { batch: { lingerMs: task.options.lingerMs } } : {}),
  });
  const stubClient = new PurserClient({
    url: task.stubUrl,
    apiKey: 'stub',
    failMode: 'closed',
    timeoutMs: 5_000,
    logger: { warn: (message) => warnings.push(`stub: ${message}`) },
  });
  const tracked: { input: number; output: number }[] = [];
  const request = {
    provider: 'openai',
    model: MODEL,
    attribution: { team: task.team, feature: 'bench' },
    estimatedInputTokens: 1_000,
    maxOutputTokens: 200,
  };
  const usageOf = (index: number) => ({ input: 500 + (index % 500), output: 10 + (index % 150) });
  const bare = (index: number) => {
    const usage = usageOf(index);
    return chatCompletion(provider, agent, {
      model: MODEL,
      maxTokens: 200,
      promptTokens: usage.input,
      completionTokens: usage.output,
    });
  };
  const stub = (index: number) => {
    const usage = usageOf(index);
    return stubClient.track(request, ({ model, maxOutputTokens }) =>
      chatCompletion(provider, agent, {
        model,
        maxTokens: maxOutputTokens,
        promptTokens: usage.input,
        completionTokens: usage.output,
      }),
    );
  };
  const track = (index: number) => {
    const usage = usageOf(index);
    return client
      .track(request, ({ model, maxOutputTokens }) =>
        chatCompletion(provider, agent, {
          model,
          maxTokens: maxOutputTokens,
          promptTokens: usage.input,
          completionTokens: usage.output,
        }),
      )
      .then((answer) => {
        tracked.push(usage);
        return answer;
      });
  };
  const { rate, seconds, windows, warmupSeconds, trackWarmupSeconds } = task.options;
  // One call at a time: what each path costs when nothing queues (the open loop's lower bound).
  const paths: Record<Mode, (index: number) => Promise<unknown>> = { bare, stub, track };
  const sequential: Record<Mode, number[]> = { bare: [], stub: [], track: [] };
  for (let index = 0; index < 200; index += 1) {
    for (const mode of ['bare', 'stub', 'track'] as const) {
      const before = performance.now();
      await paths[mode](index);
      sequential[mode].push(performance.now() - before);
    }
  }
  // Warm up both paths (connections, JIT); the warm-up's tracked calls count in the spend.
  for (const mode of ['bare', 'stub', 'track'] as const) {
    await openLoop(rate, warmupSeconds / 3, paths[mode]);
  }
  const results: WindowResult[] = [];
  const trackSpans: [number, number][] = [];
  for (let window = 0; window < windows; window += 1) {
    for (const mode of ['bare', 'stub', 'track'] as const) {
      if (mode === 'track' && trackWarmupSeconds > 0) {
        // Timed, but apart: the service's first seconds after the windows without decisions.
        results.push({ mode, warmup: true, ...(await openLoop(rate, trackWarmupSeconds, track)) });
      }
      const started = Date.now();
      if (mode === 'track') parentPort!.postMessage({ edge: 'start' } satisfies WorkerMessage);
      results.push({ mode, ...(await openLoop(rate, seconds, paths[mode])) });
      if (mode === 'track') {
        parentPort!.postMessage({ edge: 'end' } satisfies WorkerMessage);
        trackSpans.push([started, Date.now()]);
      }
    }
  }
  const delivered = await client.flush(60_000);
  if (!delivered) warnings.push('usage not delivered within 60 s');
  const stats = { ...client.stats, warnings: warnings.length };
  if (warnings.length > 0) console.error('client warnings:', [...new Set(warnings)]);
  await client.close();
  await stubClient.close();
  await nats?.close();
  agent.destroy();
  return { windows: results, tracked, stats, sequential, trackSpans };
}

/** The service the bench measures, wherever it runs. */
type BenchService = Pick<RunningPurser, 'url' | 'graphql' | 'keyFor' | 'stop'> & {
  layout: string;
  /** Its database (the decision log is read there). */
  databaseUrl: string;
  /** The CPU time its process has used so far (user + system), when it has one of its own. */
  cpuSeconds?: () => number;
};

/**
 * Purser as its own process on a bench database of its own (dropped when it stops), or with
 * `--in-process` in this process's main thread on a test database.
 */
async function startService(options: Options, env: Record<string, string>): Promise<BenchService> {
  if (options.inProcess) {
    const service = await startPurser({ nats: options.nats, env });
    if (!service.database.url) throw new Error('bench:client needs DATABASE_URL (Postgres)');
    return Object.assign(service, {
      layout: 'in this process (--in-process)',
      databaseUrl: service.database.url,
    });
  }
  const database = await createBenchDatabase();
  try {
    const service = await startServiceProcess({
      databaseUrl: database.url.toString(),
      nats: options.nats,
      env,
      ...(options.serviceCpuProf
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.serviceCpuProf}`] }
        : {}),
    });
    return {
      ...service,
      layout: `in its own process (pid ${service.pid})`,
      databaseUrl: database.url.toString(),
      cpuSeconds: () => processCpuSeconds(service.pid),
      async stop() {
        await service.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** A stand-in for Purser answering a canned decision and accepting usage at once. */
async function startStub(): Promise<{ url: string; close(): void }> {
  const decision = JSON.stringify({
    decision_id: 'stub',
    result: {
      decision_id: 'stub',
      allow: true,
      action: 'allow',
      model: MODEL,
      max_output_tokens: 200,
      reasons: [],
      budgets: [],
      reservation: null,
      estimated_cost: '0.016',
      currency: 'USD',
      policy_revision: 'stub',
    },
  });
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const body =
        request.url === '/v1/usage'
          ? '{"accepted":0,"duplicates":0,"rejected":0,"results":[]}'
          : decision;
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** User + system CPU time of a process so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The service's own time for the decisions of the track windows, from its decision log
 * (`latency_ms`: the parsed request to the decision, holds included; not HTTP, authentication
 * or JSON). The log is written in batches within a few tens of milliseconds.
 */
async function serviceDecisionLatency(databaseUrl: string, spans: [number, number][]) {
  const where = spans
    .map((_, index) => `created_at BETWEEN $${2 * index + 1} AND $${2 * index + 2}`)
    .join(' OR ');
  const [row] = await queryDatabase<{ count: string; p50: number | null; p99: number | null }>(
    databaseUrl,
    `SELECT count(*)::text AS count,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
     FROM decisions WHERE ${where}`,
    spans.flatMap(([start, end]) => [new Date(start), new Date(end)]),
  );
  return { count: Number(row!.count), p50: row!.p50 ?? NaN, p99: row!.p99 ?? NaN };
}

/** A difference with its sign, `+0.123` or `-0.045`. */
function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

function summary(latencies: number[]) {
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), count: sorted.length };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const consumer = unique('bench-client');
  let nats: NatsConnection | undefined;
  if (options.nats) {
    if (!process.env.NATS_URL) throw new Error('--nats needs NATS_URL');
    nats = await connectNats();
    // New messages only: the shared stream keeps every earlier run's events.
    await createIngestConsumer(nats, consumer);
  }
  // The instance's tunables, when set, as bench:authorize passes them.
  const tunables = Object.fromEntries(
    [
      'PURSER_HOLD_SYNC_COMMIT',
      'PURSER_HOLD_ALLOWANCES',
      'PURSER_COUNTER_STALENESS_MS',
      'DATABASE_POOL_SIZE',
    ]
      .filter((name) => process.env[name] !== undefined)
      .map((name) => [name, process.env[name]!]),
  );
  if (Object.keys(tunables).length > 0)
    console.log(`instance settings: ${JSON.stringify(tunables)}`);
  const service = await startService(options, { ...tunables, INGEST_CONSUMER_NAME: consumer });
  let provider: MockProvider | undefined;
  let stubServer: { url: string; close(): void } | undefined;
  let exitCode = 0;
  try {
    const apiKey = await service.keyFor('gateway');
    await priceModel(service, MODEL, { inputTokens: '10', outputTokens: '30' });
    const team = unique('bench');
    const budget = options.noBudget
      ? undefined
      : await createBudget(service, {
          name: 'bench client',
          scope: { team },
          period: 'TOTAL',
          limit: '1000000',
          mode: 'BLOCK',
        });
    provider = await startMockProvider();
    stubServer = await startStub();
    console.log(
      `bench:client — ${options.rate} calls/s, ${options.windows} × (${options.seconds} s bare, ` +
        `${options.seconds} s stub, ${options.seconds} s track), usage over ` +
        `${options.nats ? 'JetStream' : 'HTTP'}, Purser ${service.layout}`,
    );
    const task: WorkerTask = {
      purserUrl: service.url,
      apiKey,
      providerUrl: provider.url,
      stubUrl: stubServer.url,
      ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
      team,
      options,
    };
    // The service process's CPU time over the track windows (read at their edges).
    let serviceCpu = 0;
    let cpuAtStart = 0;
    const result = await new Promise<WorkerResult>((resolve, reject) => {
      const worker = new Worker(__filename, { workerData: task });
      worker.on('message', (message: WorkerMessage) => {
        if ('result' in message) return resolve(message.result);
        const cpu = service.cpuSeconds?.() ?? 0;
        if (message.edge === 'start') cpuAtStart = cpu;
        else serviceCpu += cpu - cpuAtStart;
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`client worker exited with ${code}`));
      });
    });

    const rows: string[] = [];
    for (const [index, window] of result.windows.entries()) {
      const figures = summary(window.latencies);
      const label = window.warmup ? 'warm-up' : window.mode;
      rows.push(
        `  window ${index + 1} ${label.padEnd(7)}  calls ${String(figures.count).padStart(5)}` +
          `  failed ${window.failed}  p50 ${figures.p50.toFixed(3)} ms  p99 ${figures.p99.toFixed(3)} ms` +
          (window.firstFailure ? `  first failure: ${window.firstFailure}` : ''),
      );
    }
    console.log(rows.join('\n'));
    const of = (mode: Mode) =>
      summary(
        result.windows.filter((w) => w.mode === mode && !w.warmup).flatMap((w) => w.latencies),
      );
    const bare = of('bare');
    const stubbed = of('stub');
    const track = of('track');
    for (const mode of ['bare', 'stub', 'track'] as const) {
      const figures = summary(result.sequential[mode]);
      console.log(
        `  one at a time ${mode.padEnd(5)} p50 ${figures.p50.toFixed(3)} ms   p99 ${figures.p99.toFixed(3)} ms`,
      );
    }
    const warmups = summary(result.windows.filter((w) => w.warmup).flatMap((w) => w.latencies));
    const failed = result.windows.reduce((sum, window) => sum + window.failed, 0);
    const overheadP50 = track.p50 - bare.p50;
    const overheadP99 = track.p99 - bare.p99;
    const verdict = (value: number, target: number) =>
      value < target ? `MET (< ${target} ms)` : `NOT met (target < ${target} ms)`;
    console.log(
      [
        `  bare call (floor)   p50 ${bare.p50.toFixed(3)} ms   p99 ${bare.p99.toFixed(3)} ms   (${bare.count} calls)`,
        `  track, stub Purser  p50 ${stubbed.p50.toFixed(3)} ms   p99 ${stubbed.p99.toFixed(3)} ms   (${stubbed.count} calls; the client's own cost: ${signed(stubbed.p50 - bare.p50)} ms p50, ${signed(stubbed.p99 - bare.p99)} ms p99)`,
        ...(warmups.count > 0
          ? [
              `  track, warm-up      p50 ${warmups.p50.toFixed(3)} ms   p99 ${warmups.p99.toFixed(3)} ms   (${warmups.count} calls: the first ${options.trackWarmupSeconds} s of each track window, after the bare and stub windows; not in the figures below)`,
            ]
          : []),
        `  track               p50 ${track.p50.toFixed(3)} ms   p99 ${track.p99.toFixed(3)} ms   (${track.count} calls)`,
        `  overhead p50        ${overheadP50.toFixed(3)} ms   ${verdict(overheadP50, TARGET_P50_OVERHEAD_MS)}`,
        `  overhead p99        ${overheadP99.toFixed(3)} ms   ${verdict(overheadP99, TARGET_P99_OVERHEAD_MS)}`,
        `  client stats        ${JSON.stringify(result.stats)}`,
      ].join('\n'),
    );
    const inService = await serviceDecisionLatency(service.databaseUrl, result.trackSpans);
    console.log(
      `  in the service      p50 ${inService.p50.toFixed(3)} ms   p99 ${inService.p99.toFixed(3)} ms   ` +
        `(${inService.count} decisions of the track windows, the decision log's latency_ms)`,
    );
    if (service.cpuSeconds) {
      console.log(
        `  service CPU         ${((serviceCpu * 1000) / track.count).toFixed(3)} ms per tracked call ` +
          `(the service process's user + system time over the track windows, usage ingest and ` +
          `the decision log included, Postgres not)`,
      );
    }

    // The usage of every tracked call was reported and settled: spend = priced usage, exactly.
    const expected = result.tracked.reduce(
      (sum, usage) =>
        sum.plus(
          new Money(usage.input).times(10).plus(new Money(usage.output).times(30)).dividedBy(1e6),
        ),
      new Money(0),
    );
    if (!budget) {
      console.log('  spend check         skipped (--no-budget)');
      if (failed > 0) exitCode = 1;
      return;
    }
    const deadline = Date.now() + 60_000;
    let state = await budgetState(service, budget.id);
    const settled = () =>
      new Money(state.spent).equals(expected) && new Money(state.reserved).isZero();
    // Late decisions (answered after the client's timeout) are released a moment later.
    while (!settled() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await budgetState(service, budget.id);
    }
    const exact = settled();
    console.log(
      `  spend check         spent ${state.spent} (expected ${expected.toFixed()}), reserved ${state.reserved}: ` +
        (exact ? 'exact' : 'MISMATCH'),
    );
    if (!exact || failed > 0) exitCode = 1;
  } finally {
    await provider?.close();
    stubServer?.close();
    await service.stop();
    if (nats) {
      await deleteIngestConsumer(nats, consumer);
      await nats.close();
    }
  }
  process.exit(exitCode);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void runWorker(workerData as WorkerTask).then((result) =>
    parentPort!.postMessage({ result } satisfies WorkerMessage),
  );
}

/**
 * Authorization benchmark: decisions per second and latency of Purser's pre-call
 * authorization with holds (REST and GraphQL), against the same Rego on a plain
 * `opa run --server` and against the bare in-process opa-wasm evaluation (the limit), and
 * a bare Node HTTP answer under the same load (the floor this machine and load generator
 * allow).
 *
 *   pnpm bench:authorize [--rate 1000] [--seconds 10] [--warmup-seconds 3] [--max-seconds 5]
 *                        [--concurrency 64]
 *
 * PURSER_HOLD_SYNC_COMMIT, PURSER_HOLD_ALLOWANCES, PURSER_COUNTER_STALENESS_MS,
 * PURSER_HEAP_GROWTH_PERCENT and DATABASE_POOL_SIZE, when set, are passed to the instance
 * under test (and printed); otherwise it runs with the defaults. The instance runs in this
 * process, so the bench tunes its heap as the service's entry point does (src/main.ts).
 *
 * Postgres: BENCH_DATABASE_URL or DATABASE_URL (an admin connection: the bench creates a
 * database of its own and drops it), else postgres://postgres@127.0.0.1:5432/postgres.
 * OPA: `opa` on PATH (or OPA_BIN); without it the peer is skipped with a message.
 *
 * Beside each open-loop p99 it prints what this process (the instance, and the floor's
 * server) did over the same measured window (instance-watch.ts): the server-side p99 from
 * the decision log, the event loop's delay (p50, p99, max) and the garbage collections that
 * paused it (count, total, longest, by kind), so the multiple over the floor can be read.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadEnv, Purser, tuneHeapGrowth } from '@purser/api';
import { createPolicyEngine, DEFAULT_BUNDLE_PATH, toPolicyJson } from '@purser/policy';
import { buildBudget, buildDecisionInput } from '@purser/policy/testing';
import { freePort } from '../support/database';
import { gcKinds, InstanceWatch, LOOP_SAMPLE_MS, type WindowFigures } from './instance-watch';
import { percentile, runLoad, type LoadResult, type LoadTask } from './load';
import { createBenchDatabase } from './bench-database';

const TARGET_P99_MS = 5;
const REPO = join(__dirname, '..', '..', '..');

interface Options {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  maxSeconds: number;
  concurrency: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    rate: 1000,
    seconds: 10,
    warmupSeconds: 3,
    maxSeconds: 5,
    concurrency: 64,
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
    else if (flag === '--warmup-seconds') options.warmupSeconds = value();
    else if (flag === '--max-seconds') options.maxSeconds = value();
    else if (flag === '--concurrency') options.concurrency = Math.round(value());
    else if (flag !== '--') throw new Error(`unknown argument ${flag}`);
  }
  return options;
}

function findOpa(): string | null {
  const candidates = [process.env.OPA_BIN, 'opa'].filter(Boolean) as string[];
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

/** `opa run --server` on the policy sources (tests left out) and data.json. */
async function startOpa(opa: string): Promise<{ url: string; stop(): void }> {
  const directory = mkdtempSync(join(tmpdir(), 'purser-bench-opa-'));
  const policies = join(REPO, 'policies');
  for (const file of readdirSync(policies)) {
    if ((file.endsWith('.rego') && !file.endsWith('_test.rego')) || file === 'data.json') {
      copyFileSync(join(policies, file), join(directory, file));
    }
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    opa,
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error', directory],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('opa did not become healthy in 15 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** In-process opa-wasm evaluations of `input`, one at a time, each timed. */
async function wasmLoop(input: ReturnType<typeof buildDecisionInput>, seconds: number) {
  const engine = await createPolicyEngine({ bundle: DEFAULT_BUNDLE_PATH });
  for (let i = 0; i < 500; i += 1) engine.evaluate(input);
  const times: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const before = performance.now();
    const result = engine.evaluate(input);
    times.push(performance.now() - before);
    if (!result.ok || !result.decision.allow) throw new Error('wasm evaluation did not allow');
  }
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(times).sort();
  return {
    perSecond: times.length / elapsed,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/**
 * What the load generator and this machine allow at all: a Node HTTP server in this process
 * answering a canned decision at once, under the same open-loop load.
 */
async function floorLoop(
  open: { mode: 'open'; rate: number; seconds: number },
  watched: (task: LoadTask) => Promise<WatchedResult>,
): Promise<WatchedResult> {
  const body = JSON.stringify({ result: { allow: true } });
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const target = {
      url: `http://127.0.0.1:${port}`,
      path: '/',
      headers: {},
      body: '{"input":{}}',
      expect: 'opa-allow' as const,
    };
    await runLoad({ ...target, mode: 'closed', concurrency: 16, seconds: 1 });
    return await watched({ ...target, ...open });
  } finally {
    server.close();
  }
}

/** An open-loop run and what the instance's process did over its measured window. */
interface WatchedResult extends LoadResult {
  window: WindowFigures;
}

/**
 * One line of the table of what the instance's process did in each open-loop window: beside
 * the client's p99, the server-side p99 (decision log, same window), how late the loop ran
 * timers, and the collections that paused it; the share of the window spent in collections is
 * the share of requests that were due during a pause and waited for it (over 1 %, pauses reach
 * the p99).
 */
function windowRow(name: string, result: WatchedResult, serverP99Ms: number | undefined) {
  const { loopDelay, gc, seconds } = result.window;
  return [
    name.padEnd(44),
    result.p99Ms.toFixed(2).padStart(10),
    (serverP99Ms === undefined ? '-' : serverP99Ms.toFixed(2)).padStart(10),
    loopDelay.p50Ms.toFixed(2).padStart(8),
    loopDelay.p99Ms.toFixed(2).padStart(8),
    loopDelay.maxMs.toFixed(1).padStart(8),
    String(gc.count).padStart(5),
    gc.totalMs.toFixed(1).padStart(8),
    gc.maxMs.toFixed(1).padStart(7),
    `${((gc.totalMs / (seconds * 1000)) * 100).toFixed(2)}%`.padStart(7),
    `  ${gcKinds(gc)}`,
  ].join(' ');
}

/**
 * One line of the results table. `floorP99Ms`: the floor's p99 in the same run, so each
 * open-loop p99 also reads as a multiple of what this machine and generator allowed then.
 */
function row(
  name: string,
  result: { perSecond: number; p50Ms: number; p99Ms: number },
  floorP99Ms: number,
  openLoop: boolean,
) {
  const failed = 'failed' in result ? String((result as LoadResult).failed) : '-';
  return [
    name.padEnd(44),
    result.perSecond.toFixed(0).padStart(10),
    result.p50Ms.toFixed(2).padStart(9),
    result.p99Ms.toFixed(2).padStart(9),
    (openLoop ? `${(result.p99Ms / floorP99Ms).toFixed(1)}x` : '-').padStart(13),
    failed.padStart(7),
  ].join(' ');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const benchDatabase = await createBenchDatabase();
  const databaseUrl = benchDatabase.url;
  const adminToken = `bench-${randomBytes(12).toString('hex')}`;
  // Decision-path settings a run may change from the environment, printed with the figures.
  const tuning = Object.fromEntries(
    [
      'PURSER_HOLD_SYNC_COMMIT',
      'PURSER_HOLD_ALLOWANCES',
      'PURSER_COUNTER_STALENESS_MS',
      'PURSER_HEAP_GROWTH_PERCENT',
      'DATABASE_POOL_SIZE',
    ]
      .filter((name) => process.env[name] !== undefined)
      .map((name) => [name, process.env[name]!]),
  );
  let purser: Purser | undefined;
  // The instance's loop and collections, watched over each open-loop window.
  const watch = new InstanceWatch();
  const watched = async (task: LoadTask): Promise<WatchedResult> => {
    const result = await runLoad(task, () => watch.open());
    return { ...result, window: await watch.close() };
  };
  let opaServer: { url: string; stop(): void } | undefined;
  try {
    const env = loadEnv({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      PORT: '0',
      HOST: '127.0.0.1',
      PURSER_ADMIN_TOKEN: adminToken,
      DATABASE_URL: databaseUrl.toString(),
      PURSER_POLICY_WATCH: 'false',
      ...tuning,
    });
    tuneHeapGrowth(env.PURSER_HEAP_GROWTH_PERCENT);
    watch.start();
    purser = await Purser.create({ env });
    await purser.listen(0, '127.0.0.1');
    const url = purser.url;
    const graphql = async <T>(query: string, variables: Record<string, unknown>) => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown };
      if (!body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    const { createApiKey } = await graphql<{ createApiKey: { secret: string } }>(
      'mutation($name: String!) { createApiKey(name: $name, role: "gateway") { secret } }',
      { name: 'bench gateway' },
    );
    // An org budget and a team budget with room for every decision: each one holds on both.
    for (const [budgetName, scope] of [
      ['bench org', {}],
      ['bench team', { team: 'bench' }],
    ] as const) {
      await graphql('mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }', {
        input: {
          name: budgetName,
          scope,
          period: 'MONTHLY',
          limit: '1000000000',
          mode: 'BLOCK',
          softThresholds: [0.8],
        },
      });
    }
    const gatewayHeaders = { authorization: `Bearer ${createApiKey.secret}` };
    const request = {
      provider: 'openai',
      model: 'gpt-4o',
      attribution: { team: 'bench', feature: 'chat', environment: 'production' },
      estimated_input_tokens: 1000,
      max_output_tokens: 4000,
    };
    const restBody = JSON.stringify({ input: request });
    const graphqlBody = JSON.stringify({
      query: `mutation($request: AuthorizeInput!) { authorize(request: $request) {
        decisionId allow action model maxOutputTokens estimatedCost policyRevision
        reasons { code message budgetId } budgets { id limit spent reserved remaining resetsAt }
        reservation { id amount currency expiresAt } } }`,
      variables: {
        request: {
          provider: request.provider,
          model: request.model,
          attribution: request.attribution,
          estimatedInputTokens: request.estimated_input_tokens,
          maxOutputTokens: request.max_output_tokens,
        },
      },
    });
    const rest = {
      url,
      path: '/v1/data/purser/authz/decision',
      headers: gatewayHeaders,
      body: restBody,
      expect: 'rest-hold' as const,
    };
    const gql = {
      url,
      path: '/graphql',
      headers: gatewayHeaders,
      body: graphqlBody,
      expect: 'graphql-hold' as const,
    };
    // Each open-loop run starts with warm-up seconds at the same rate that are not counted.
    const open = {
      mode: 'open' as const,
      rate: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
    };
    const closed = {
      mode: 'closed' as const,
      concurrency: options.concurrency,
      seconds: options.maxSeconds,
    };

    process.stdout.write(
      `Offered load ${options.rate}/s for ${options.seconds} s after ${options.warmupSeconds} s at the same rate (open loop); max throughput: ${options.concurrency} callers for ${options.maxSeconds} s\n`,
    );
    process.stdout.write(
      `Settings: ${Object.entries({
        PURSER_HOLD_SYNC_COMMIT: 'true',
        PURSER_HOLD_ALLOWANCES: 'true',
        PURSER_COUNTER_STALENESS_MS: '500',
        PURSER_HEAP_GROWTH_PERCENT: '400',
        ...tuning,
      })
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')}\n`,
    );
    // Warm-up: JIT, connection pools, the price catalog cache.
    await runLoad({ ...rest, mode: 'closed', concurrency: 16, seconds: 2 });
    await runLoad({ ...gql, mode: 'closed', concurrency: 16, seconds: 1 });

    // [label, result, whether it ran at the offered rate (open loop, comparable to the floor)]
    const results: [string, { perSecond: number; p50Ms: number; p99Ms: number }, boolean][] = [];
    // The decision log's latency (the service's own time for a decision) within a window.
    const servedIn = async (window: WindowFigures): Promise<number | undefined> => {
      await purser!.services.decisionLog.flush();
      const [row] = await purser!.dataSource.query(
        `SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
           FROM decisions WHERE created_at >= $1 AND created_at <= $2`,
        [window.from.toISOString(), window.to.toISOString()],
      );
      return row?.p99 === null || row?.p99 === undefined ? undefined : Number(row.p99);
    };
    const restLabel = `Purser REST @ ${options.rate}/s (holds on 2 budgets)`;
    const restOpen = await watched({ ...rest, ...open });
    const restServedP99 = await servedIn(restOpen.window);
    results.push([restLabel, restOpen, true]);
    const gqlLabel = `Purser GraphQL @ ${options.rate}/s (holds)`;
    const gqlOpen = await watched({ ...gql, ...open });
    const gqlServedP99 = await servedIn(gqlOpen.window);
    results.push([gqlLabel, gqlOpen, true]);
    const restMax = await runLoad({ ...rest, ...closed });
    results.push([`Purser REST max (${options.concurrency} callers)`, restMax, false]);

    const served = await purser.dataSource.query(
      `SELECT path, count(*)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
         FROM decisions GROUP BY path ORDER BY path`,
    );
    // Holds placed in memory are all in the database once the allowances have synced.
    await purser.services.allowances?.flush();
    const [holds] = await purser.dataSource.query(
      `SELECT count(DISTINCT reservation_id)::int AS reservations, count(*)::int AS holds FROM reservation_holds`,
    );

    const input = buildDecisionInput({
      request: {
        attribution: { team: 'bench', feature: 'chat', environment: 'production' },
      },
      principal: { key_id: 'bench', role: 'gateway' },
      candidates: [],
      budgets: [
        buildBudget({ id: 'org', mode: 'block', limit_nanos: 10n ** 18n, soft_thresholds: [0.8] }),
        buildBudget({ id: 'team', mode: 'block', limit_nanos: 10n ** 18n, soft_thresholds: [0.8] }),
      ],
    });
    const opa = findOpa();
    let opaOpen: LoadResult | undefined;
    let opaMax: LoadResult | undefined;
    if (opa) {
      opaServer = await startOpa(opa);
      const peer = {
        url: opaServer.url,
        path: '/v1/data/purser/authz/decision',
        headers: {},
        body: `{"input":${toPolicyJson(input)}}`,
        expect: 'opa-allow' as const,
      };
      await runLoad({ ...peer, mode: 'closed', concurrency: 16, seconds: 2 });
      opaOpen = await runLoad({ ...peer, ...open });
      results.push([`plain opa run --server @ ${options.rate}/s`, opaOpen, true]);
      opaMax = await runLoad({ ...peer, ...closed });
      results.push([`plain opa run --server max (${options.concurrency} callers)`, opaMax, false]);
    } else {
      process.stdout.write(
        'opa is not on PATH (nor OPA_BIN): the plain OPA server peer is skipped\n',
      );
    }
    const wasm = await wasmLoop(input, 3);
    results.push(['opa-wasm evaluate in-process (the limit)', wasm, false]);
    const floorLabel = `bare Node HTTP answer @ ${options.rate}/s (the floor)`;
    const floor = await floorLoop(open, watched);
    results.push([floorLabel, floor, true]);

    process.stdout.write(
      `\n${'path'.padEnd(44)} ${'decisions/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'p99 / floor'.padStart(13)} ${'failed'.padStart(7)}\n`,
    );
    for (const [label, result, openLoop] of results)
      process.stdout.write(`${row(label, result, floor.p99Ms, openLoop)}\n`);
    process.stdout.write(
      `\nThe instance's process in each open-loop window (ms; loop delay: how late a timer due every ${LOOP_SAMPLE_MS} ms ran; GC %: the window's share spent in collections, so the share of requests due during a pause)\n`,
    );
    process.stdout.write(
      `${'window'.padEnd(44)} ${'client p99'.padStart(10)} ${'server p99'.padStart(10)} ${'loop p50'.padStart(8)} ${'loop p99'.padStart(8)} ${'loop max'.padStart(8)} ${'GCs'.padStart(5)} ${'GC ms'.padStart(8)} ${'GC max'.padStart(7)} ${'GC %'.padStart(7)}   GC by kind (count × mean pause)\n`,
    );
    for (const [label, result, served] of [
      [restLabel, restOpen, restServedP99],
      [gqlLabel, gqlOpen, gqlServedP99],
      [floorLabel, floor, undefined],
    ] as const)
      process.stdout.write(`${windowRow(label, result, served)}\n`);
    process.stdout.write(
      `\nServer-side (decision log latency_ms, all runs): ${served
        .map(
          (s: { path: string; n: number; p50: number; p99: number }) =>
            `${s.path} n=${s.n} p50=${Number(s.p50).toFixed(2)} ms p99=${Number(s.p99).toFixed(2)} ms`,
        )
        .join('; ')}\n`,
    );
    process.stdout.write(
      `Holds placed: ${holds.reservations} reservations, ${holds.holds} budget holds; ${purser.services.allowances?.placedInMemory ?? 0} placed in memory within allowances and ${purser.services.allowances?.placedOnNothing ?? 0} on no budget (docs/0005)\n`,
    );
    // What the heap growth setting costs: the instance, the floor and the load generator's
    // threads all live in this process.
    process.stdout.write(
      `Peak RSS of this process (the instance, the floor, the load generator threads): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
    );
    for (const [label, result] of results) {
      if ('firstFailure' in result && (result as LoadResult).firstFailure) {
        process.stdout.write(`first failure of ${label}: ${(result as LoadResult).firstFailure}\n`);
      }
    }

    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    const rateReached = (result: LoadResult) =>
      result.failed === 0 && result.perSecond >= options.rate * 0.97;
    process.stdout.write('\nTargets\n');
    process.stdout.write(
      `  REST p99 < ${TARGET_P99_MS} ms at ${options.rate}/s with holds: ${restOpen.p99Ms.toFixed(2)} ms (${(restOpen.p99Ms / floor.p99Ms).toFixed(1)}x the floor's ${floor.p99Ms.toFixed(2)} ms), ${restOpen.perSecond.toFixed(0)}/s → ${verdict(restOpen.p99Ms < TARGET_P99_MS && rateReached(restOpen))}\n`,
    );
    process.stdout.write(
      `  GraphQL p99 < ${TARGET_P99_MS} ms at ${options.rate}/s with holds: ${gqlOpen.p99Ms.toFixed(2)} ms (${(gqlOpen.p99Ms / floor.p99Ms).toFixed(1)}x the floor's), ${gqlOpen.perSecond.toFixed(0)}/s → ${verdict(gqlOpen.p99Ms < TARGET_P99_MS && rateReached(gqlOpen))}\n`,
    );
    if (opaOpen && opaMax) {
      process.stdout.write(
        `  REST decisions/s ≥ plain OPA at ${options.rate}/s: ${restOpen.perSecond.toFixed(0)} vs ${opaOpen.perSecond.toFixed(0)} → ${verdict(restOpen.perSecond >= opaOpen.perSecond * 0.99)}\n`,
      );
      process.stdout.write(
        `  REST max decisions/s vs plain OPA max: ${restMax.perSecond.toFixed(0)} vs ${opaMax.perSecond.toFixed(0)} (${((restMax.perSecond / opaMax.perSecond) * 100).toFixed(0)}%)\n`,
      );
    }
  } finally {
    watch.stop();
    opaServer?.stop();
    await purser?.stop();
    await benchDatabase.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exit(1);
});

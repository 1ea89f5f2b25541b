/**
 * Ingest benchmark: how many usage events per second go from JetStream into Postgres,
 * validated, priced and rolled up, compared with what JetStream alone accepts and what
 * Postgres alone inserts for the same events.
 *
 *   pnpm bench:ingest [--events 100000] [--batch-size N] [--concurrency N] [--budgets] [--keep]
 *
 * `--budgets` creates an org budget and one per team first, so every event also settles on
 * two budget windows in its ingest transaction (and the run checks their spend to the last
 * decimal); without budgets there is nothing to settle and a batch is one statement.
 *
 * Postgres: BENCH_DATABASE_URL or DATABASE_URL (used as an admin connection: the bench
 * creates a database of its own and drops it), else postgres://postgres@127.0.0.1:5432.
 * NATS: NATS_URL, else a nats-server it starts on a free port with a throwaway store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { USAGE_STREAM, usageSubject } from '@purser/adapters';
import { realisticUsageEvents } from '@purser/adapters/testing';
import { loadEnv, Purser } from '@purser/api';
import { Client } from 'pg';
import { freePort } from '../support/database';
import {
  connectNats,
  createIngestConsumer,
  deleteIngestConsumer,
  ensureUsageStreamForTests,
  publishPipelined,
} from '../support/nats';
import { createBenchDatabase } from './bench-database';

/** The throughput the pipeline must reach on a 2-core machine (NATS, Postgres and Purser on it). */
const TARGET_EVENTS_PER_SECOND = 10_000;

interface Options {
  events: number;
  batchSize?: number;
  concurrency?: number;
  /** Budgets before publishing: an org budget and one per team, so every event settles on two. */
  budgets: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { events: 100_000, budgets: false, keep: false };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = () => {
      const parsed = Number(argv[++index]);
      if (!Number.isInteger(parsed) || parsed <= 0)
        throw new Error(`${flag} needs a positive integer`);
      return parsed;
    };
    if (flag === '--events') options.events = value();
    else if (flag === '--batch-size') options.batchSize = value();
    else if (flag === '--concurrency') options.concurrency = value();
    else if (flag === '--budgets') options.budgets = true;
    else if (flag === '--keep') options.keep = true;
    else if (flag !== '--') throw new Error(`unknown argument ${flag}`);
  }
  return options;
}

async function startNatsServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'purser-bench-nats-'));
  const child: ChildProcess = spawn(
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    { stdio: 'ignore' },
  );
  const url = `nats://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve();
        });
        socket.on('error', reject);
      });
      break;
    } catch (error) {
      if (attempt > 100) throw new Error(`nats-server did not start: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** What the publishing worker is asked to do. */
interface PublisherTask {
  natsUrl: string;
  count: number;
  source: string;
  /** `raw`: a subject the ingest consumer does not read; `usage`: purser.usage.v1.<provider>. */
  mode: 'raw' | 'usage';
}

const SEED = 42;
const SPACING_MS = 50;

/**
 * The gateways' side, in a worker thread: like a gateway it has its own event loop (it
 * still shares the machine's two cores). Builds the events, connects, reports `ready`,
 * publishes on `go` and reports how long publishing took.
 */
async function runPublisher(task: PublisherTask): Promise<void> {
  const events = [
    ...realisticUsageEvents(task.count, SEED, { source: task.source, spacingMs: SPACING_MS }),
  ];
  // Bodies are encoded before the clock starts, as a gateway holds its bytes ready.
  const encoder = new TextEncoder();
  const messages = events.map((event) => ({
    subject:
      task.mode === 'raw'
        ? `purser.usage.bench.${task.source}`
        : usageSubject(String(event.provider)),
    body: encoder.encode(JSON.stringify(event)),
    msgId: `${task.mode}:${task.source}:${event.id}`,
  }));
  const nats = await connectNats(task.natsUrl);
  parentPort!.postMessage({ ready: true });
  await new Promise((resolve) => parentPort!.once('message', resolve));
  const started = process.hrtime.bigint();
  const { duplicates } = await publishPipelined(nats, messages, { window: 1024 });
  if (duplicates > 0) throw new Error(`${duplicates} messages were taken for duplicates`);
  parentPort!.postMessage({ seconds: seconds(started) });
  await nats.close();
}

/** Starts a publisher; `go()` starts publishing and resolves with its duration. */
async function startPublisher(task: PublisherTask): Promise<{ go(): Promise<number> }> {
  const worker = new Worker(__filename, { workerData: task });
  const next = () =>
    new Promise<{ ready?: boolean; seconds?: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  await next();
  return {
    async go() {
      const done = next();
      worker.postMessage('go');
      return (await done).seconds!;
    },
  };
}

function seconds(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e9;
}

/**
 * Raw Postgres baseline: the rows the service stored, read back as column arrays and
 * inserted again into an empty copy of `usage_events` with the same multi-row unnest
 * INSERT … ON CONFLICT (source, event_id) DO NOTHING, batch size and concurrency — no
 * parsing, validation, pricing, rollups or NATS.
 */
async function rawInsertRate(
  url: string,
  source: string,
  batchSize: number,
  concurrency: number,
): Promise<{ rows: number; seconds: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(
    'CREATE TABLE bench_usage_events (LIKE usage_events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)',
  );
  const columns: { column_name: string; data_type: string; udt_name: string }[] = (
    await client.query(
      `SELECT column_name, data_type, udt_name FROM information_schema.columns
       WHERE table_name = 'usage_events' AND column_name NOT IN ('id', 'received_at', 'priced_at')
       ORDER BY ordinal_position`,
    )
  ).rows;
  // jsonb and text[] travel as text, as the service sends them.
  const wireType = (column: (typeof columns)[number]) =>
    column.data_type === 'jsonb' || column.data_type === 'ARRAY' ? 'text' : column.udt_name;
  const select = columns.map((column) =>
    column.data_type === 'ARRAY'
      ? `ARRAY(SELECT jsonb_array_elements_text(x.${column.column_name}::jsonb))`
      : column.data_type === 'jsonb'
        ? `x.${column.column_name}::jsonb`
        : `x.${column.column_name}`,
  );
  const names = columns.map((column) => column.column_name);
  const sql = `INSERT INTO bench_usage_events (${names.join(', ')})
    SELECT ${select.join(', ')}
    FROM unnest(${columns.map((column, index) => `$${index + 1}::${wireType(column)}[]`).join(', ')}) AS x(${names.join(', ')})
    ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id`;
  const rows: Record<string, unknown>[] = (
    await client.query(
      `SELECT ${columns
        .map((column) =>
          column.data_type === 'ARRAY'
            ? `to_jsonb(${column.column_name})::text AS ${column.column_name}`
            : column.data_type === 'jsonb'
              ? `${column.column_name}::text AS ${column.column_name}`
              : column.udt_name === 'numeric' || column.udt_name === 'timestamptz'
                ? `${column.column_name}::text AS ${column.column_name}`
                : column.column_name,
        )
        .join(', ')} FROM usage_events WHERE source = $1`,
      [source],
    )
  ).rows;
  await client.end();

  const batches: unknown[][] = [];
  for (let offset = 0; offset < rows.length; offset += batchSize) {
    const part = rows.slice(offset, offset + batchSize);
    batches.push(names.map((name) => part.map((row) => row[name])));
  }
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const worker = new Client({ connectionString: url });
      await worker.connect();
      return worker;
    }),
  );
  let next = 0;
  let inserted = 0;
  let elapsed = 0;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      clients.map(async (worker) => {
        while (next < batches.length) {
          const params = batches[next]!;
          next += 1;
          await worker.query('BEGIN');
          const result = await worker.query(sql, params);
          inserted += result.rowCount ?? 0;
          await worker.query('COMMIT');
        }
      }),
    );
    elapsed = seconds(started);
  } finally {
    await Promise.all(clients.map((worker) => worker.end()));
  }
  if (inserted !== rows.length) throw new Error(`raw insert stored ${inserted} of ${rows.length}`);
  return { rows: inserted, seconds: elapsed };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const count = options.events;
  const ownNats = process.env.NATS_URL ? undefined : await startNatsServer();
  const natsUrl = process.env.NATS_URL ?? ownNats!.url;
  const benchDatabase = await createBenchDatabase();
  const databaseUrl = benchDatabase.url;
  const source = `bench-${randomBytes(4).toString('hex')}`;
  const consumerName = `purser-bench-${randomBytes(4).toString('hex')}`;

  const nats: NatsConnection = await connectNats(natsUrl);
  let purser: Purser | undefined;
  try {
    // Own server: a fresh stream. Shared server: the shared stream, a consumer of our own
    // that starts at new messages, and a unique source to count our rows by.
    await ensureUsageStreamForTests(nats);
    await createIngestConsumer(nats, consumerName);

    // (a) JetStream alone: the same bodies to a subject the stream keeps but the ingest
    // consumer does not read, then purged.
    const rawPublisher = await startPublisher({ natsUrl, count, source, mode: 'raw' });
    const publish = { seconds: await rawPublisher.go() };
    await (
      await jetstreamManager(nats)
    ).streams.purge(USAGE_STREAM, { filter: `purser.usage.bench.${source}` });
    const averageBytes = Math.round(
      [...realisticUsageEvents(Math.min(count, 1000), SEED, { source })].reduce(
        (sum, event) => sum + JSON.stringify(event).length,
        0,
      ) / Math.min(count, 1000),
    );

    const env = loadEnv({
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      PORT: '0',
      DATABASE_URL: databaseUrl.toString(),
      NATS_URL: natsUrl,
      INGEST_CONSUMER_NAME: consumerName,
      ...(options.batchSize ? { INGEST_BATCH_SIZE: String(options.batchSize) } : {}),
      ...(options.concurrency ? { INGEST_CONCURRENCY: String(options.concurrency) } : {}),
    });
    purser = await Purser.create({ env });
    const teams = options.budgets
      ? [
          ...new Set(
            [...realisticUsageEvents(Math.min(count, 1000), SEED)].map((event) =>
              String((event.attribution as { team?: string } | undefined)?.team),
            ),
          ),
        ]
      : [];
    if (options.budgets) {
      // Usage is filed in the window of its own timestamp: the events' month, in UTC.
      for (const [name, scope] of [
        ['bench org', {}],
        ...teams.map((team) => [`bench ${team}`, { team }] as const),
      ] as const) {
        await purser.services.budgets.create({
          name,
          scope,
          period: 'monthly',
          timezone: 'UTC',
          limit: '1000000000',
          currency: 'USD',
          mode: 'block',
          softThresholds: [0.8],
          downgradeChain: [],
        });
      }
    }

    // End to end: publishing starts with the service idle; the clock stops when the last
    // event is in Postgres.
    const publisher = await startPublisher({ natsUrl, count, source, mode: 'usage' });
    const poller = new Client({ connectionString: databaseUrl.toString() });
    await poller.connect();
    const started = process.hrtime.bigint();
    let publishedAfter = 0;
    const publishing = publisher.go().then(() => {
      publishedAfter = seconds(started);
    });
    // Counting the rows of our source reads the whole table (tens of ms of Postgres CPU at
    // 100,000 rows, taken from the system under test 20 times a second). The largest id is
    // one index lookup, and `count` stored rows have `count` distinct ids from 1, so the
    // exact count runs only once the largest id says it can be complete.
    let stored = 0;
    let marker = 0;
    let lastProgress = Date.now();
    while (stored < count) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const [top] = (await poller.query('SELECT coalesce(max(id), 0)::int AS id FROM usage_events'))
        .rows;
      let progress = top.id;
      if (top.id >= count) {
        const [row] = (
          await poller.query('SELECT count(*)::int AS n FROM usage_events WHERE source = $1', [
            source,
          ])
        ).rows;
        stored = row.n;
        progress += stored;
      }
      if (progress !== marker) lastProgress = Date.now();
      marker = progress;
      if (Date.now() - lastProgress > 60_000)
        throw new Error(`stalled at id ${top.id}, ${stored} of ${count} counted`);
    }
    const endToEnd = { seconds: seconds(started) };
    await publishing;

    const [check] = (
      await poller.query(
        `SELECT count(DISTINCT event_id)::int AS ids,
                (SELECT count(*)::int FROM dead_letters) AS letters,
                (SELECT sum(requests)::int FROM usage_hourly) AS requests
         FROM usage_events WHERE source = $1`,
        [source],
      )
    ).rows;
    if (options.budgets) {
      // Every event's cost is on the org budget and on its team's, to the last decimal.
      const [spend] = (
        await poller.query(
          `SELECT (SELECT coalesce(sum(cost), 0) FROM usage_events WHERE source = $1)::text AS cost,
                  (SELECT coalesce(sum(w.spent), 0) FROM budget_windows w JOIN budgets b ON b.id = w.budget_id
                    WHERE b.scope = '{}'::jsonb)::text AS org,
                  (SELECT coalesce(sum(w.spent), 0) FROM budget_windows w JOIN budgets b ON b.id = w.budget_id
                    WHERE b.scope <> '{}'::jsonb)::text AS teams`,
          [source],
        )
      ).rows;
      if (spend.org !== spend.cost || spend.teams !== spend.cost) {
        throw new Error(`budget spend does not match usage: ${JSON.stringify(spend)}`);
      }
    }
    await poller.end();
    await purser.stop();
    purser = undefined;
    if (check.ids !== count || check.letters !== 0 || check.requests < count) {
      throw new Error(`inconsistent result: ${JSON.stringify(check)}`);
    }

    // (b) Postgres alone, same rows, batch size and concurrency as the consumer.
    const insert = await rawInsertRate(
      databaseUrl.toString(),
      source,
      env.INGEST_BATCH_SIZE,
      env.INGEST_CONCURRENCY,
    );

    const rate = (seconds: number) => count / seconds;
    const endToEndRate = rate(endToEnd.seconds);
    const table = [
      ['JetStream publish only', count, publish.seconds, rate(publish.seconds)],
      ['Postgres insert only (same rows)', insert.rows, insert.seconds, rate(insert.seconds)],
      ['end to end (publish → stored)', count, endToEnd.seconds, endToEndRate],
    ] as const;
    console.log(
      `\n${count} events, ~${averageBytes} bytes each; batch size ${env.INGEST_BATCH_SIZE}, ` +
        `concurrency ${env.INGEST_CONCURRENCY}; ${options.budgets ? `budgets: org + ${teams.length} teams (each event settles on 2)` : 'no budgets'}; NATS ${ownNats ? 'own nats-server' : natsUrl}; ` +
        `publishing took ${publishedAfter.toFixed(2)} s of the end-to-end run\n`,
    );
    console.log(
      `${'phase'.padEnd(36)}${'events'.padStart(10)}${'seconds'.padStart(10)}${'events/s'.padStart(12)}`,
    );
    for (const [name, events, elapsed, perSecond] of table) {
      console.log(
        `${name.padEnd(36)}${String(events).padStart(10)}${elapsed.toFixed(2).padStart(10)}${Math.round(perSecond).toString().padStart(12)}`,
      );
    }
    console.log(
      `\nend to end / publish: ${(endToEndRate / rate(publish.seconds)).toFixed(2)}` +
        `   end to end / insert: ${(endToEndRate / rate(insert.seconds)).toFixed(2)}`,
    );
    const met = endToEndRate >= TARGET_EVENTS_PER_SECOND;
    console.log(
      `target ≥ ${TARGET_EVENTS_PER_SECOND} events/s end to end: ${met ? 'met' : 'NOT met'} (${Math.round(endToEndRate)} events/s)`,
    );
    if (!met) process.exitCode = 1;
  } catch (error) {
    // Reported before the clean-up, which may fail in turn and hide it.
    console.error(error);
    process.exitCode = 1;
  } finally {
    if (purser) await purser.stop();
    await deleteIngestConsumer(nats, consumerName);
    await nats.close();
    await ownNats?.stop();
    if (!options.keep) await benchDatabase.drop();
    else console.log(`kept database ${databaseUrl.toString()}`);
  }
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  runPublisher(workerData as PublisherTask).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

/**
 * FOCUS export benchmark: a month of usage that makes about a million export rows (30 days ×
 * 2 models × 3 token types × N attribution combinations, two allocation rules splitting some
 * of them), written with COPY, then exported over HTTP (`GET /v1/exports/focus`, version 1.3)
 * and read as it streams. Prints rows/s, MB/s and the peak RSS of the process hosting the
 * service beside the 300 MB limit, and checks that BilledCost sums exactly to the events' cost.
 *
 *   pnpm bench:export [--rows N] [--keep]
 *
 * The service runs as its own process (`node packages/api/dist/main.js`, production settings);
 * its peak RSS during the export is the kernel's (VmHWM, reset before the export). The export
 * is read by a child process that counts records and sums BilledCost as they arrive. Postgres:
 * BENCH_DATABASE_URL or DATABASE_URL (an admin connection: the bench creates a database of its
 * own and drops it unless --keep), else postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Money } from '@purser/pricing';
import { createBenchDatabase } from './bench-database';
import { type ServiceProcess, startServiceProcess } from './service-process';

const RSS_LIMIT_MB = 300;
const DAYS = 30;
const MONTH_START = Date.UTC(2026, 10, 1);
/** Prices in nano-dollars per token (the default catalog's gpt-4o-mini and a second model). */
const MODELS = [
  { provider: 'openai', model: 'gpt-4o-mini', input: 150n, output: 600n, cacheRead: 75n },
  { provider: 'anthropic', model: 'claude-3-5-haiku', input: 800n, output: 4000n, cacheRead: 80n },
];
const TOKEN_TYPES = 3;

const log = (message: string) => console.log(message);
const nanos = (value: bigint) => {
  const text = value.toString().padStart(10, '0');
  const fraction = text.slice(-9).replace(/0+$/, '');
  return fraction ? `${text.slice(0, -9)}.${fraction}` : text.slice(0, -9);
};
const perToken = (value: bigint) => nanos(value);

function parseArgs(argv: string[]): { rows: number; keep: boolean } {
  const options = { rows: 1_000_000, keep: false };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    if (flag === '--rows') options.rows = Number(argv[++index]);
    else if (flag === '--keep') options.keep = true;
    else if (flag !== '--') throw new Error(`unknown argument ${flag}`);
  }
  if (!Number.isInteger(options.rows) || options.rows < 1000) throw new Error('--rows ≥ 1000');
  return options;
}

async function copy(databaseUrl: string, sql: string, lines: Iterable<string>): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const stream: Writable = client.query(copyFrom(sql));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length > 1 << 20) {
        if (!stream.write(chunk)) await once(stream, 'drain');
        chunk = '';
      }
    }
    stream.end(chunk);
    await done;
  } finally {
    await client.end();
  }
}

/**
 * Reads the export in a child process (so this process's RSS is the service's alone): counts
 * the records and bytes and sums BilledCost as the bytes arrive, keeping nothing.
 */
const READER = `
const { Decimal } = require(process.argv[3]);
(async () => {
  const started = process.hrtime.bigint();
  const response = await fetch(process.argv[1], { headers: { authorization: 'Bearer ' + process.argv[2] } });
  if (response.status !== 200) throw new Error('export answered ' + response.status + ': ' + (await response.text()));
  const firstByteMs = Number(process.hrtime.bigint() - started) / 1e6;
  const decoder = new TextDecoder();
  let rest = '', lines = 0, bytes = 0, at = -1, billed = new Decimal(0);
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    const records = (rest + decoder.decode(chunk, { stream: true })).split('\\r\\n');
    rest = records.pop();
    for (const record of records) {
      lines += 1;
      // The columns before BilledCost are all null here (empty): its offset is theirs.
      if (lines === 1) { at = record.split(',').indexOf('BilledCost'); continue; }
      billed = billed.plus(record.slice(at, record.indexOf(',', at)));
    }
  }
  process.stdout.write(JSON.stringify({ lines, bytes, firstByteMs, billed: billed.toFixed() }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function readInChild(
  url: string,
  token: string,
): Promise<{ lines: number; bytes: number; firstByteMs: number; billed: string }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      READER,
      url,
      token,
      require.resolve('decimal.js', { paths: [require.resolve('@purser/pricing')] }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`the reader exited with ${code}`);
  return JSON.parse(out) as { lines: number; bytes: number; firstByteMs: number; billed: string };
}

/** One event a day × model × combination (three priced token lines), and its hourly row. */
function* month(combos: number, kind: 'events' | 'hourly'): Generator<string> {
  for (let day = 0; day < DAYS; day += 1) {
    const at = new Date(MONTH_START + day * 86_400_000 + 12 * 3_600_000).toISOString();
    for (const [modelIndex, model] of MODELS.entries()) {
      for (let combo = 0; combo < combos; combo += 1) {
        const input = BigInt(1000 + (combo % 997));
        const output = BigInt(100 + (combo % 89));
        const cacheRead = BigInt(50 + (combo % 31));
        const amounts = [input * model.input, output * model.output, cacheRead * model.cacheRead];
        const cost = amounts.reduce((sum, amount) => sum + amount, 0n);
        const dims = `${model.provider}\t${model.model}\tteam-${combo % 50}\tfeature-${Math.floor(combo / 50)}\tproject-${combo % 7}`;
        if (kind === 'hourly') {
          yield `${at}\t${dims}\tUSD\t1\t0\t${nanos(cost)}\t${input}\t${output}\t${cacheRead}\n`;
          continue;
        }
        const breakdown = JSON.stringify([
          {
            key: 'input_tokens',
            quantity: Number(input),
            unit_price: perToken(model.input),
            amount: nanos(amounts[0]),
          },
          {
            key: 'cache_read_tokens',
            quantity: Number(cacheRead),
            unit_price: perToken(model.cacheRead),
            amount: nanos(amounts[2]),
          },
          {
            key: 'output_tokens',
            quantity: Number(output),
            unit_price: perToken(model.output),
            amount: nanos(amounts[1]),
          },
        ]);
        yield `bench\t${day}-${modelIndex}-${combo}\t${at}\tbench\t${dims}\t${input}\t${output}\t${cacheRead}\t${nanos(cost)}\tUSD\t${breakdown}\tbench-card-${modelIndex}\tf\n`;
      }
    }
  }
}

/** A kB figure of /proc/<pid>/status (`VmRSS`, `VmHWM`), in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return match ? Number(match[1]) * 1024 : 0;
}

/** A GraphQL operation as the admin; throws with the errors when there are any. */
async function graphql(service: ServiceProcess, query: string, variables: Record<string, unknown>) {
  const body = await service.graphql(query, variables);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const combos = Math.ceil(options.rows / (DAYS * MODELS.length * TOKEN_TYPES));
  const benchDatabase = await createBenchDatabase();
  const { name: databaseName, url: databaseUrl } = benchDatabase;
  let service: ServiceProcess | undefined;
  const sql = new Client({ connectionString: databaseUrl.toString() });
  try {
    // The service migrates the new database as it starts.
    service = await startServiceProcess({ databaseUrl: databaseUrl.toString() });
    await sql.connect();
    const events = DAYS * MODELS.length * combos;
    log(`writing ${events} events (${combos} combinations × 2 models × 30 days) with COPY…`);
    const started = Date.now();
    await copy(
      databaseUrl.toString(),
      `COPY usage_events (source, event_id, occurred_at, ingest_path, provider, model, team, feature, project, input_tokens, output_tokens, cache_read_tokens, cost, currency, cost_breakdown, price_card_id, unpriced) FROM STDIN`,
      month(combos, 'events'),
    );
    await copy(
      databaseUrl.toString(),
      `COPY usage_hourly (hour, provider, model, team, feature, project, currency, requests, unpriced_requests, cost, input_tokens, output_tokens, cache_read_tokens) FROM STDIN`,
      month(combos, 'hourly'),
    );
    // The daily rollup ingest keeps beside the hourly one (the chargeback reads whole days).
    await sql.query(
      `INSERT INTO usage_daily (day, provider, model, team, feature, project, currency, requests, unpriced_requests, cost, input_tokens, output_tokens, cache_read_tokens)
       SELECT date_trunc('day', hour, 'UTC'), provider, model, team, feature, project, currency,
         sum(requests), sum(unpriced_requests), sum(cost), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens)
       FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    );
    await sql.query('VACUUM (ANALYZE) usage_hourly, usage_daily, usage_events');
    // Two rules: team-1 split evenly between two cost centers, team-2 to one.
    const center = `mutation($input: CostCenterInput!) { createCostCenter(input: $input) { code } }`;
    const rule = `mutation($input: AllocationRuleInput!) { createAllocationRule(input: $input) { id } }`;
    await graphql(service, center, { input: { code: 'CC-A', name: 'A' } });
    await graphql(service, center, { input: { code: 'CC-B', name: 'B' } });
    const effectiveFrom = '2026-10-01T00:00:00Z';
    await graphql(service, rule, {
      input: {
        name: 'team-1 shared',
        priority: 10,
        match: { team: 'team-1' },
        method: 'EVEN',
        targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B' }],
        effectiveFrom,
      },
    });
    await graphql(service, rule, {
      input: {
        name: 'team-2',
        priority: 20,
        match: { team: 'team-2' },
        method: 'DIRECT',
        targets: [{ costCenter: 'CC-A' }],
        effectiveFrom,
      },
    });
    const {
      rows: [{ total }],
    } = await sql.query<{ total: string }>(`SELECT sum(cost)::text AS total FROM usage_events`);
    log(`written in ${((Date.now() - started) / 1000).toFixed(1)} s; events cost ${total} USD`);

    const { pid } = service;
    const before = procStatus(pid, 'VmRSS');
    const startupPeak = procStatus(pid, 'VmHWM');
    // Resets VmHWM (the kernel's peak RSS) so it measures the export alone.
    let hwmReset = true;
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      hwmReset = false;
    }
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, procStatus(pid, 'VmRSS'));
    }, 20);
    const exportStarted = process.hrtime.bigint();
    const read = await readInChild(
      `${service.url}/v1/exports/focus?from=2026-11-01&to=2026-12-01&version=1.3`,
      service.adminToken,
    );
    const { lines, bytes, firstByteMs } = read;
    const billed = new Money(read.billed);
    const seconds = Number(process.hrtime.bigint() - exportStarted) / 1e9;
    clearInterval(sampler);
    if (hwmReset) peak = Math.max(peak, procStatus(pid, 'VmHWM'));
    const rows = lines - 1;
    const mb = (value: number) => (value / 1024 / 1024).toFixed(0);
    log(
      `exported ${rows} rows (${mb(bytes)} MB) in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds)} rows/s, ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MB/s; first byte after ${firstByteMs.toFixed(0)} ms`,
    );
    log(
      `peak RSS of the service (node packages/api/dist/main.js) during the export: ${mb(peak)} MB (${hwmReset ? 'VmHWM' : 'VmRSS every 20 ms'}; ${mb(before)} MB before it, ${mb(startupPeak)} MB peak since start; limit ${RSS_LIMIT_MB} MB) — ${peak / 1024 / 1024 <= RSS_LIMIT_MB ? 'within' : 'OVER'} the limit`,
    );
    const tied = billed.equals(total);
    log(`BilledCost sum ${billed.toFixed()} ${tied ? '=' : '≠'} events cost ${total}`);
    if (!tied || peak / 1024 / 1024 > RSS_LIMIT_MB) process.exitCode = 1;
  } finally {
    await sql.end().catch(() => undefined);
    await service?.stop();
    if (!options.keep) {
      await benchDatabase.drop();
    } else log(`kept database ${databaseName}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

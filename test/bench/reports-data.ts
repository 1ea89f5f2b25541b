/**
 * The reports benchmark's data: a month of usage for 2,000 attribution combinations, written
 * straight into `usage_hourly` (one row per combination and hour) and `usage_events` (one
 * row per request) with COPY, the way the ingest transaction would have left them: every
 * hourly row is the exact sum of its hour's events. Reproducible from a seed; costs are exact
 * decimals (integer pico-dollars while generated).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** The benchmark's month: November 2026, 30 days of 720 UTC hours. */
export const MONTH_START = new Date('2026-11-01T00:00:00Z');
export const MONTH_END = new Date('2026-12-01T00:00:00Z');
export const HOURS = (MONTH_END.getTime() - MONTH_START.getTime()) / 3_600_000;

export const TEAMS = 20;
export const FEATURES = 10;
export const CUSTOMERS = 10;
/** team × feature × customer: every combination distinct. */
export const COMBINATIONS = TEAMS * FEATURES * CUSTOMERS;
/** Combinations whose events carry the tag `cost_pool: shared-evals` (every 20th). */
export const TAGGED_EVERY = 20;
export const TAG = { key: 'cost_pool', value: 'shared-evals' } as const;

/**
 * The models usage is spread over, with list prices in pico-dollars (1e-12 USD) per token:
 * a price of $0.15 per 1M tokens is 150,000.
 */
export const MODELS = [
  { provider: 'openai', model: 'gpt-4o-mini', input: 150_000n, output: 600_000n },
  { provider: 'openai', model: 'gpt-4o', input: 2_500_000n, output: 10_000_000n },
  { provider: 'anthropic', model: 'claude-sonnet-4', input: 3_000_000n, output: 15_000_000n },
  { provider: 'anthropic', model: 'claude-haiku-3.5', input: 800_000n, output: 4_000_000n },
  { provider: 'google', model: 'gemini-2.0-flash', input: 100_000n, output: 400_000n },
] as const;

export interface Combination {
  provider: string;
  model: string;
  team: string;
  feature: string;
  environment: string;
  customer: string;
  project: string;
  agent: string | null;
  tagged: boolean;
  inputPrice: bigint;
  outputPrice: bigint;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

export const teamName = (index: number) => `team-${pad(index)}`;
export const featureName = (index: number) => `feature-${index}`;
export const customerName = (index: number) => `customer-${index}`;

/** The 2,000 combinations: team, feature and customer spell the index; the rest varies with it. */
export function combinations(): Combination[] {
  return Array.from({ length: COMBINATIONS }, (_, index) => {
    const model = MODELS[(index * 7 + Math.floor(index / 20)) % MODELS.length]!;
    return {
      provider: model.provider,
      model: model.model,
      team: teamName(index % TEAMS),
      feature: featureName(Math.floor(index / TEAMS) % FEATURES),
      customer: customerName(Math.floor(index / (TEAMS * FEATURES))),
      environment: index % 3 === 0 ? 'staging' : 'production',
      project: `project-${index % 7}`,
      agent: index % 5 === 0 ? `agent-${index % 4}` : null,
      tagged: index % TAGGED_EVERY === 7,
      inputPrice: model.input,
      outputPrice: model.output,
    };
  });
}

/** mulberry32: a small, fast, seedable generator (uniform in [0, 1)). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Requests per (hour, combination), hour-major, summing to exactly `total`: 1 to 12 each,
 * then adjusted one request at a time over evenly spread rows (never below 1).
 */
export function requestCounts(
  total: number,
  seed: number,
  rows = HOURS * COMBINATIONS,
): Uint16Array {
  if (total < rows) throw new Error(`at least ${rows} requests (one per hourly row)`);
  const next = random(seed);
  const counts = new Uint16Array(rows);
  let sum = 0;
  for (let index = 0; index < rows; index += 1) {
    counts[index] = 1 + Math.floor(next() * 12);
    sum += counts[index]!;
  }
  let difference = total - sum;
  const step = 7919; // a prime: the adjustments spread over hours and combinations
  for (let index = 0; difference !== 0; index = (index + step) % rows) {
    if (difference > 0) {
      counts[index] = counts[index]! + 1;
      difference -= 1;
    } else if (counts[index]! > 1) {
      counts[index] = counts[index]! - 1;
      difference += 1;
    }
  }
  return counts;
}

/** Pico-dollars as a plain decimal string of dollars (`1500000` → `"0.0000015"`). */
export function dollars(picos: bigint): string {
  const text = picos.toString().padStart(13, '0');
  const whole = text.slice(0, -12);
  const fraction = text.slice(-12).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A COPY … FROM STDIN stream on `client` that resolves once Postgres has taken it all. */
function copyStream(client: Client, sql: string): { stream: Writable; done: Promise<void> } {
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  return { stream, done };
}

/** Buffers text lines and writes them in ~1 MB chunks, waiting when the stream is full. */
class LineWriter {
  private lines: string[] = [];
  private size = 0;
  constructor(private readonly stream: Writable) {}
  /** Adds a line; true when the buffer is full and should be flushed (awaited). */
  push(line: string): boolean {
    this.lines.push(line);
    this.size += line.length;
    return this.size >= 1 << 20;
  }
  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
  }
}

const EVENT_COLUMNS =
  'source, event_id, occurred_at, ingest_path, provider, model, team, feature, environment, customer, project, user_id, agent, tags, input_tokens, output_tokens, cost, currency, cost_breakdown, unpriced';
const HOURLY_COLUMNS =
  'hour, provider, model, team, feature, environment, customer, project, user_id, agent, currency, requests, unpriced_requests, cost, input_tokens, output_tokens';

export interface WrittenData {
  /** Requests in the rollup (its `requests` summed). */
  requests: number;
  hourlyRows: number;
  /** Events written (whole hours from the month's start, up to the limit asked). */
  events: number;
  /** The hours the events cover, from the month's start. */
  eventHours: number;
  /** The month's cost, exact. */
  total: string;
  /** Cost per team and UTC day, exact: what `spend` grouped by team × day must answer. */
  teamDays: Map<string, string>;
  seconds: number;
}

/**
 * Generates the month and COPYs it: `usage_hourly` in full (`requests` rows summing to
 * exactly `requests`), `usage_events` for whole hours from the month's start up to
 * `maxEvents` (every event of those hours). Both streams are written in one pass over the
 * generated requests, on two connections.
 */
export async function writeMonth(
  databaseUrl: string,
  options: { requests: number; maxEvents: number; seed: number },
  progress: (message: string) => void,
): Promise<WrittenData> {
  const started = process.hrtime.bigint();
  const combos = combinations();
  const counts = requestCounts(options.requests, options.seed);
  const next = random(options.seed ^ 0x5eed);
  const hourlyClient = new Client({ connectionString: databaseUrl });
  const eventClient = new Client({ connectionString: databaseUrl });
  await Promise.all([hourlyClient.connect(), eventClient.connect()]);
  try {
    const hourly = copyStream(hourlyClient, `COPY usage_hourly (${HOURLY_COLUMNS}) FROM STDIN`);
    const events = copyStream(eventClient, `COPY usage_events (${EVENT_COLUMNS}) FROM STDIN`);
    const hourlyLines = new LineWriter(hourly.stream);
    const eventLines = new LineWriter(events.stream);
    const tagsOf = (combo: Combination) => (combo.tagged ? `{"${TAG.key}": "${TAG.value}"}` : '{}');
    const nullable = (value: string | null) => value ?? '\\N';
    let total = 0n;
    let written = 0;
    let eventHours = 0;
    let writingEvents = true;
    const teamDays = new Map<string, bigint>();
    for (let hour = 0; hour < HOURS; hour += 1) {
      const start = new Date(MONTH_START.getTime() + hour * 3_600_000);
      const hourText = start.toISOString();
      const day = hourText.slice(0, 10);
      const minutePrefix = hourText.slice(0, 14); // "2026-11-05T13:"
      let hourRequests = 0;
      for (let combo = 0; combo < COMBINATIONS; combo += 1)
        hourRequests += counts[hour * COMBINATIONS + combo]!;
      if (writingEvents && written + hourRequests > options.maxEvents) writingEvents = false;
      if (writingEvents) eventHours += 1;
      for (let index = 0; index < COMBINATIONS; index += 1) {
        const combo = combos[index]!;
        const requests = counts[hour * COMBINATIONS + index]!;
        const dimensions = `${combo.provider}\t${combo.model}\t${combo.team}\t${combo.feature}\t${combo.environment}\t${combo.customer}\t${combo.project}\t\\N\t${nullable(combo.agent)}`;
        let cost = 0n;
        let input = 0;
        let output = 0;
        for (let request = 0; request < requests; request += 1) {
          const inputTokens = 200 + Math.floor(next() * 3000);
          const outputTokens = 20 + Math.floor(next() * 800);
          const second = Math.floor(next() * 3600);
          const eventCost =
            BigInt(inputTokens) * combo.inputPrice + BigInt(outputTokens) * combo.outputPrice;
          cost += eventCost;
          input += inputTokens;
          output += outputTokens;
          if (writingEvents) {
            const at = `${minutePrefix}${pad(Math.floor(second / 60))}:${pad(second % 60)}Z`;
            const full = eventLines.push(
              `bench\t${hour}-${index}-${request}\t${at}\tbench\t${dimensions}\t${tagsOf(combo)}\t${inputTokens}\t${outputTokens}\t${dollars(eventCost)}\tUSD\t[]\tf\n`,
            );
            if (full) await eventLines.flush();
          }
        }
        if (writingEvents) written += requests;
        total += cost;
        const key = `${combo.team}|${day}`;
        teamDays.set(key, (teamDays.get(key) ?? 0n) + cost);
        const full = hourlyLines.push(
          `${hourText}\t${dimensions}\tUSD\t${requests}\t0\t${dollars(cost)}\t${input}\t${output}\n`,
        );
        if (full) await hourlyLines.flush();
      }
      if (hour % 72 === 71) progress(`  generated ${hour + 1} of ${HOURS} hours`);
    }
    await Promise.all([hourlyLines.end(), eventLines.end()]);
    await Promise.all([hourly.done, events.done]);
    return {
      requests: options.requests,
      hourlyRows: HOURS * COMBINATIONS,
      events: written,
      eventHours,
      total: dollars(total),
      teamDays: new Map([...teamDays].map(([key, value]) => [key, dollars(value)])),
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    await Promise.all([hourlyClient.end(), eventClient.end()]);
  }
}

/**
 * OTLP ingest benchmark: usage events per second through `POST /v1/traces` (OTLP/HTTP
 * protobuf, the spans the OpenTelemetry SDK's proto exporter sends) against `POST /v1/usage`
 * for the same calls (same model, tokens and attribution), in rounds where each path goes
 * first in turn, so the machine's drift hits both alike. Bodies are encoded before the
 * clock starts: what is measured is the service's work, receiving to stored. Target: OTLP at
 * least half of `/v1/usage`'s rate.
 *
 *   node test/dist/bench/client-otlp.js [--events 20000] [--batch 500] [--concurrency 4] [--rounds 2]
 *
 * Or from another bench, against its running instance: `benchOtlpIngest(service, options)`.
 * Postgres: DATABASE_URL (an admin connection: the bench creates a database and drops it).
 */
import { performance } from 'node:perf_hooks';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { chatAttributes, recordSpans } from '../integrations/otlp-support';
import { startPurser, type RunningPurser } from '../support/purser';

/** OTLP ingest must reach this share of `/v1/usage`'s rate. */
export const OTLP_TARGET_RATIO = 0.5;

export interface OtlpBenchOptions {
  /** Events per round and per path. */
  events: number;
  /** Events per request. */
  batch: number;
  /** Requests in flight. */
  concurrency: number;
  /** Rounds per path, alternating. */
  rounds: number;
}

export interface OtlpBenchResult {
  usagePerSecond: number;
  otlpPerSecond: number;
  ratio: number;
  events: number;
}

const TEAMS = 8;

/** One round's bodies for both paths: the same calls, as spans and as usage events. */
async function roundBodies(
  options: OtlpBenchOptions,
  round: number,
): Promise<{ usage: string[]; otlp: Buffer[] }> {
  const usage: string[] = [];
  const otlp: Buffer[] = [];
  for (let start = 0; start < options.events; start += options.batch) {
    const size = Math.min(options.batch, options.events - start);
    const specs = Array.from({ length: size }, (_, index) => ({
      name: 'chat gpt-4o-mini',
      attributes: chatAttributes({
        'purser.team': `bench-team-${(start + index) % TEAMS}`,
        'purser.feature': 'bench',
      }),
    }));
    const spans = await recordSpans({ 'service.name': 'bench' }, specs);
    otlp.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
    usage.push(
      JSON.stringify(
        spans.map((span, index) => ({
          id: `bench-${round}-${start + index}-${span.spanContext().spanId}`,
          source: 'bench-usage',
          timestamp: new Date(span.endTime[0] * 1000 + span.endTime[1] / 1e6).toISOString(),
          provider: 'openai',
          model: 'gpt-4o-mini',
          usage: { input_tokens: 200, cache_read_tokens: 1000, output_tokens: 50 },
          attribution: { team: `bench-team-${(start + index) % TEAMS}`, feature: 'bench' },
        })),
      ),
    );
  }
  return { usage, otlp };
}

/** Posts every body, `concurrency` at a time; answers the events per second. */
async function post(
  service: RunningPurser,
  key: string,
  path: string,
  contentType: string,
  bodies: (string | Buffer)[],
  events: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const response = await fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
        body,
      });
      const answer = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200)
        throw new Error(`${path}: ${response.status} ${answer.toString()}`);
      const accepted =
        path === '/v1/traces'
          ? Number(response.headers.get('x-purser-spans-accepted'))
          : (JSON.parse(answer.toString()) as { accepted: number }).accepted;
      if (accepted === 0)
        throw new Error(`${path}: nothing accepted (${answer.toString().slice(0, 200)})`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return events / ((performance.now() - started) / 1000);
}

/** Runs the comparison against a running instance with a key that may ingest. */
export async function benchOtlpIngest(
  service: RunningPurser,
  key: string,
  options: OtlpBenchOptions,
): Promise<OtlpBenchResult> {
  const usageRates: number[] = [];
  const otlpRates: number[] = [];
  // A warm-up round of each, not counted.
  for (let round = 0; round <= options.rounds; round += 1) {
    const bodies = await roundBodies(options, round);
    const runUsage = () =>
      post(
        service,
        key,
        '/v1/usage',
        'application/json',
        bodies.usage,
        options.events,
        options.concurrency,
      );
    const runOtlp = () =>
      post(
        service,
        key,
        '/v1/traces',
        'application/x-protobuf',
        bodies.otlp,
        options.events,
        options.concurrency,
      );
    // Each path goes first every other round: neither always meets the other's aftermath
    // (Postgres flushing, autovacuum).
    let usage: number;
    let otlp: number;
    if (round % 2 === 0) {
      usage = await runUsage();
      otlp = await runOtlp();
    } else {
      otlp = await runOtlp();
      usage = await runUsage();
    }
    if (round > 0) {
      usageRates.push(usage);
      otlpRates.push(otlp);
    }
  }
  const mean = (rates: number[]) => rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
  const usagePerSecond = mean(usageRates);
  const otlpPerSecond = mean(otlpRates);
  return {
    usagePerSecond,
    otlpPerSecond,
    ratio: otlpPerSecond / usagePerSecond,
    events: options.events,
  };
}

function parseArgs(argv: string[]): OtlpBenchOptions {
  const options: OtlpBenchOptions = { events: 20_000, batch: 500, concurrency: 4, rounds: 2 };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index].replace(/^--/, '') as keyof OtlpBenchOptions;
    const value = Number(argv[++index]);
    if (!(flag in options) || !Number.isInteger(value) || value <= 0) {
      throw new Error(`unknown flag or not a positive integer: ${argv[index - 1]} ${argv[index]}`);
    }
    options[flag] = value;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const service = await startPurser({ env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' } });
  try {
    const key = await service.keyFor('gateway');
    const result = await benchOtlpIngest(service, key, options);
    const line = (name: string, rate: number) =>
      `  ${name.padEnd(12)} ${Math.round(rate).toLocaleString('en')} events/s`;
    console.log(
      [
        `OTLP ingest vs /v1/usage: ${options.events} events a round, ${options.batch} a request, ${options.concurrency} in flight, ${options.rounds} rounds`,
        line('/v1/usage', result.usagePerSecond),
        line('/v1/traces', result.otlpPerSecond),
        `  ratio        ${result.ratio.toFixed(2)} (target ≥ ${OTLP_TARGET_RATIO})`,
      ].join('\n'),
    );
    if (result.ratio < OTLP_TARGET_RATIO) process.exitCode = 1;
  } finally {
    await service.stop();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

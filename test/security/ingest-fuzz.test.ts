// Generated input (fast-check) against a production-mode build, real Postgres and NATS.
// HTTP: every answer is a 200 with each event's status (a rejection naming its field) or a 4xx
// with a code and a message, never a 500; what was answered accepted is stored once and what
// was answered rejected is dead-lettered, counted. NATS: random bytes, random JSON and mutated
// events beside good ones — each message is stored exactly once or dead-lettered with its
// reason, counted by stream sequence. Neither stalls the event loop.
import fc from 'fast-check';
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent, realisticUsageEvents } from '@purser/adapters/testing';
import { nastyValues } from '../support/fuzz';
import { watchLoop } from '../support/loop-watch';
import { uniqueName, waitForConsumerIdle } from '../support/nats';
import {
  ingestSuite,
  type IngestHarness,
  type IngestResultRow,
  publishInOrder,
} from './ingest-support';

/** The longest the event loop may stall while the service answers generated input. */
const STALL_BOUND_MS = 250;
/** "<field or position>: <what is wrong>". */
const NAMES_THE_FIELD = /^\S[^\n]*?: \S/;

type Json = Record<string, unknown>;

const FIELDS = [
  'id',
  'source',
  'timestamp',
  'provider',
  'model',
  'usage',
  'attribution',
  'tags',
  'latency_ms',
  'status',
  'cache_hit',
  'reported_cost',
  'provider_usage',
  'usage_format',
  'retry_count',
  '__proto__',
  'constructor',
  'unknown',
];

// The edge values are most of what is drawn: each is one way a careless client or an attacker
// has broken ingest.
const nasty = nastyValues(
  [
    1e12,
    { input_tokens: 5, units: { constructor: 1 } },
    { input_tokens: -5 },
    { prompt_tokens: 10, completion_tokens: 5 },
    { amount: '0.1', currency: 'eur' },
  ],
  80,
  3,
);

const BASES = [
  makeUsageEvent() as Json,
  ...([...realisticUsageEvents(30, 9, { providerUsageShare: 0.4 })] as Json[]),
];

/**
 * An event with a run-unique identity and up to three fields changed. A changed id or source
 * keeps the run's prefix, so that no other suite's events share its identity.
 */
function mutatedEvent(run: string, index: number) {
  return fc
    .record({
      base: fc.nat(BASES.length - 1),
      changes: fc.array(fc.tuple(fc.constantFrom(...FIELDS), nasty), { maxLength: 3 }),
    })
    .map(({ base, changes }) => {
      const event: Json = { ...BASES[base]!, id: `${run}-${index}`, source: run };
      event.timestamp = new Date(Date.now() - 3_600_000).toISOString();
      for (const [field, value] of changes) {
        const given =
          (field === 'id' || field === 'source') && typeof value === 'string'
            ? `${run}${value}`
            : value;
        Object.defineProperty(event, field, {
          value: given,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return event;
    });
}

function sample<T>(arbitrary: fc.Arbitrary<T>, seed: number): T {
  return fc.sample(arbitrary, { numRuns: 1, seed })[0]!;
}

/** Measures the longest the event loop was held by this process's work while `work` runs. */
async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ result: T; maxMs: number }> {
  const { result, maxHeldMs } = await watchLoop(work);
  return { result, maxMs: maxHeldMs };
}

const count = async (harness: IngestHarness, sql: string, params: unknown[] = []) =>
  ((await harness.service.purser.dataSource.query(sql, params)) as { n: number }[])[0]!.n;

describe('generated input over HTTP', () => {
  const suite = ingestSuite();

  it('should answer 2xx naming each rejection or 4xx naming the problem, never 500', async () => {
    const { harness } = suite;
    const run = uniqueName('fuzz-http');
    const tally = { accepted: 0, duplicates: 0, rejected: 0, refused: 0 };
    // The bodies are generated first, so the stall measured is the service's, not the test's.
    const bodies = Array.from({ length: 250 }, (_, request) => {
      const seed = 1000 + request;
      const size = 1 + (request % 40);
      const events = Array.from({ length: size }, (_, index) =>
        sample(mutatedEvent(run, request * 100 + (index % Math.max(1, size - 2))), seed + index),
      );
      // Most requests are batches of events; some are whatever a careless client sends.
      return request % 10 === 9
        ? sample(
            fc.oneof(
              fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
              fc.string({ maxLength: 200 }),
              fc.constantFrom('[]', '{}', 'null', '[[[[]]]]', '{"__proto__": {}}'),
            ),
            seed,
          )
        : JSON.stringify(events);
    });
    // One good event first: the service's first request compiles its code paths once, a cost
    // no input causes, so it is paid before the stalls are measured.
    const warm = await harness.post(
      JSON.stringify([{ ...makeUsageEvent(), id: `${run}-warm`, source: run }]),
    );
    expect(warm.body.accepted).toBe(1);
    tally.accepted += 1;
    const { maxMs } = await withLoopDelay(async () => {
      for (const body of bodies) {
        const answer = await harness.post(body);
        expect(answer.status).not.toBe(500);
        if (answer.status !== 200) {
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
          expect(answer.body).toEqual(
            expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          );
          tally.refused += 1;
          continue;
        }
        const results = answer.body.results as IngestResultRow[];
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toMatch(NAMES_THE_FIELD);
          else expect(result.reason).toBeNull();
        }
        tally.accepted += answer.body.accepted as number;
        tally.duplicates += answer.body.duplicates as number;
        tally.rejected += answer.body.rejected as number;
      }
    });
    expect(maxMs).toBeLessThan(STALL_BOUND_MS);
    // Every kind of answer came up, many times.
    expect(tally.accepted).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
    expect(tally.duplicates).toBeGreaterThan(10);
    expect(tally.refused).toBeGreaterThan(3);
    // Stored once what was accepted, dead-lettered what was rejected: this database has
    // nothing else (no NATS consumer feeds it).
    expect(await count(harness, 'SELECT count(*)::int AS n FROM usage_events')).toBe(
      tally.accepted,
    );
    expect(
      await count(harness, `SELECT count(*)::int AS n FROM dead_letters WHERE origin = 'http'`),
    ).toBe(tally.rejected);
  });
});

describe('generated input over NATS', () => {
  const suite = ingestSuite({ nats: true, env: { INGEST_BATCH_SIZE: '50' } });

  it('should store each message exactly once or dead-letter it with its reason', async () => {
    const { harness, nats } = suite;
    const run = uniqueName('fuzz-nats');
    const total = 600;
    const bodies: (string | Uint8Array)[] = Array.from({ length: total }, (_, index) => {
      const seed = 5000 + index;
      switch (index % 5) {
        case 0:
          return JSON.stringify({ ...makeUsageEvent(), id: `${run}-${index}`, source: run });
        case 1:
          return sample(fc.uint8Array({ maxLength: 200 }), seed);
        case 2:
          return JSON.stringify(sample(fc.jsonValue({ maxDepth: 3 }), seed));
        default:
          return JSON.stringify(sample(mutatedEvent(run, index), seed));
      }
    });
    const { result: acks, maxMs } = await withLoopDelay(async () => {
      const published = await publishInOrder(nats, usageSubject('openai'), bodies);
      await waitForConsumerIdle(nats, harness.consumer!, 60_000);
      return published;
    });
    expect(maxMs).toBeLessThan(STALL_BOUND_MS);

    const letters = await harness.lettersBySequence(acks.map((ack) => ack.seq));
    const lettered = new Set(letters.map((letter) => Number(letter.stream_sequence)));
    for (const letter of letters) expect(letter.reason).toMatch(NAMES_THE_FIELD);

    // Every message not dead-lettered is a valid event: stored, once, under its identity.
    const identities = new Map<string, number>();
    for (const [index, ack] of acks.entries()) {
      if (lettered.has(ack.seq)) continue;
      const body = JSON.parse(Buffer.from(bodies[index]!).toString()) as Json;
      const source = typeof body.source === 'string' ? body.source : 'default';
      const key = JSON.stringify([wellFormed(source), wellFormed(String(body.id))]);
      identities.set(key, (identities.get(key) ?? 0) + 1);
    }
    const stored: { source: string; event_id: string; n: number }[] =
      await harness.service.purser.dataSource.query(
        `SELECT source, event_id, count(*)::int AS n FROM usage_events
         WHERE (source, event_id) IN (SELECT s, i FROM unnest($1::text[], $2::text[]) AS t(s, i))
         GROUP BY source, event_id`,
        [
          [...identities.keys()].map((key) => (JSON.parse(key) as string[])[0]),
          [...identities.keys()].map((key) => (JSON.parse(key) as string[])[1]),
        ],
      );
    expect(stored.every((row) => row.n === 1)).toBe(true);
    expect(stored).toHaveLength(identities.size);
    // Counted: each message is one dead letter or one stored event (or, repeating an
    // identity, its duplicate).
    const duplicates = [...identities.values()].reduce((sum, times) => sum + times - 1, 0);
    expect(letters.length + identities.size + duplicates).toBe(total);
    // The good events of every batch were stored; the garbage was dead-lettered.
    expect(identities.size).toBeGreaterThanOrEqual(total / 5);
    expect(letters.length).toBeGreaterThanOrEqual((2 * total) / 5);
  });
});

function wellFormed(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed();
}

// What unit tests cannot catch: generated bodies for POST /v1/metrics and generated variables
// for the GraphQL metric mutations, against a production-mode service on real Postgres. Every
// answer is a 200 whose refused items each name their index and field, or a 4xx with a code
// and a message — never a 5xx, never an error the service logs; what is answered recorded is
// stored exactly once; and the event loop is never held long.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  expectNoErrorLogged,
  MAX_LOOP_DELAY_MS,
  measureLoopDelay,
  post,
  type Answer,
} from '../security/http-probe';
import { nastyValues } from '../support/fuzz';
import { startPurser, type RunningPurser } from '../support/purser';

type Json = Record<string, unknown>;

/** "metrics[<index>](.<field>)?: <what is wrong>". */
const NAMES_THE_ITEM = /^metrics\[(\d+)\](\.[^\n]*?)?: \S/;

const FIELDS = ['id', 'name', 'timestamp', 'value', 'currency', 'attribution', '__proto__', 'x'];

// The edge values are most of what is drawn: each is one way a careless client breaks input.
const nasty = nastyValues(
  [
    '2026-11-20T10:00:00+25:00',
    '-1',
    '1e3',
    '0.000000000000000000001',
    '9999999999999',
    1.5,
    1e21,
    { session: 's' },
    { customer: 'a'.repeat(300) },
    { constructor: 'x' },
    'usd',
    'x'.repeat(300),
  ],
  40,
  2,
);

function base(run: string, index: number): Json {
  return {
    id: `${run}-${index}`,
    name: 'fuzz_tickets',
    timestamp: '2026-11-20T10:00:00Z',
    value: String(index),
    attribution: { feature: 'fuzz', customer: `c${index % 3}` },
  };
}

/** A metric of the run with up to three fields changed (a changed id keeps the run's prefix). */
function mutatedMetric(run: string, index: number) {
  return fc.array(fc.tuple(fc.constantFrom(...FIELDS), nasty), { maxLength: 3 }).map((changes) => {
    const metric = base(run, index);
    for (const [field, value] of changes) {
      Object.defineProperty(metric, field, {
        value: field === 'id' && typeof value === 'string' ? `${run}${value}` : value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return metric;
  });
}

/** A whole body: mostly a list of mutated metrics, sometimes wrapped, sometimes anything. */
function body(run: string) {
  const list = fc
    .integer({ min: 0, max: 12 })
    .chain((length) =>
      fc.tuple(...Array.from({ length }, (_, index) => mutatedMetric(run, index))),
    );
  return fc.oneof(
    { weight: 6, arbitrary: list },
    { weight: 2, arbitrary: list.map((metrics) => ({ metrics })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

function expectNamed(answer: Answer, sent: unknown): void {
  const where = `${answer.status} ${answer.text.slice(0, 400)} for ${JSON.stringify(sent).slice(0, 400)}`;
  if (answer.status === 200) {
    const result = answer.body as {
      recorded: number;
      duplicates: number;
      rejected: number;
      results: Json[];
    };
    expect(result.recorded + result.duplicates + result.rejected).toBe(result.results.length);
    result.results.forEach((item, position) => {
      expect(item.index).toBe(position);
      if (item.status === 'rejected') {
        const match = NAMES_THE_ITEM.exec(String(item.reason));
        if (!match || Number(match[1]) !== position) throw new Error(`unnamed rejection: ${where}`);
      } else if (typeof item.id !== 'string') {
        throw new Error(`an accepted item without id: ${where}`);
      }
    });
    return;
  }
  if (answer.status < 400 || answer.status >= 500) throw new Error(`not 200 or 4xx: ${where}`);
  const refusal = answer.body as Json;
  if (typeof refusal.code !== 'string' || typeof refusal.message !== 'string' || !refusal.message)
    throw new Error(`a refusal without code and message: ${where}`);
}

describe('generated metric input', () => {
  let service: RunningPurser;
  let gateway: string;
  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    gateway = await service.keyFor('gateway');
  });
  afterAll(() => service.stop());
  expectNoErrorLogged(() => service);

  const stored = async (run: string) =>
    (
      (await service.purser.dataSource.query(
        `SELECT count(*)::int AS n FROM business_metrics WHERE id LIKE $1 || '%'`,
        [run],
      )) as { n: number }[]
    )[0]!.n;

  it('should answer POST /v1/metrics 200 naming each refusal or 4xx, never 5xx', async () => {
    const run = `fz${randomBytes(4).toString('hex')}`;
    let recorded = 0;
    // Generated first, so the stall measured is the service's, not the test's.
    const bodies = Array.from(
      { length: 200 },
      (_, request) => fc.sample(body(`${run}-${request}`), { numRuns: 1, seed: 500 + request })[0],
    );
    const { maxHeldMs } = await measureLoopDelay(async () => {
      for (const sent of bodies) {
        const answer = await post(`${service.url}/v1/metrics`, JSON.stringify(sent), {
          authorization: `Bearer ${gateway}`,
        });
        expectNamed(answer, sent);
        if (answer.status === 200) {
          const result = answer.body as { recorded: number; results: Json[] };
          // Only ids of this run can be new: a mutated id keeps the run's prefix.
          recorded += result.results.filter(
            (item) => item.status === 'recorded' && String(item.id).startsWith(run),
          ).length;
          // Sent again, nothing is new.
          const again = await post(`${service.url}/v1/metrics`, JSON.stringify(sent), {
            authorization: `Bearer ${gateway}`,
          });
          expect((again.body as { recorded: number }).recorded).toBe(0);
        }
      }
    });
    expect(recorded).toBeGreaterThan(50);
    expect(await stored(run)).toBe(recorded);
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });

  it('should answer GraphQL metric mutations with data or named errors, never internal', async () => {
    const run = `fg${randomBytes(4).toString('hex')}`;
    const document = `mutation($metrics: [BusinessMetricInput!]!) {
      recordBusinessMetricBatch(metrics: $metrics) { recorded duplicates rejected results { index status field reason } }
    }`;
    const generatedBodies = Array.from(
      { length: 150 },
      (_, request) => fc.sample(body(`${run}-${request}`), { numRuns: 1, seed: 900 + request })[0],
    );
    // The first GraphQL mutation compiles its path once (a cost no input causes): paid before
    // the stalls are measured.
    const warm = await service.graphql(document, {
      metrics: [
        { id: `${run}-warm`, name: 'tickets', value: '1', timestamp: '2026-11-01T00:00:00Z' },
      ],
    });
    expect(warm.errors).toBeUndefined();
    const { maxHeldMs } = await measureLoopDelay(async () => {
      for (const generated of generatedBodies) {
        const metrics = Array.isArray(generated) ? generated : (generated as Json)?.metrics;
        const answer = await service.graphql<{ recordBusinessMetricBatch: { results: Json[] } }>(
          document,
          { metrics: metrics ?? generated },
        );
        for (const error of answer.errors ?? []) {
          expect(error.message.length).toBeGreaterThan(0);
          expect(error.extensions?.code).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/);
        }
        for (const item of answer.data?.recordBusinessMetricBatch.results ?? []) {
          if (item.status === 'rejected') expect(String(item.reason)).toMatch(NAMES_THE_ITEM);
        }
      }
    });
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });

  it('should validate and store a full batch of large items without holding the loop', async () => {
    const run = `fb${randomBytes(4).toString('hex')}`;
    // Every other item is refused at its last field, so each is walked to its end.
    const big = Array.from({ length: 5000 }, (_, index) => ({
      id: `${run}-${index}-${'i'.repeat(100)}`,
      name: 'n'.repeat(128),
      timestamp: '2026-11-20T10:00:00Z',
      value: '123456789012.12345678901234567890',
      currency: 'USD',
      attribution: {
        ...Object.fromEntries(
          ['team', 'feature', 'environment', 'customer', 'project', 'user', 'agent'].map((key) => [
            key,
            `${key}-${'v'.repeat(56)}`,
          ]),
        ),
        ...(index % 2 === 1 ? { session: 's' } : {}),
      },
    }));
    const text = JSON.stringify(big);
    const { result, maxHeldMs } = await measureLoopDelay(() =>
      post(`${service.url}/v1/metrics`, text, { authorization: `Bearer ${gateway}` }),
    );
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ recorded: 2500, rejected: 2500 });
    expect(await stored(run)).toBe(2500);
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });
});

// Generated answers from a fake Purser (fast-check): garbage, JSON of any shape, decisions
// with one field mutated, any status, bodies larger than the bound. Whatever comes back, the
// client answers a well-typed decision or throws a PurserClientError — never an untyped
// error — and its usage delivery never throws at all.
import fc from 'fast-check';
import { PurserClient, PurserClientError } from '@purser/adapters/client';
import { makeUsageEvent } from '@purser/adapters/testing';
import { type FakeAnswer, type FakePurser, restDecision, startFakePurser } from './fake-purser';

const request = {
  provider: 'openai',
  model: 'gpt-4o',
  estimatedInputTokens: 10,
  maxOutputTokens: 10,
};

const MAX_RESPONSE_BYTES = 16 * 1024;

const status = fc.constantFrom(
  200,
  200,
  200,
  201,
  204,
  400,
  401,
  403,
  404,
  413,
  429,
  500,
  502,
  503,
);

/** A valid decision answer with one field (at any depth) replaced by arbitrary JSON. */
const mutatedDecision = fc
  .tuple(
    fc.constantFrom(
      'decision_id',
      'result',
      'result.allow',
      'result.action',
      'result.model',
      'result.max_output_tokens',
      'result.reasons',
      'result.budgets',
      'result.reservation',
      'result.reservation.amount',
      'result.estimated_cost',
      'result.retry_after_seconds',
      'result.decision_id',
    ),
    fc.jsonValue(),
  )
  .map(([path, value]) => {
    const answer = restDecision() as unknown as Record<string, unknown>;
    const keys = path.split('.');
    let target = answer;
    for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
    target[keys.at(-1)!] = value;
    return JSON.stringify(answer);
  });

const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify({ result: value })),
  mutatedDecision,
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc
    .integer({ min: MAX_RESPONSE_BYTES + 1, max: 4 * MAX_RESPONSE_BYTES })
    .map((size) => `{"result": "${'x'.repeat(size)}"}`),
);

const answer: fc.Arbitrary<FakeAnswer> = fc.record({ status, raw: body });

describe('PurserClient on generated answers', () => {
  let fake: FakePurser;
  let client: PurserClient;
  const logged: string[] = [];

  beforeAll(async () => {
    fake = await startFakePurser(() => ({ status: 500 }));
    client = new PurserClient({
      url: fake.url,
      apiKey: 'k',
      failMode: 'closed',
      timeoutMs: 2_000,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      logger: { warn: (message) => logged.push(message) },
      batch: { lingerMs: 1 },
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
    });
  });
  afterAll(async () => {
    await client.close(50);
    await fake.close();
  });

  it('should answer a typed decision or throw a PurserClientError from authorize and track', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (given) => {
        fake.handler = (received) =>
          received.path === '/graphql' ? { body: { data: { releaseReservation: true } } } : given;
        try {
          const decision = await client.authorize(request);
          expect(given.status).toBe(200);
          expect(typeof decision.decisionId).toBe('string');
          expect(typeof decision.allow).toBe('boolean');
          expect(['allow', 'warn', 'downgrade', 'deny']).toContain(decision.action);
          expect(typeof decision.model).toBe('string');
          expect(Number.isSafeInteger(decision.maxOutputTokens)).toBe(true);
          expect(Array.isArray(decision.reasons)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(PurserClientError);
          const { code } = error as PurserClientError;
          expect(['UNAVAILABLE', 'REJECTED', 'BAD_RESPONSE']).toContain(code);
          // A 204 has no body whatever the server writes.
          if (given.status !== 204 && Buffer.byteLength(String(given.raw)) > MAX_RESPONSE_BYTES) {
            expect(code).toBe('BAD_RESPONSE');
          }
        }
        try {
          await client.track(request, async () => ({
            usage: { prompt_tokens: 1, completion_tokens: 1 },
          }));
        } catch (error) {
          expect(error).toBeInstanceOf(PurserClientError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('should answer a boolean or throw a PurserClientError from release', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (given) => {
        fake.handler = () => given;
        try {
          expect(typeof (await client.release('dec_1'))).toBe('boolean');
        } catch (error) {
          expect(error).toBeInstanceOf(PurserClientError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('should never throw from usage delivery, whatever POST /v1/usage answers', async () => {
    let index = 0;
    await fc.assert(
      fc.asyncProperty(answer, async (given) => {
        fake.handler = () => given;
        client.reportUsage(makeUsageEvent({ id: `fuzz-${index++}` }));
        // Delivered, dropped or still retrying: never an exception, never a lost count.
        await client.flush(50);
        const stats = client.stats;
        expect(stats.buffered).toBeGreaterThanOrEqual(0);
        expect(stats.buffered).toBeLessThanOrEqual(index);
      }),
      { numRuns: 100 },
    );
    fake.handler = () => ({ body: { accepted: 0, results: [] } });
    expect(await client.flush(5_000)).toBe(true);
    expect(client.stats.buffered).toBe(0);
  });
});

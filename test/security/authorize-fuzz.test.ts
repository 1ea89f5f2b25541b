// What unit tests cannot catch: thousands of generated authorize requests — well formed,
// mistyped, oversized, with NUL, lone surrogates, control characters, `__proto__` keys and
// nesting — against a production-mode instance, over REST (`POST
// /v1/data/purser/authz/decision`) and GraphQL (`authorize`). Every answer is a 2xx or a 4xx
// naming what was wrong, never a 5xx; the event loop never stalls; and every decision answered
// is in the `decisions` audit table.
import fc from 'fast-check';
import { AUTHORIZE, createBudget, priceModel, PENNY, unique } from '../support/decisions';
import { LoopWatch } from '../support/loop-watch';
import { startPurser, type RunningPurser } from '../support/purser';

const MODEL = 'fuzz-penny';
/** A generous bound on any one stall of the event loop (the service runs in this process). */
const MAX_LOOP_DELAY_MS = 250;

/** Text as callers get it wrong: NUL and other controls, lone surrogates, very long. */
const nastyText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\n', '\u007f', '\u0085', ''),
  fc.integer({ min: 250, max: 5000 }).map((length) => 'm'.repeat(length)),
);

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 1.5, 2 ** 31, 1e308, -0, true, [], {}),
  nastyText,
);

const attribution = fc.dictionary(
  fc.constantFrom('team', 'feature', 'customer', 'user', 'session', 'request_path', '__proto__'),
  fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom('fuzz-a', 'fuzz-b', 'fuzz-c') },
    nastyText,
    anyJson,
  ),
  { maxKeys: 4 },
);

const count = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 5000 }) },
  fc.constantFrom(-1, 2 ** 31, 2 ** 53, 0.5),
  anyJson,
);

const metadata = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), {
      maxKeys: 3,
    }),
  },
  fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
  fc.constantFrom(
    { deep: [[[[[[[[[['x']]]]]]]]]] },
    { big: 'x'.repeat(20_000) },
    { ['k\u0000']: 1 },
  ),
  anyJson,
);

/** Mostly `valid`, sometimes one of the mistakes. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 40, arbitrary: valid }, nastyText, anyJson);

/** OPA inputs: plausible ones with a field now and then wrong, and wild ones. */
const opaInput = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        provider: mostly(fc.constant('openai')),
        model: mostly(fc.constant(MODEL)),
        attribution: mostly(attribution),
        virtual_key: fc.oneof(nastyText, anyJson),
        estimated_input_tokens: mostly(fc.integer({ min: 0, max: 5000 })),
        max_output_tokens: mostly(fc.integer({ min: 0, max: 5000 })),
        metadata,
      },
      { requiredKeys: ['provider', 'model', 'estimated_input_tokens', 'max_output_tokens'] },
    ),
  },
  fc.record(
    {
      provider: fc.oneof(nastyText, anyJson),
      model: fc.oneof(nastyText, anyJson),
      attribution: fc.oneof(attribution, anyJson),
      virtual_key: fc.oneof(nastyText, anyJson),
      estimated_input_tokens: count,
      max_output_tokens: count,
      metadata,
    },
    { requiredKeys: [] },
  ),
);

const restBody = fc.oneof(
  { weight: 8, arbitrary: opaInput.map((input) => JSON.stringify({ input })) },
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', '{', '{"input":', '{"input":{"__proto__":{"model":"x"}}}', '[]', 'null'),
);

/** GraphQL `AuthorizeInput` variables, camelCase, with the same mistakes. */
const graphqlRequest = opaInput.map((input) => {
  const {
    virtual_key: virtualKey,
    estimated_input_tokens: estimatedInputTokens,
    max_output_tokens: maxOutputTokens,
    attribution: given,
    ...rest
  } = input as Record<string, unknown>;
  const renamed =
    given && typeof given === 'object' && !Array.isArray(given)
      ? Object.fromEntries(
          Object.entries(given).map(([key, value]) => [
            key === 'request_path' ? 'requestPath' : key,
            value,
          ]),
        )
      : given;
  return Object.fromEntries(
    Object.entries({
      ...rest,
      attribution: renamed,
      virtualKey,
      estimatedInputTokens,
      maxOutputTokens,
    }).filter(([, value]) => value !== undefined),
  );
});

describe('authorize under generated input', () => {
  let service: RunningPurser;
  let gateway: string;
  const answered = new Set<string>();
  const loop = new LoopWatch();

  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    gateway = await service.keyFor('gateway');
    await priceModel(service, MODEL, PENNY);
    for (const team of ['fuzz-a', 'fuzz-b'])
      await createBudget(service, {
        name: unique('fuzz'),
        scope: { team },
        period: 'TOTAL',
        limit: '1000',
        mode: team === 'fuzz-a' ? 'BLOCK' : 'DOWNGRADE',
      });
    // One call on each path first: their one-time compile and policy load are no input's stall.
    const input = {
      provider: 'openai',
      model: MODEL,
      estimated_input_tokens: 1,
      max_output_tokens: 1,
    };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${gateway}` };
    const rest = await fetch(`${service.url}/v1/data/purser/authz/decision`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ input }),
    });
    expect(rest.status).toBe(200);
    const request = {
      provider: 'openai',
      model: MODEL,
      estimatedInputTokens: 1,
      maxOutputTokens: 1,
    };
    const graphql = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: AUTHORIZE, variables: { request } }),
    });
    expect(
      ((await graphql.json()) as { data?: { authorize?: unknown } }).data?.authorize,
    ).toBeTruthy();
    loop.start();
  });
  afterAll(async () => {
    loop.stop();
    await service.stop();
  });

  it('should answer every generated REST body with a 2xx or a 4xx that names the problem', async () => {
    await fc.assert(
      fc.asyncProperty(restBody, async (body) => {
        const response = await fetch(`${service.url}/v1/data/purser/authz/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
          body,
        });
        const answer = (await response.json()) as {
          code?: string;
          message?: string;
          decision_id?: string;
        };
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(answer.code).toEqual(expect.any(String));
          expect(answer.message).toEqual(expect.any(String));
          expect(answer.message!.length).toBeGreaterThan(0);
        } else {
          expect(answer.decision_id).toEqual(expect.any(String));
          answered.add(answer.decision_id!);
        }
      }),
      { numRuns: 3000 },
    );
  }, 300_000);

  it('should answer every generated GraphQL authorize with a decision or errors that name the problem', async () => {
    await fc.assert(
      fc.asyncProperty(graphqlRequest, async (request) => {
        const response = await fetch(`${service.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
          body: JSON.stringify({ query: AUTHORIZE, variables: { request } }),
        });
        expect(response.status).toBeLessThan(500);
        const answer = (await response.json()) as {
          data?: { authorize?: { decisionId: string } | null } | null;
          errors?: { message: string; extensions?: { code?: string } }[];
        };
        for (const error of answer.errors ?? []) {
          expect(error.extensions?.code).toEqual(expect.any(String));
          expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
          expect(error.message.length).toBeGreaterThan(0);
        }
        if (answer.data?.authorize) answered.add(answer.data.authorize.decisionId);
        else expect(answer.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  }, 300_000);

  it('should record every decision it answered, and never stall the event loop', async () => {
    expect(answered.size).toBeGreaterThan(500);
    await service.purser.services.decisionLog.flush();
    const [row]: { n: number }[] = await service.purser.dataSource.query(
      `SELECT count(*)::int AS n FROM decisions WHERE id = ANY($1::text[])`,
      [[...answered]],
    );
    expect(row!.n).toBe(answered.size);
    expect(service.purser.services.decisionLog.dropped).toBe(0);
    loop.stop();
    expect(loop.maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });
});

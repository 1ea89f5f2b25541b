import fc from 'fast-check';

import {
  checkTwin,
  expectEquivalent,
  type FastTwin,
  mutationOutcomes,
  NASTY_VALUES,
  type PathTaken,
  showValue,
} from '@purser/policy/testing';
import { fastOpaInput, opaInputSchema } from './opa-input';

/** The OPA REST body's fast path and its schema. */
const OPA_INPUT: FastTwin<unknown, unknown> = {
  fast: fastOpaInput,
  reference: (body) => opaInputSchema.safeParse(body),
  compare: (fast, schema) => {
    expect(fast).toStrictEqual(schema);
    // Same keys in the same order, all the way down.
    expect(showValue(fast)).toBe(showValue(schema));
  },
};

/** The fast path answers exactly the schema's output, or stands aside. */
function expectSameAsSchema(body: unknown): PathTaken {
  return checkTwin(OPA_INPUT, body);
}

/** Bodies as gateways send them, from the smallest to one with every field. */
const BODIES: unknown[] = [
  {
    input: { provider: 'openai', model: 'gpt-4o', estimated_input_tokens: 0, max_output_tokens: 1 },
  },
  {
    input: {
      provider: 'openai',
      model: 'gpt-4o',
      attribution: { team: 'search', feature: 'chat', environment: 'production' },
      estimated_input_tokens: 1000,
      max_output_tokens: 4000,
    },
  },
  {
    input: {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      attribution: {
        team: 't',
        feature: 'f',
        environment: 'e',
        customer: 'c',
        project: 'p',
        user: 'u',
        agent: 'a',
        session: 's',
        request_path: '/v1/messages',
        virtual_key: 'not an attribution key of the request: stripped',
      },
      virtual_key: 'vk_secret',
      estimated_input_tokens: 12,
      max_output_tokens: 34,
      metadata: { trace_id: 'abc', retries: 2, nested: { deep: [1, 'x'] } },
      extra: 'stripped, as OPA callers may send more',
    },
    also: 'stripped',
  },
];

describe('fastOpaInput', () => {
  it('should answer the schema output for the bodies gateways send', () => {
    for (const body of BODIES) expect(expectSameAsSchema(body)).toBe('fast');
  });

  it('should answer the schema output or stand aside for every mutation', () => {
    const { fast, schema } = mutationOutcomes(BODIES, expectSameAsSchema);
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(300);
  });
});

describe('fastOpaInput on generated bodies', () => {
  it('should answer the schema output or stand aside for every generated body', () => {
    const mostly = (valid: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { weight: 8, arbitrary: valid },
        { weight: 1, arbitrary: fc.constantFrom(...NASTY_VALUES) },
      );
    const input = fc.record(
      {
        provider: mostly(fc.string({ maxLength: 20 })),
        model: mostly(fc.string({ maxLength: 20 })),
        attribution: mostly(
          fc.dictionary(
            fc.constantFrom('team', 'feature', 'customer', 'virtual_key', 'other', '__proto__'),
            mostly(fc.string()),
          ),
        ),
        virtual_key: mostly(fc.string()),
        estimated_input_tokens: mostly(fc.nat()),
        max_output_tokens: mostly(fc.nat()),
        metadata: mostly(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ['provider', 'model', 'estimated_input_tokens', 'max_output_tokens'] },
    );
    const bodies = fc.oneof(
      { weight: 9, arbitrary: fc.record({ input: mostly(input) }) },
      { weight: 1, arbitrary: fc.anything() },
    );
    const { fast, schema } = expectEquivalent({ ...OPA_INPUT, arbitrary: bodies, runs: 3000 });
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(100);
  });
});

describe('opaInputSchema', () => {
  it('should have the fields the fast path knows (a new one needs the fast path too)', () => {
    expect(Object.keys(opaInputSchema.shape.input.shape).sort()).toEqual([
      'attribution',
      'estimated_input_tokens',
      'max_output_tokens',
      'metadata',
      'model',
      'provider',
      'virtual_key',
    ]);
  });
});

import { mutationOutcomes, type PathTaken, showValue } from '@purser/policy/testing';
import { fastOpaInput, opaInputSchema } from './opa-input';

/** The fast path answers exactly the schema's output, or stands aside. */
function expectSameAsSchema(body: unknown): PathTaken {
  const fast = fastOpaInput(body);
  if (fast === undefined) return 'schema';
  const schema = opaInputSchema.safeParse(body);
  if (!schema.success) {
    throw new Error(`fast path accepted what the schema refuses: ${showValue(body)}`);
  }
  expect(fast).toStrictEqual(schema.data);
  // Same keys in the same order, all the way down.
  expect(showValue(fast)).toBe(showValue(schema.data));
  return 'fast';
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

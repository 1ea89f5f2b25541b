import fc from 'fast-check';
import { convertOtelGenAIUsage, OTEL_GENAI_ATTRIBUTES } from '@purser/adapters';
import { expectEquivalent } from '@purser/pricing/testing';
import { fastOtelUsage, type Scalar, type SpanUsage, spanUsageFields } from './otlp-usage';

const NAMES = [
  ...Object.values(OTEL_GENAI_ATTRIBUTES).flat(),
  'gen_ai.usage.total_tokens',
  'gen_ai.usage.unknown_tokens',
  'gen_ai.operation.name',
  'gen_ai.conversation.id',
  '__proto__',
];

const value: fc.Arbitrary<Scalar> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(5000) },
  { weight: 2, arbitrary: fc.nat(5000).map(String) },
  fc.constantFrom(
    'openai',
    'anthropic',
    'gpt-4o',
    '',
    '-1',
    '1.5',
    '007',
    ' 5',
    '9007199254740993',
  ),
  fc.constantFrom(-1, 1.5, 2 ** 53, Number.NaN, true, false),
  fc.string({ maxLength: 5 }),
);

const attributes: fc.Arbitrary<Record<string, Scalar>> = fc
  .array(fc.tuple(fc.constantFrom(...NAMES), value), { maxLength: 8 })
  .map((entries) => Object.fromEntries(entries));

describe('fastOtelUsage', () => {
  it('should answer exactly what the otel converter answers, or stand aside', () => {
    const counts = expectEquivalent<Record<string, Scalar>, SpanUsage>({
      arbitrary: attributes,
      runs: 3000,
      fast: fastOtelUsage,
      reference: (input) => {
        try {
          const converted = convertOtelGenAIUsage(input);
          // Where the converter warns, the fast path must have stood aside.
          if (converted.warnings.length > 0) return { success: false };
          const { warnings: _warnings, ...rest } = converted;
          return { success: true, data: rest as SpanUsage };
        } catch (error) {
          return { success: false, error };
        }
      },
    });
    expect(counts.fast).toBeGreaterThan(100);
    expect(counts.schema).toBeGreaterThan(100);
  });

  it('should give the wire fields, and pass what the converter refuses on for the parser', () => {
    expect(
      spanUsageFields({
        'gen_ai.system': 'Anthropic',
        'gen_ai.request.model': 'claude',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.cache_read_input_tokens': 100,
        'gen_ai.usage.output_tokens': 3,
      }),
    ).toEqual({
      provider: 'anthropic',
      model: 'claude',
      usage: { input_tokens: 20, cache_read_tokens: 100, output_tokens: 3 },
    });
    expect(spanUsageFields({ 'gen_ai.usage.input_tokens': -1 })).toEqual({
      provider_usage: { 'gen_ai.usage.input_tokens': -1 },
      usage_format: 'otel',
    });
  });
});

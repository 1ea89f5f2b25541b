import { convertOtelGenAIUsage } from './convert-otel-genai-usage';
import { AdapterError } from './errors';
import otlpSpan from './__fixtures__/otel-genai-otlp-span.json';
import attributes from './__fixtures__/otel-genai-span-attributes.json';

describe('convertOtelGenAIUsage', () => {
  it('should take cache reads and writes out of an inclusive input (semconv fixture)', () => {
    expect(convertOtelGenAIUsage(attributes)).toEqual({
      usage: {
        input_tokens: 21,
        cache_read_tokens: 188086,
        cache_write_tokens: 2051,
        output_tokens: 393,
      },
      warnings: [],
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
    });
  });

  it('should read an OTLP/JSON span with string intValues and gen_ai.system', () => {
    expect(convertOtelGenAIUsage(otlpSpan)).toEqual({
      usage: { input_tokens: 512, cache_read_tokens: 1024, output_tokens: 220 },
      warnings: [],
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
    });
  });

  it('should prefer gen_ai.provider.name over gen_ai.system and fall back to the request model', () => {
    const result = convertOtelGenAIUsage({
      'gen_ai.system': 'az.ai.openai',
      'gen_ai.provider.name': 'azure.ai.openai',
      'gen_ai.request.model': 'gpt-4.1',
      'gen_ai.usage.input_tokens': 10,
    });
    expect(result.provider).toBe('azure.ai.openai');
    expect(result.model).toBe('gpt-4.1');
  });

  it.each([
    [
      { 'gen_ai.usage.prompt_tokens': 50, 'gen_ai.usage.completion_tokens': 9 },
      { input_tokens: 50, output_tokens: 9 },
    ],
    [
      {
        'gen_ai.usage.input_tokens': 50,
        'gen_ai.usage.cache_read_input_tokens': 20,
        'gen_ai.usage.output_tokens': 9,
      },
      { input_tokens: 30, cache_read_tokens: 20, output_tokens: 9 },
    ],
    [
      {
        'gen_ai.usage.input_tokens': 50,
        'gen_ai.usage.input_tokens.cache_write': 40,
        'gen_ai.usage.output_tokens': 9,
      },
      { input_tokens: 10, cache_write_tokens: 40, output_tokens: 9 },
    ],
    [
      {
        'gen_ai.usage.input_tokens': 5,
        'gen_ai.usage.output_tokens': 90,
        'gen_ai.usage.reasoning.output_tokens': 64,
      },
      { input_tokens: 5, output_tokens: 90, reasoning_tokens: 64 },
    ],
    [
      {
        'gen_ai.usage.input_tokens': 5,
        'gen_ai.usage.output_tokens': 90,
        'gen_ai.usage.reasoning_tokens': 12,
      },
      { input_tokens: 5, output_tokens: 90, reasoning_tokens: 12 },
    ],
  ])('should read the attribute variants %j', (raw, expected) => {
    expect(convertOtelGenAIUsage(raw).usage).toEqual(expected);
  });

  it('should treat an input smaller than the cache as exclusive and warn', () => {
    const result = convertOtelGenAIUsage({
      'gen_ai.usage.input_tokens': 21,
      'gen_ai.usage.cache_read.input_tokens': 188086,
      'gen_ai.usage.output_tokens': 393,
    });
    expect(result.usage).toEqual({
      input_tokens: 21,
      cache_read_tokens: 188086,
      output_tokens: 393,
    });
    expect(result.warnings[0]).toContain('taking the input as excluding the cache');
  });

  it('should warn about unknown usage attributes and ignore total_tokens', () => {
    const result = convertOtelGenAIUsage({
      'gen_ai.usage.input_tokens': 1,
      'gen_ai.usage.total_tokens': 99,
      'gen_ai.usage.image_tokens': 3,
    });
    expect(result.warnings).toEqual(['ignored unknown usage attribute gen_ai.usage.image_tokens']);
  });

  it.each([
    [
      { 'gen_ai.usage.input_tokens': -4 },
      /gen_ai.usage.input_tokens must be a non-negative integer \(got -4\)/,
    ],
    [{ 'gen_ai.usage.input_tokens': '12.5' }, /got "12.5"/],
    [
      { 'gen_ai.usage.output_tokens': 3, 'gen_ai.usage.cache_read.input_tokens': true },
      /cache_read/,
    ],
    [{ 'gen_ai.request.model': 'gpt-4o' }, /no token counts found/],
    [[{ key: 'gen_ai.usage.input_tokens', value: 'oops' }], /otel usage/],
  ])('should reject unreadable attributes %j', (raw, message) => {
    expect(() => convertOtelGenAIUsage(raw)).toThrow(AdapterError);
    expect(() => convertOtelGenAIUsage(raw)).toThrow(message);
  });
});

import {
  convertProviderUsage,
  DEFAULT_USAGE_FORMAT_BY_PROVIDER,
  getUsageConverter,
  USAGE_CONVERTERS,
  USAGE_FORMATS,
} from './convert-usage';
import { AdapterError } from './errors';
import anthropicMessage from './__fixtures__/anthropic-message-cache.json';
import geminiResponse from './__fixtures__/gemini-generate-content.json';
import openaiCompletion from './__fixtures__/openai-chat-completion.json';
import otelAttributes from './__fixtures__/otel-genai-span-attributes.json';
import {
  ANTHROPIC_MESSAGE_CACHE_USAGE,
  GEMINI_GENERATE_CONTENT_USAGE,
  OPENAI_CHAT_COMPLETION_USAGE,
} from './__fixtures__/fixture-usage';
import { entriesByFile, isV1Entry } from './__fixtures__/registry-files';
import type { UsageConverterV1 } from './usage-converter';

function isConverter(value: unknown): value is UsageConverterV1 {
  return isV1Entry<UsageConverterV1>(value, 'convert');
}

describe('convertProviderUsage', () => {
  it.each([
    ['openai', openaiCompletion.usage, OPENAI_CHAT_COMPLETION_USAGE],
    ['anthropic', anthropicMessage.usage, ANTHROPIC_MESSAGE_CACHE_USAGE],
    ['google', geminiResponse.usageMetadata, GEMINI_GENERATE_CONTENT_USAGE],
    [
      'otel',
      otelAttributes,
      { input_tokens: 21, cache_read_tokens: 188086, cache_write_tokens: 2051, output_tokens: 393 },
    ],
  ])('should dispatch %s to its converter', (format, raw, expected) => {
    expect(convertProviderUsage(format, raw).usage).toEqual(expected);
  });

  it('should throw an error listing the known formats for an unknown one', () => {
    expect(() => convertProviderUsage('cohere', {})).toThrow(
      'unknown usage format "cohere"; known formats: openai, anthropic, google, otel',
    );
    try {
      getUsageConverter('toString');
      throw new Error('expected a throw');
    } catch (error) {
      expect(AdapterError.isInstance(error) && error.code).toBe('UNKNOWN_USAGE_FORMAT');
    }
  });

  it('should register every convert-*-usage.ts file under its own format', () => {
    const files = entriesByFile(__dirname, /^convert-.+-usage\.ts$/, isConverter);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const registered = new Set<UsageConverterV1>(Object.values(USAGE_CONVERTERS));
    for (const { file, entries: converters } of files) {
      expect({ file, converters: converters.length }).toEqual({ file, converters: 1 });
      const [converter] = converters;
      expect({ file, registered: registered.has(converter!) }).toEqual({ file, registered: true });
      expect(USAGE_CONVERTERS[converter!.format as keyof typeof USAGE_CONVERTERS]).toBe(converter);
    }
  });

  it('should default only to registered formats', () => {
    for (const format of Object.values(DEFAULT_USAGE_FORMAT_BY_PROVIDER)) {
      expect(USAGE_FORMATS).toContain(format);
    }
  });
});

import { convertGeminiUsage } from './convert-gemini-usage';
import { AdapterError } from './errors';
import toolUse from './__fixtures__/gemini-generate-content-tool-use.json';
import response from './__fixtures__/gemini-generate-content.json';

describe('convertGeminiUsage', () => {
  it('should subtract cached content and add thoughts to output (fixture)', () => {
    expect(convertGeminiUsage(response.usageMetadata)).toEqual({
      usage: {
        input_tokens: 2018,
        cache_read_tokens: 8192,
        output_tokens: 311,
        reasoning_tokens: 282,
      },
      warnings: [],
    });
  });

  it('should accept the whole response as well as its usageMetadata', () => {
    expect(convertGeminiUsage(response)).toEqual(convertGeminiUsage(response.usageMetadata));
  });

  it('should count tool-use prompt tokens as input (tool use fixture)', () => {
    const { usage } = convertGeminiUsage(toolUse);
    expect(usage).toEqual({
      input_tokens: 79,
      cache_read_tokens: 3,
      output_tokens: 60,
      reasoning_tokens: 56,
    });
    // Nothing is lost or counted twice: the canonical buckets add up to totalTokenCount.
    const total =
      (usage.input_tokens ?? 0) + (usage.cache_read_tokens ?? 0) + (usage.output_tokens ?? 0);
    expect(total).toBe(toolUse.usageMetadata.totalTokenCount);
  });

  it('should read a response without thinking or cache', () => {
    expect(
      convertGeminiUsage({ promptTokenCount: 8, candidatesTokenCount: 12, totalTokenCount: 20 }),
    ).toEqual({ usage: { input_tokens: 8, output_tokens: 12 }, warnings: [] });
  });

  it('should clamp and warn when the cache exceeds the prompt', () => {
    const result = convertGeminiUsage({ promptTokenCount: 5, cachedContentTokenCount: 9 });
    expect(result.usage).toEqual({ cache_read_tokens: 9 });
    expect(result.warnings[0]).toContain('input_tokens clamped to 0');
  });

  it.each([
    [{ promptTokenCount: -2 }, /promptTokenCount/],
    [{ thoughtsTokenCount: 1.25, promptTokenCount: 1 }, /thoughtsTokenCount/],
    [{ prompt_tokens: 3 }, /no token counts found/],
  ])('should reject unreadable usage %j', (raw, message) => {
    expect(() => convertGeminiUsage(raw)).toThrow(AdapterError);
    expect(() => convertGeminiUsage(raw)).toThrow(message);
  });
});

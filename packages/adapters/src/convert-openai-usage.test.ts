import { convertOpenAIUsage } from './convert-openai-usage';
import { AdapterError } from './errors';
import chatAudio from './__fixtures__/openai-chat-completion-audio.json';
import chatReasoning from './__fixtures__/openai-chat-completion-reasoning.json';
import chat from './__fixtures__/openai-chat-completion.json';
import response from './__fixtures__/openai-response.json';

describe('convertOpenAIUsage', () => {
  it('should subtract cached tokens from prompt_tokens (chat completion fixture)', () => {
    expect(convertOpenAIUsage(chat.usage)).toEqual({
      usage: { input_tokens: 93, cache_read_tokens: 1024, output_tokens: 46 },
      warnings: [],
    });
  });

  it('should accept the whole response object as well as its usage', () => {
    expect(convertOpenAIUsage(chat)).toEqual(convertOpenAIUsage(chat.usage));
  });

  it('should keep reasoning inside output_tokens (o-series fixture)', () => {
    expect(convertOpenAIUsage(chatReasoning.usage).usage).toEqual({
      input_tokens: 330,
      cache_read_tokens: 1920,
      output_tokens: 1844,
      reasoning_tokens: 1600,
    });
  });

  it('should move audio tokens into units (audio fixture)', () => {
    expect(convertOpenAIUsage(chatAudio.usage).usage).toEqual({
      input_tokens: 26,
      output_tokens: 46,
      units: { input_audio_tokens: 67, output_audio_tokens: 161 },
    });
  });

  it('should read Responses API usage (response fixture)', () => {
    expect(convertOpenAIUsage(response)).toEqual({
      usage: {
        input_tokens: 372,
        cache_read_tokens: 4864,
        output_tokens: 512,
        reasoning_tokens: 384,
      },
      warnings: [],
    });
  });

  it('should take Responses cache writes out of input_tokens', () => {
    const raw = {
      input_tokens: 5000,
      input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 3000 },
      output_tokens: 10,
    };
    expect(convertOpenAIUsage(raw).usage).toEqual({
      input_tokens: 1000,
      cache_read_tokens: 1000,
      cache_write_tokens: 3000,
      output_tokens: 10,
    });
  });

  it('should read DeepSeek cache hits reported as prompt_cache_hit_tokens', () => {
    const raw = {
      prompt_tokens: 900,
      completion_tokens: 5,
      prompt_cache_hit_tokens: 640,
      prompt_cache_miss_tokens: 260,
    };
    expect(convertOpenAIUsage(raw).usage).toEqual({
      input_tokens: 260,
      cache_read_tokens: 640,
      output_tokens: 5,
    });
  });

  it.each([
    [{ prompt_tokens: 10 }, { input_tokens: 10 }],
    [
      { prompt_tokens: 10, completion_tokens: 0, prompt_tokens_details: null },
      { input_tokens: 10 },
    ],
    [{ completion_tokens: 7, completion_tokens_details: null }, { output_tokens: 7 }],
    [
      { input_tokens: 3, output_tokens: 4, output_tokens_details: null },
      { input_tokens: 3, output_tokens: 4 },
    ],
  ])('should treat omitted and null details as zero: %j', (raw, expected) => {
    expect(convertOpenAIUsage(raw)).toEqual({ usage: expected, warnings: [] });
  });

  it('should clamp a negative input at zero and warn', () => {
    const result = convertOpenAIUsage({
      prompt_tokens: 100,
      completion_tokens: 1,
      prompt_tokens_details: { cached_tokens: 128 },
    });
    expect(result.usage).toEqual({ cache_read_tokens: 128, output_tokens: 1 });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('exceeds prompt_tokens (100)');
    expect(result.warnings[0]).toContain('input_tokens clamped to 0');
  });

  it('should cap reasoning tokens at the output and warn', () => {
    const result = convertOpenAIUsage({
      prompt_tokens: 1,
      completion_tokens: 10,
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    expect(result.usage).toEqual({ input_tokens: 1, output_tokens: 10, reasoning_tokens: 10 });
    expect(result.warnings[0]).toMatch(/reasoning_tokens \(12\) exceeds/);
  });

  it.each([
    [{ prompt_tokens: -1 }, /prompt_tokens/],
    [{ prompt_tokens: 1.5 }, /prompt_tokens/],
    [{ prompt_tokens: '12' }, /prompt_tokens/],
    [{ prompt_tokens_details: { cached_tokens: -3 }, prompt_tokens: 2 }, /cached_tokens/],
    [{ foo: 1 }, /no token counts found/],
    [null, /openai usage/],
  ])('should reject unreadable usage %j', (raw, message) => {
    expect(() => convertOpenAIUsage(raw)).toThrow(AdapterError);
    expect(() => convertOpenAIUsage(raw)).toThrow(message);
  });
});

import { convertAnthropicUsage } from './convert-anthropic-usage';
import { AdapterError } from './errors';
import withCache from './__fixtures__/anthropic-message-cache.json';
import legacyCache from './__fixtures__/anthropic-message-legacy-cache.json';
import webSearch from './__fixtures__/anthropic-message-web-search.json';

describe('convertAnthropicUsage', () => {
  it('should keep input_tokens as is and split writes by TTL (cache fixture)', () => {
    expect(convertAnthropicUsage(withCache.usage)).toEqual({
      usage: {
        input_tokens: 21,
        cache_read_tokens: 188086,
        cache_write_tokens: 1051,
        cache_write_1h_tokens: 1000,
        output_tokens: 393,
      },
      warnings: [],
    });
  });

  it('should accept the whole message as well as its usage', () => {
    expect(convertAnthropicUsage(withCache)).toEqual(convertAnthropicUsage(withCache.usage));
  });

  it('should count every write as 5-minute when the split is absent (legacy fixture)', () => {
    expect(convertAnthropicUsage(legacyCache.usage)).toEqual({
      usage: { input_tokens: 12, cache_write_tokens: 1758, output_tokens: 11 },
      warnings: [],
    });
  });

  it('should count web searches as units (web search fixture)', () => {
    expect(convertAnthropicUsage(webSearch.usage).usage).toEqual({
      input_tokens: 27118,
      output_tokens: 600,
      units: { web_search_requests: 2 },
    });
  });

  it('should never drop writes missing from an incomplete split', () => {
    const result = convertAnthropicUsage({
      input_tokens: 5,
      output_tokens: 1,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_1h_input_tokens: 100 },
    });
    expect(result.usage).toEqual({
      input_tokens: 5,
      output_tokens: 1,
      cache_write_tokens: 200,
      cache_write_1h_tokens: 100,
    });
    expect(result.warnings[0]).toContain('remainder is counted as 5-minute writes');
  });

  it('should use the split and warn when it exceeds the total', () => {
    const result = convertAnthropicUsage({
      input_tokens: 5,
      output_tokens: 1,
      cache_creation_input_tokens: 10,
      cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 5 },
    });
    expect(result.usage).toMatchObject({ cache_write_tokens: 10, cache_write_1h_tokens: 5 });
    expect(result.warnings).toHaveLength(1);
  });

  it('should treat null cache fields (streaming message_start) as zero', () => {
    expect(
      convertAnthropicUsage({
        input_tokens: 472,
        output_tokens: 2,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        cache_creation: null,
        server_tool_use: null,
      }),
    ).toEqual({ usage: { input_tokens: 472, output_tokens: 2 }, warnings: [] });
  });

  it.each([
    [{ input_tokens: -1, output_tokens: 1 }, /input_tokens/],
    [
      { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0.5 },
      /cache_read_input_tokens/,
    ],
    [{ prompt_tokens: 10 }, /no token counts found/],
    ['usage', /anthropic usage/],
  ])('should reject unreadable usage %j', (raw, message) => {
    expect(() => convertAnthropicUsage(raw)).toThrow(AdapterError);
    expect(() => convertAnthropicUsage(raw)).toThrow(message);
  });
});

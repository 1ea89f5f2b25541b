import fc from 'fast-check';
import { litellmUsage, litellmUsageEvent } from './litellm-payload';
import { litellmItems } from './litellm.routes';

describe('litellmUsage', () => {
  it('should take OpenAI cached tokens out of prompt_tokens', () => {
    expect(
      litellmUsage({
        prompt_tokens: 1200,
        completion_tokens: 50,
        hidden_params: {
          usage_object: {
            prompt_tokens: 1200,
            completion_tokens: 50,
            prompt_tokens_details: { cached_tokens: 1000 },
            completion_tokens_details: { reasoning_tokens: 20 },
          },
        },
      }),
    ).toEqual({
      input_tokens: 200,
      cache_read_tokens: 1000,
      output_tokens: 50,
      reasoning_tokens: 20,
    });
  });

  it('should take Anthropic reads and writes out, splitting the 1-hour writes', () => {
    expect(
      litellmUsage({
        metadata: {
          usage_object: {
            prompt_tokens: 2600,
            completion_tokens: 80,
            cache_read_input_tokens: 2000,
            cache_creation_input_tokens: 500,
            cache_creation_token_details: { ephemeral_1h_input_tokens: 200 },
          },
        },
      }),
    ).toEqual({
      input_tokens: 100,
      cache_read_tokens: 2000,
      cache_write_tokens: 300,
      cache_write_1h_tokens: 200,
      output_tokens: 80,
    });
  });

  it('should read the top-level counts without a usage object, and none for a cache hit', () => {
    expect(litellmUsage({ prompt_tokens: 10, completion_tokens: 2 })).toEqual({
      input_tokens: 10,
      output_tokens: 2,
    });
    expect(litellmUsage({ prompt_tokens: 10, completion_tokens: 2, cache_hit: true })).toEqual({
      input_tokens: 0,
      output_tokens: 0,
    });
  });

  it('should take the input as exclusive when the cache exceeds it', () => {
    expect(
      litellmUsage({
        hidden_params: { usage_object: { prompt_tokens: 5, cache_read_input_tokens: 9 } },
      }),
    ).toMatchObject({ input_tokens: 5, cache_read_tokens: 9 });
  });

  it('should pass a count that is not one on as it is, for the parser to name', () => {
    expect(litellmUsage({ prompt_tokens: -3 })).toMatchObject({ input_tokens: -3 });
  });

  it('should never throw and never answer negative buckets for counts', () => {
    fc.assert(
      fc.property(
        fc.nat(1e6),
        fc.nat(1e6),
        fc.nat(1e6),
        fc.nat(1e6),
        (prompt, completion, read, write) => {
          const usage = litellmUsage({
            hidden_params: {
              usage_object: {
                prompt_tokens: prompt,
                completion_tokens: completion,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: write,
              },
            },
          });
          for (const value of Object.values(usage)) expect(value).toBeGreaterThanOrEqual(0);
        },
      ),
    );
    fc.assert(fc.property(fc.anything(), (value) => void litellmUsageEvent(value)));
  });
});

describe('litellmItems', () => {
  it('should read an array, one object and NDJSON, keeping a broken line as text', () => {
    expect(litellmItems('[{"id": "a"}, {"id": "b"}]')).toHaveLength(2);
    expect(litellmItems('{"id": "a"}')).toHaveLength(1);
    const items = litellmItems('{"id": "a"}\n{"id": \n\n{"id": "c"}\n');
    expect(items).toHaveLength(3);
    expect(items[1]).toEqual({ rawText: '{"id":' });
  });

  it('should refuse an empty body and an array that is not JSON', () => {
    expect(() => litellmItems(' \n')).toThrow(/empty/);
    expect(() => litellmItems('[{"id": 1}')).toThrow(/JSON array/);
  });
});

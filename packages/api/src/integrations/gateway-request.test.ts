import { DEFAULT_GATEWAY_MAX_TOKENS, gatewayOpaInput, headerMap } from './gateway-request';

const headers = (values: Record<string, unknown>) => headerMap(values);

describe('gatewayOpaInput', () => {
  it('should infer the provider from the path and read an OpenAI body', () => {
    const { input } = gatewayOpaInput(
      {
        path: '/openai/v1/chat/completions?x=1',
        headers: headers({ 'X-Purser-Team': 'search', 'x-purser-request-path': '/chat' }),
        body: { model: 'gpt-4o', max_completion_tokens: 300, messages: [{ content: 'abcdefgh' }] },
      },
      'kong',
    );
    expect(input).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      attribution: { team: 'search', request_path: '/chat' },
      estimated_input_tokens: 2,
      max_output_tokens: 300,
      metadata: { gateway: 'kong' },
    });
  });

  it('should read Anthropic and Gemini calls, and headers when there is no body', () => {
    expect(
      gatewayOpaInput(
        {
          path: '/v1/messages',
          headers: headers({}),
          body: { model: 'claude', max_tokens: 9, system: 'abcd' },
        },
        'envoy',
      ).input,
    ).toMatchObject({
      provider: 'anthropic',
      model: 'claude',
      max_output_tokens: 9,
      estimated_input_tokens: 1,
    });
    expect(
      gatewayOpaInput(
        { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', headers: headers({}) },
        'envoy',
      ).input,
    ).toMatchObject({
      provider: 'google',
      model: 'gemini-2.5-flash',
      max_output_tokens: DEFAULT_GATEWAY_MAX_TOKENS,
    });
    expect(
      gatewayOpaInput(
        {
          path: '/anything',
          headers: headers({
            'x-purser-provider': 'openai',
            'x-purser-model': 'gpt-4o',
            'x-purser-max-tokens': ['50', '60'],
            'x-purser-input-tokens': '7',
            'x-purser-virtual-key': 'vk_1',
          }),
        },
        'apisix',
      ).input,
    ).toMatchObject({
      model: 'gpt-4o',
      max_output_tokens: 50,
      estimated_input_tokens: 7,
      virtual_key: 'vk_1',
    });
  });

  it('should name what is missing or wrong', () => {
    expect(() => gatewayOpaInput({ path: '/x', headers: headers({}) }, 'kong')).toThrow(
      /X-Purser-Provider/,
    );
    expect(() => gatewayOpaInput({ path: '/v1/responses', headers: headers({}) }, 'kong')).toThrow(
      /X-Purser-Model/,
    );
    expect(() =>
      gatewayOpaInput(
        { path: '/v1/responses', headers: headers({}), body: { model: 'm', max_tokens: -1 } },
        'kong',
      ),
    ).toThrow(/body.max_tokens must be a non-negative integer/);
    // A bad input (400 naming it), not a URIError (a 500).
    expect(() =>
      gatewayOpaInput(
        { path: '/v1beta/models/gemini%E0%A4:generateContent', headers: headers({}) },
        'envoy',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining('"gemini%E0%A4" is not valid percent-encoding'),
      }),
    );
  });

  it('should bound the input estimate walk', () => {
    let deep: unknown = 'x'.repeat(400);
    for (let level = 0; level < 10_000; level += 1) deep = [deep];
    const { input } = gatewayOpaInput(
      { path: '/v1/chat/completions', headers: headers({}), body: { model: 'm', messages: deep } },
      'kong',
    );
    expect(input.estimated_input_tokens).toBe(0);
  });
});

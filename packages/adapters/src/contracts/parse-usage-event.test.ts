import anthropicMessage from '../__fixtures__/anthropic-message-cache.json';
import geminiResponse from '../__fixtures__/gemini-generate-content.json';
import openaiCompletion from '../__fixtures__/openai-chat-completion.json';
import otlpSpan from '../__fixtures__/otel-genai-otlp-span.json';
import {
  ANTHROPIC_MESSAGE_CACHE_USAGE,
  GEMINI_GENERATE_CONTENT_USAGE,
  OPENAI_CHAT_COMPLETION_USAGE,
} from '../__fixtures__/fixture-usage';
import { fullWireOutcome } from '../testing';
import { parseUsageEvent, parseUsageEventJson } from './parse-usage-event';
import { toWireUsageEvent } from './usage-event';

const now = new Date('2026-11-23T10:00:00Z');
const options = { now };

const minimal = {
  id: 'evt_01',
  timestamp: '2026-11-23T09:59:58.123Z',
  provider: 'openai',
  model: 'gpt-4o-2024-08-06',
  usage: { input_tokens: 93, cache_read_tokens: 1024, output_tokens: 46 },
};

/** The attribution keys a full event's wire form and parsed form name alike. */
const fullAttribution = {
  team: 'search',
  feature: 'autocomplete',
  environment: 'production',
  customer: 'acme',
  project: 'p1',
  user: 'u1',
  agent: 'planner',
};

function expectFailure(input: unknown, reason: string | RegExp, parseOptions = options) {
  const result = parseUsageEvent(input, parseOptions);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  if (typeof reason === 'string') expect(result.reason).toBe(reason);
  else expect(result.reason).toMatch(reason);
}

describe('parseUsageEvent', () => {
  it('should normalize a minimal event and apply defaults', () => {
    const result = parseUsageEvent(minimal, options);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      event: {
        id: 'evt_01',
        source: 'default',
        timestamp: new Date('2026-11-23T09:59:58.123Z'),
        timestampText: '2026-11-23T09:59:58.123Z',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        usage: { input_tokens: 93, cache_read_tokens: 1024, output_tokens: 46 },
        attribution: {},
        tags: {},
        status: 'success',
        cacheHit: false,
        batch: false,
      },
    });
  });

  it('should read every field of a full event', () => {
    const result = parseUsageEvent(
      {
        ...minimal,
        source: 'gateway-eu-1',
        timestamp: '2026-11-23T11:59:00.123456+02:00',
        provider: 'azure_openai',
        operation: 'chat',
        attribution: {
          ...fullAttribution,
          session: 's1',
          virtual_key: 'vk_1',
          request_path: '/v1/chat/completions',
        },
        tags: { region: 'eu' },
        ...fullWireOutcome(),
      },
      options,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event).toMatchObject({
      source: 'gateway-eu-1',
      timestamp: new Date('2026-11-23T09:59:00.123Z'),
      timestampText: '2026-11-23T11:59:00.123456+02:00',
      provider: 'azure',
      operation: 'chat',
      attribution: {
        ...fullAttribution,
        session: 's1',
        virtualKey: 'vk_1',
        requestPath: '/v1/chat/completions',
      },
      tags: { region: 'eu' },
      latencyMs: 812.5,
      status: 'error',
      errorType: 'rate_limited',
      retryCount: 2,
      reportedCost: { amount: '0.00125', currency: 'USD' },
      decisionId: 'dec_1',
      batch: true,
    });
  });

  it.each([
    ['vertex_ai', 'google'],
    ['Anthropic', 'anthropic'],
    ['gemini', 'google'],
  ])('should map provider %j to the canonical %j', (provider, canonical) => {
    const result = parseUsageEvent({ ...minimal, provider }, options);
    expect(result.ok && result.event.provider).toBe(canonical);
  });

  it.each([
    [0.0025, '0.0025'],
    [1e-7, '0.0000001'],
    [12, '12'],
    ['3.50', '3.50'],
  ])('should keep reported_cost amount %j as the decimal string %j', (amount, expected) => {
    const result = parseUsageEvent(
      { ...minimal, reported_cost: { amount, currency: 'EUR' } },
      options,
    );
    expect(result.ok && result.event.reportedCost).toEqual({ amount: expected, currency: 'EUR' });
  });

  it('should report unknown fields as warnings and ignore them', () => {
    const result = parseUsageEvent(
      { ...minimal, cost_center: 'x', attribution: { team: 't', org: 'o' } },
      options,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([
      'ignored unknown field "cost_center"',
      'ignored unknown field "attribution.org"',
    ]);
    expect(result.event.attribution).toEqual({ team: 't' });
    expect(result.event).not.toHaveProperty('cost_center');
  });

  it('should treat null optional fields as absent', () => {
    const result = parseUsageEvent(
      { ...minimal, operation: null, attribution: { team: 'a', user: null }, decision_id: null },
      options,
    );
    expect(result.ok && result.event.attribution).toEqual({ team: 'a' });
    expect(result.ok && result.event.decisionId).toBeUndefined();
  });

  it.each([
    ['no nulls', { ...minimal, attribution: { team: 'a' } }],
    ['nulls at the top only', { ...minimal, operation: null, attribution: { team: 'a' } }],
    ['nulls in attribution only', { ...minimal, attribution: { team: 'a', user: null } }],
  ])('should leave the input unchanged with %s', (_name, input) => {
    const before = structuredClone(input);
    const result = parseUsageEvent(input, options);
    expect(result.ok && result.event.attribution).toEqual({ team: 'a' });
    expect(input).toEqual(before);
  });

  it.each([
    [
      { ...minimal, usage: { input_tokens: -5 } },
      'usage.input_tokens: must be a non-negative integer (got -5)',
    ],
    [
      { ...minimal, usage: { output_tokens: 2.5 } },
      'usage.output_tokens: must be a non-negative integer (got 2.5)',
    ],
    [
      { ...minimal, usage: { output_tokens: '7' } },
      'usage.output_tokens: must be a non-negative integer (got "7")',
    ],
    [
      { ...minimal, usage: { input_tokens: 1_000_000_001 } },
      'usage.input_tokens: must be at most 1000000000 tokens per call (got 1000000001)',
    ],
    [{ ...minimal, usage: { prompt_tokens: 5 } }, 'usage: unknown field(s) "prompt_tokens"'],
    [
      { ...minimal, usage: { units: { web_search_requests: -1 } } },
      /^usage\.units\.web_search_requests: must be a non-negative number/,
    ],
    [{ ...minimal, id: '' }, 'id: must not be empty (got "")'],
    [{ ...minimal, id: 'x'.repeat(257) }, /^id: must be at most 256 characters/],
    [{ ...minimal, id: 42 }, 'id: must be a string (got 42)'],
    [{ ...minimal, id: undefined }, 'id: required'],
    [{ ...minimal, timestamp: undefined }, 'timestamp: required'],
    [
      { ...minimal, timestamp: '2026-11-23T09:59:58' },
      /^timestamp: must be an RFC 3339 timestamp with an offset/,
    ],
    [{ ...minimal, timestamp: '2026-02-30T00:00:00Z' }, /^timestamp: must be an RFC 3339/],
    [{ ...minimal, timestamp: 1763891998 }, /^timestamp: must be an RFC 3339/],
    [{ ...minimal, status: 'ok' }, 'status: must be "success" or "error" (got "ok")'],
    [{ ...minimal, cache_hit: 'yes' }, 'cache_hit: must be a boolean (got "yes")'],
    [{ ...minimal, retry_count: -1 }, 'retry_count: must be a non-negative integer (got -1)'],
    [{ ...minimal, latency_ms: -3 }, /^latency_ms: must be a non-negative number/],
    [{ ...minimal, tags: { a: 1 } }, 'tags.a: must be a string (got 1)'],
    [{ ...minimal, attribution: { team: 5 } }, 'attribution.team: must be a string (got 5)'],
    [
      { ...minimal, attribution: { team: 'x'.repeat(257) } },
      /^attribution\.team: must be at most 256/,
    ],
    [
      { ...minimal, reported_cost: { amount: '-1', currency: 'USD' } },
      /^reported_cost\.amount: must be a non-negative plain decimal/,
    ],
    [{ ...minimal, reported_cost: { amount: '1e3', currency: 'USD' } }, /^reported_cost\.amount: /],
    [
      { ...minimal, reported_cost: { amount: '1', currency: 'dollars' } },
      /^reported_cost\.currency: must be an ISO 4217/,
    ],
    [{ ...minimal, reported_cost: { amount: '1' } }, 'reported_cost.currency: required'],
    [{ ...minimal, provider: undefined }, 'provider: required'],
    [{ ...minimal, model: undefined }, 'model: required'],
    [{ ...minimal, usage: undefined }, 'usage: required (or provider_usage with its usage_format)'],
    ['{"id":1}', '(root): must be a JSON object (a usage event)'],
    [[minimal], '(root): must be a JSON object (a usage event)'],
  ])('should reject %j naming the field', (input, reason) => {
    expectFailure(input, reason);
  });

  it('should list every problem in details and keep the id for the dead letter', () => {
    const result = parseUsageEvent({ ...minimal, status: 'nope', retry_count: 'x' }, options);
    expect(result).toEqual({
      ok: false,
      reason:
        'status: must be "success" or "error" (got "nope"); retry_count: must be a non-negative integer (got "x")',
      details: {
        issues: [
          'status: must be "success" or "error" (got "nope")',
          'retry_count: must be a non-negative integer (got "x")',
        ],
        id: 'evt_01',
      },
    });
  });

  it('should accept an error or cache-hit event without usage as zero usage', () => {
    for (const extra of [{ status: 'error' }, { cache_hit: true }]) {
      const result = parseUsageEvent({ ...minimal, usage: undefined, ...extra }, options);
      expect(result.ok && result.event.usage).toEqual({});
    }
  });

  describe('timestamp window', () => {
    it.each([
      ['2026-11-23T10:04:59Z', true],
      ['2026-11-23T10:05:00Z', true],
      ['2026-11-23T10:05:00.001Z', false],
      ['2026-11-23T11:04:00+01:00', true],
      ['2026-11-23T11:06:00+01:00', false],
    ])('should apply the default 5-minute future skew to %s (accepted: %s)', (timestamp, ok) => {
      expect(parseUsageEvent({ ...minimal, timestamp }, options).ok).toBe(ok);
    });

    it('should say how far in the future a timestamp is', () => {
      expectFailure(
        { ...minimal, timestamp: '2026-11-23T11:00:00Z' },
        'timestamp: 2026-11-23T11:00:00Z is 3600000 ms in the future (more than the allowed clock skew of 300000 ms)',
      );
    });

    it('should honour maxFutureSkewMs and maxAgeMs', () => {
      const timestamp = '2026-11-23T10:00:30Z';
      expect(parseUsageEvent({ ...minimal, timestamp }, { now, maxFutureSkewMs: 10_000 }).ok).toBe(
        false,
      );
      const old = { ...minimal, timestamp: '2026-11-20T10:00:00Z' };
      expect(parseUsageEvent(old, options).ok).toBe(true);
      expectFailure(
        old,
        'timestamp: 2026-11-20T10:00:00Z is older than the accepted age of 1 day',
        {
          now,
          maxAgeMs: 86_400_000,
        } as never,
      );
      expectFailure(old, /older than the accepted age of 400 days$/, {
        now: new Date('2027-12-31T00:00:00Z'),
        maxAgeMs: 400 * 86_400_000,
      } as never);
      expectFailure(
        { ...minimal, timestamp: '0001-01-01T00:00:00Z' },
        /^timestamp: 0001-01-01T00:00:00Z is older than the accepted age of 90000 ms$/,
        { now, maxAgeMs: 90_000 } as never,
      );
    });

    it('should refuse a date that does not exist rather than store an invalid instant', () => {
      const result = parseUsageEvent({ ...minimal, timestamp: '2026-02-30T10:00:00Z' }, options);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toMatch(/^timestamp: /);
    });
  });

  describe('provider_usage', () => {
    const base = { id: 'evt_raw', timestamp: '2026-11-23T09:00:00Z' };

    it.each([
      ['openai', 'gpt-4o-2024-08-06', openaiCompletion.usage, OPENAI_CHAT_COMPLETION_USAGE],
      [
        'anthropic',
        'claude-sonnet-4-5-20250929',
        anthropicMessage.usage,
        ANTHROPIC_MESSAGE_CACHE_USAGE,
      ],
      ['gemini', 'gemini-2.5-flash', geminiResponse.usageMetadata, GEMINI_GENERATE_CONTENT_USAGE],
    ])(
      'should convert %s raw usage with the provider default format',
      (provider, model, raw, usage) => {
        const result = parseUsageEvent({ ...base, provider, model, provider_usage: raw }, options);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.event.usage).toEqual(usage);
        expect(result.event.providerUsage).toEqual(raw);
      },
    );

    it('should take provider and model from OTel attributes when the event lacks them', () => {
      const result = parseUsageEvent(
        { ...base, usage_format: 'otel', provider_usage: otlpSpan.attributes },
        options,
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.event).toMatchObject({
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        usage: { input_tokens: 512, cache_read_tokens: 1024, output_tokens: 220 },
        usageFormat: 'otel',
      });
    });

    it('should carry converter warnings into the result', () => {
      const result = parseUsageEvent(
        {
          ...base,
          provider: 'openai',
          model: 'gpt-4o',
          provider_usage: { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 20 } },
        },
        options,
      );
      expect(result.ok && result.warnings[0]).toMatch(/^provider_usage: .*clamped to 0/);
    });

    it.each([
      [
        { provider: 'bedrock', model: 'm', provider_usage: { inputTokens: 1 } },
        /^usage_format: required with provider_usage for provider "bedrock" \(known formats: openai, anthropic, google, otel\)/,
      ],
      [
        {
          provider: 'openai',
          model: 'm',
          usage_format: 'cohere',
          provider_usage: { prompt_tokens: 1 },
        },
        /^usage_format: unknown format "cohere" \(known formats: openai, anthropic, google, otel\)/,
      ],
      [
        { provider: 'openai', model: 'm', provider_usage: { prompt_tokens: -1 } },
        /^provider_usage: openai usage: prompt_tokens: /,
      ],
      [
        { provider: 'anthropic', model: 'm', provider_usage: { prompt_tokens: 1 } },
        /^provider_usage: anthropic usage: no token counts found/,
      ],
      [
        { provider: 'openai', model: 'm', provider_usage: 'prompt_tokens=1' },
        /^provider_usage: must be a JSON object/,
      ],
      [
        { provider: 'openai', model: 'm', provider_usage: { prompt_tokens: 2_000_000_000 } },
        /^provider_usage \(converted\): input_tokens: must be at most 1000000000/,
      ],
    ])('should reject unconvertible provider usage %j', (extra, reason) => {
      expectFailure({ ...base, ...extra }, reason);
    });

    it('should prefer usage and warn when provider_usage disagrees', () => {
      const result = parseUsageEvent(
        { ...minimal, provider_usage: { prompt_tokens: 5000, completion_tokens: 1 } },
        options,
      );
      expect(result.ok && result.event.usage).toEqual(minimal.usage);
      expect(result.ok && result.warnings[0]).toMatch(/^usage and provider_usage disagree/);
    });

    it.each([
      [
        { provider: 'bedrock', provider_usage: { inputTokens: 1 } },
        /^usage_format: required .*; usage is used$/,
      ],
      [
        { usage_format: 'cohere', provider_usage: { prompt_tokens: 1 } },
        /^usage_format: unknown format "cohere" .*; usage is used$/,
      ],
      [
        { provider_usage: { prompt_tokens: -1 } },
        /^provider_usage: openai usage: prompt_tokens: .*; usage is used$/,
      ],
    ])(
      'should only warn about unreadable provider_usage when usage is given: %j',
      (extra, warning) => {
        const result = parseUsageEvent({ ...minimal, ...extra }, options);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.event.usage).toEqual(minimal.usage);
        expect(result.warnings).toHaveLength(1);
        expect(result.warnings[0]).toMatch(warning);
      },
    );

    it('should reject an oversized provider_usage even with usage', () => {
      const huge = { prompt_tokens: 1, padding: 'x'.repeat(70 * 1024) };
      expectFailure(
        { ...minimal, provider_usage: huge },
        /^provider_usage: \d+ bytes, more than the limit of 65536$/,
      );
    });

    it('should not warn when usage and provider_usage agree', () => {
      const result = parseUsageEvent(
        { ...minimal, provider_usage: openaiCompletion.usage },
        options,
      );
      expect(result.ok && result.warnings).toEqual([]);
    });
  });

  describe('CloudEvents envelope', () => {
    const envelope = {
      specversion: '1.0',
      id: 'ce-123',
      source: '/gateways/eu-1',
      type: 'dev.purser.usage.v1',
      time: '2026-11-23T09:58:00Z',
      datacontenttype: 'application/json',
    };

    it('should unwrap data that carries its own id and timestamp', () => {
      const result = parseUsageEvent({ ...envelope, data: { ...minimal, source: 'gw' } }, options);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.event).toMatchObject({
        id: 'evt_01',
        source: 'gw',
        timestampText: minimal.timestamp,
      });
      expect(result.cloudEvent).toMatchObject({ id: 'ce-123', type: 'dev.purser.usage.v1' });
    });

    it('should take id, time and source from the envelope when data lacks them', () => {
      const { id: _id, timestamp: _timestamp, ...data } = minimal;
      const result = parseUsageEvent({ ...envelope, data }, options);
      expect(result.ok && result.event).toMatchObject({
        id: 'ce-123',
        source: '/gateways/eu-1',
        timestampText: '2026-11-23T09:58:00Z',
      });
    });

    it('should accept an absent datacontenttype and JSON with parameters', () => {
      const { datacontenttype: _type, ...withoutType } = envelope;
      expect(parseUsageEvent({ ...withoutType, data: minimal }, options).ok).toBe(true);
      expect(
        parseUsageEvent(
          {
            ...envelope,
            datacontenttype: 'application/cloudevents+json; charset=utf-8',
            data: minimal,
          },
          options,
        ).ok,
      ).toBe(true);
    });

    it.each([
      [
        { ...envelope, data_base64: 'eyJpZCI6MX0=' },
        /^CloudEvent data_base64: binary data is not supported/,
      ],
      [
        { ...envelope, datacontenttype: 'application/xml', data: minimal },
        'CloudEvent datacontenttype: must be JSON (got "application/xml")',
      ],
      [
        { ...envelope, specversion: '0.3', data: minimal },
        /^CloudEvent specversion: only CloudEvents 1.0 is supported/,
      ],
      [
        { ...envelope, data: 'text' },
        'CloudEvent data: must be a JSON object holding the usage event',
      ],
      [{ ...envelope, id: undefined, data: minimal }, 'CloudEvent id: required'],
      [
        { ...envelope, data: { ...minimal, usage: { input_tokens: -5 } } },
        'usage.input_tokens: must be a non-negative integer (got -5)',
      ],
    ])('should reject the envelope %j', (input, reason) => {
      expectFailure(input, reason);
    });
  });

  it('should round-trip through toWireUsageEvent', () => {
    const first = parseUsageEvent(
      {
        ...minimal,
        attribution: { team: 'search', virtual_key: 'vk' },
        tags: { a: 'b' },
        reported_cost: { amount: 0.5, currency: 'usd' },
        provider_usage: openaiCompletion.usage,
        cache_hit: true,
        batch: true,
        retry_count: 0,
      },
      options,
    );
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const wire = toWireUsageEvent(first.event);
    expect(wire).toMatchObject({
      attribution: { team: 'search', virtual_key: 'vk' },
      usage_format: 'openai',
    });
    const second = parseUsageEvent(JSON.parse(JSON.stringify(wire)), options);
    expect(second.ok && second.event).toEqual(first.event);
  });
});

describe('parseUsageEventJson', () => {
  it('should parse a JSON body', () => {
    const result = parseUsageEventJson(Buffer.from(JSON.stringify(minimal)), options);
    expect(result.ok && result.event.id).toBe('evt_01');
  });

  it('should refuse more values than the bound as the parsed value is refused, without a NUL or __proto__', () => {
    // 60,000 zeros in an extra field: no escape, no "__proto__" in the text.
    const text = `{${JSON.stringify(minimal).slice(1, -1)},"extra":[${'0,'.repeat(59_999)}0]}`;
    const fromValue = parseUsageEvent(JSON.parse(text), options);
    const fromText = parseUsageEventJson(text, options);
    expect(fromValue.ok).toBe(false);
    expect(fromText).toEqual(fromValue);
  });

  it('should say where invalid JSON breaks', () => {
    const result = parseUsageEventJson('{"id": "a",, }', options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^invalid JSON at line 1, column 12 \(position 11\)/);
  });

  it.each([
    ['a string', (text: string) => text],
    ['a Buffer', (text: string) => Buffer.from(text)],
    ['a view into a larger buffer', (text: string) => Buffer.from(`xx${text}yy`).subarray(2, -2)],
  ])('should read the same event from %s', (_name, encode) => {
    const text = JSON.stringify({ ...minimal, tags: { note: 'café ☕' }, attribution: null });
    expect(parseUsageEventJson(encode(text), options)).toEqual(
      parseUsageEvent({ ...minimal, tags: { note: 'café ☕' } }, options),
    );
  });

  it('should refuse a body over 1 MiB', () => {
    const text = JSON.stringify({ ...minimal, padding: 'x'.repeat(1024 * 1024) });
    const result = parseUsageEventJson(text, options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^body is \d+ bytes, more than the limit of 1048576/);
  });

  it('should refuse a __proto__ key as text and as a parsed value alike', () => {
    const text = `{"__proto__": {"x": 1}, ${JSON.stringify(minimal).slice(1)}`;
    const escaped = `{"__pro\\u0074o__": {"x": 1}, ${JSON.stringify(minimal).slice(1)}`;
    const reason = '__proto__: not allowed as a key (it would set a prototype)';
    for (const result of [
      parseUsageEventJson(text, options),
      parseUsageEventJson(escaped, options),
      parseUsageEventJson(Buffer.from(text), options),
      parseUsageEvent(JSON.parse(text), options),
    ]) {
      expect(result).toMatchObject({ ok: false, reason, details: { id: 'evt_01' } });
    }
  });

  it('should refuse bytes that are not UTF-8, naming the first bad byte', () => {
    const bytes = Buffer.from(JSON.stringify({ ...minimal, model: 'gpt-XX' }));
    bytes[bytes.indexOf('XX')] = 0xff;
    expect(parseUsageEventJson(bytes, options)).toEqual({
      ok: false,
      reason: `(body): not valid UTF-8 (invalid byte 0xff at byte ${bytes.indexOf(0xff)})`,
      details: { issues: [expect.any(String)] },
    });
  });

  it('should reject a JSON value that is not an object', () => {
    const result = parseUsageEventJson('[1,2]', options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^\(root\): must be a JSON object/);
  });
});

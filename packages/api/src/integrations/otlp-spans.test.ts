import { decodeTraceRequest, encodeTraceResponse, decodeTraceResponse } from './otlp-proto';
import { isUsageSpan, otlpSpans, spanUsageEvent } from './otlp-spans';

const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

const body = {
  resourceSpans: [
    {
      resource: {
        attributes: [
          kv('service.name', { stringValue: 'checkout' }),
          kv('purser.team', { stringValue: 'payments' }),
        ],
      },
      scopeSpans: [
        {
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              name: 'chat',
              startTimeUnixNano: '1796000000000000000',
              endTimeUnixNano: '1796000000250000000',
              attributes: [
                kv('gen_ai.provider.name', { stringValue: 'openai' }),
                kv('gen_ai.usage.input_tokens', { intValue: '30' }),
                kv('gen_ai.usage.output_tokens', { intValue: 5 }),
                kv('purser.team', { stringValue: 'search' }),
                kv('__proto__', { stringValue: 'x' }),
              ],
              status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
            },
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: '0000000000000001',
              attributes: [
                kv('gen_ai.operation.name', { stringValue: 'invoke_agent' }),
                kv('gen_ai.usage.input_tokens', { intValue: '999' }),
              ],
            },
            'not a span',
          ],
        },
      ],
    },
  ],
};

describe('otlpSpans and spanUsageEvent', () => {
  it('should read OTLP/JSON spans and map a GenAI span to a usage event', () => {
    const spans = [...otlpSpans(body)];
    expect(spans).toHaveLength(2);
    expect(spans.map(isUsageSpan)).toEqual([true, false]);
    expect(spanUsageEvent(spans[0])).toEqual({
      id: '5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174',
      source: 'otlp',
      timestamp: '2026-11-30T00:53:20.250Z',
      provider: 'openai',
      usage: { input_tokens: 30, output_tokens: 5 },
      attribution: { team: 'search', feature: 'checkout' },
      latency_ms: 250,
      status: 'error',
      error_type: 'boom',
    });
  });

  it('should read span times sent as JSON numbers, as OTLP/JSON allows', () => {
    const span = body.resourceSpans[0].scopeSpans[0].spans[0] as Record<string, unknown>;
    const numeric = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  ...span,
                  startTimeUnixNano: 1796000000000000000,
                  endTimeUnixNano: 1796000000250000000,
                },
              ],
            },
          ],
        },
      ],
    };
    const [read] = [...otlpSpans(JSON.parse(JSON.stringify(numeric)))];
    expect(spanUsageEvent(read)).toMatchObject({
      timestamp: '2026-11-30T00:53:20.250Z',
      latency_ms: 250,
    });
  });

  it('should cut a long fallback feature or session to the attribution bound', () => {
    const [span] = [...otlpSpans(body)];
    span.resource.set('service.name', 's'.repeat(300));
    span.resource.delete('purser.team');
    span.attributes.set('gen_ai.conversation.id', 'c'.repeat(300));
    expect(spanUsageEvent(span).attribution).toEqual({
      team: 'search',
      feature: 's'.repeat(256),
      session: 'c'.repeat(256),
    });
  });

  it('should leave attributes the converter refuses to the parser, which names them', () => {
    const [span] = [...otlpSpans(body)];
    span.attributes.set('gen_ai.usage.output_tokens', -5);
    expect(spanUsageEvent(span)).toMatchObject({
      provider_usage: { 'gen_ai.usage.output_tokens': -5 },
      usage_format: 'otel',
    });
  });

  it('should read nothing from what is not OTLP, without throwing', () => {
    for (const value of [
      null,
      5,
      'x',
      [],
      { resourceSpans: 5 },
      { resourceSpans: [{ scopeSpans: {} }] },
    ]) {
      expect([...otlpSpans(value)]).toEqual([]);
    }
    // An intValue that is an object String() cannot write: left out, not a TypeError (a 500).
    const [span] = [
      ...otlpSpans(
        JSON.parse(
          '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":{"toString":1}}}]}]}]}]}',
        ),
      ),
    ];
    expect(span.attributes.size).toBe(0);
  });

  it('should encode a partial success only when a span was rejected', () => {
    expect(encodeTraceResponse(0, '')).toHaveLength(0);
    expect(decodeTraceResponse(encodeTraceResponse(2, 'bad'))).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'bad' },
    });
    expect(decodeTraceRequest(new Uint8Array())).toMatchObject({ resourceSpans: [] });
  });
});

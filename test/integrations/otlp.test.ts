// OTLP/HTTP trace ingest with the real OpenTelemetry JS SDK (0.223 exporters, sdk-trace 2.12):
// its proto and JSON exporters pointed at a running instance, GenAI spans stored once as
// usage (the cache taken out of gen_ai.usage.input_tokens), other spans ignored and counted,
// rejected spans reported in partialSuccess in the request's own encoding; more than 10,000
// spans refused whole with 413.
import { gzipSync } from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { servePurser } from '../support/purser';
import { chatAttributes, recordSpans } from './otlp-support';

interface EventRow {
  event_id: string;
  provider: string;
  model: string;
  input_tokens: string;
  cache_read_tokens: string;
  output_tokens: string;
  team: string | null;
  feature: string | null;
  session: string | null;
  status: string;
  error_type: string | null;
  cost: string;
}

describe('POST /v1/traces (OTLP/HTTP)', () => {
  const served = servePurser('gateway');

  const exportWith = (exporter: ProtoExporter | JsonExporter, spans: ReadableSpan[]) =>
    new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

  const rows = (ids: string[]): Promise<EventRow[]> =>
    served.service.purser.dataSource.query(
      `SELECT event_id, provider, model, input_tokens::text, cache_read_tokens::text,
              output_tokens::text, team, feature, session, status, error_type, cost::text
         FROM usage_events WHERE source = 'otlp' AND event_id = ANY($1::text[]) ORDER BY event_id`,
      [ids],
    );

  const idOf = (span: ReadableSpan) => `${span.spanContext().traceId}-${span.spanContext().spanId}`;

  it.each([
    [
      'protobuf',
      (url: string, key: string) =>
        new ProtoExporter({ url, headers: { authorization: `Bearer ${key}` } }),
    ],
    [
      'JSON, gzip',
      (url: string, key: string) =>
        new JsonExporter({
          url,
          headers: { authorization: `Bearer ${key}` },
          compression: 'gzip' as never,
        }),
    ],
  ])(
    'should store GenAI spans sent by the SDK exporter (%s) once, and ignore the others',
    async (_name, make) => {
      const spans = await recordSpans(
        { 'service.name': 'checkout', 'purser.team': 'payments', 'purser.environment': 'prod' },
        [
          {
            name: 'chat gpt-4o-mini',
            attributes: chatAttributes({
              'purser.team': 'search',
              'gen_ai.conversation.id': 'conv-7',
            }),
          },
          { name: 'GET /cart', attributes: { 'http.request.method': 'GET' } },
          {
            name: 'invoke_agent planner',
            attributes: {
              'gen_ai.operation.name': 'invoke_agent',
              'gen_ai.usage.input_tokens': 9999,
            },
          },
        ],
      );
      const exporter = make(`${served.service.url}/v1/traces`, served.key);
      expect((await exportWith(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      // A re-export (a collector retrying) is a duplicate, not a second call.
      expect((await exportWith(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
      const ids = spans.map(idOf);
      const stored = await rows(ids);
      expect(stored).toEqual([
        expect.objectContaining({
          event_id: ids[0],
          provider: 'openai',
          model: 'gpt-4o-mini',
          input_tokens: '200',
          cache_read_tokens: '1000',
          output_tokens: '50',
          team: 'search',
          feature: 'checkout',
          session: 'conv-7',
          status: 'success',
        }),
      ]);
      // 200×0.15 + 1000×0.075 + 50×0.60 per 1M
      expect(stored[0].cost).toBe('0.000135');
    },
  );

  it('should report rejected spans in partialSuccess, in protobuf and in JSON', async () => {
    const spans = await recordSpans({ 'service.name': 'svc' }, [
      { name: 'good', attributes: chatAttributes() },
      { name: 'negative', attributes: chatAttributes({ 'gen_ai.usage.output_tokens': -3 }) },
      { name: 'plain', attributes: { a: 1 } },
    ]);
    const proto = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${served.key}` },
      body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array<ArrayBuffer>,
    });
    expect(proto.status).toBe(200);
    expect(proto.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect(proto.headers.get('x-purser-spans-ignored')).toBe('1');
    expect(proto.headers.get('x-purser-spans-accepted')).toBe('1');
    const answer = ProtobufTraceSerializer.deserializeResponse(
      new Uint8Array(await proto.arrayBuffer()),
    );
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toContain(idOf(spans[1]));
    expect(answer.partialSuccess?.errorMessage).toContain('gen_ai.usage.output_tokens');

    const json = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${served.key}`,
      },
      body: gzipSync(JsonTraceSerializer.serializeRequest(spans)!),
    });
    expect(json.status).toBe(200);
    const body = (await json.json()) as {
      partialSuccess?: { rejectedSpans: number; errorMessage: string };
    };
    expect(body.partialSuccess?.rejectedSpans).toBe(1);
    expect(json.headers.get('x-purser-spans-duplicate')).toBe('1');
    const letters = await served.service.purser.dataSource.query(
      `SELECT reason FROM dead_letters WHERE event_id = $1`,
      [idOf(spans[1])],
    );
    expect(letters.length).toBeGreaterThanOrEqual(1);
    expect(letters[0].reason).toContain('output_tokens');
  });

  it('should map the error status, the older gen_ai.system and purser.* on the resource', async () => {
    const spans = await recordSpans(
      { 'service.name': 'batch-jobs', 'purser.feature': 'summaries', 'purser.customer': 'acme' },
      [
        {
          name: 'chat',
          attributes: {
            'gen_ai.system': 'anthropic',
            'gen_ai.request.model': 'claude-sonnet-4-5',
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 0,
            'error.type': 'overloaded_error',
          },
          error: 'overloaded',
        },
      ],
    );
    const exporter = new ProtoExporter({
      url: `${served.service.url}/v1/traces`,
      headers: { authorization: `Bearer ${served.key}` },
    });
    expect((await exportWith(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    const [row] = await served.service.purser.dataSource.query(
      `SELECT provider, model, feature, customer, status, error_type, input_tokens::text,
              occurred_at
         FROM usage_events WHERE source = 'otlp' AND event_id = $1`,
      [idOf(spans[0])],
    );
    expect(row).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      feature: 'summaries',
      customer: 'acme',
      status: 'error',
      error_type: 'overloaded_error',
      input_tokens: '100',
      // The span's end (a fixed64 of nanoseconds) to the millisecond.
      occurred_at: new Date(spans[0].endTime[0] * 1000 + Math.floor(spans[0].endTime[1] / 1e6)),
    });
  });

  it('should refuse more than 10,000 spans with 413 in the request encoding, storing none', async () => {
    const spans = await recordSpans(
      { 'service.name': 'flood' },
      Array.from({ length: 10_001 }, (_, index) => ({
        name: `chat ${index}`,
        attributes: chatAttributes(),
      })),
    );
    const message = 'at most 10000 spans per request (got 10001); send smaller batches';
    const proto = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${served.key}` },
      body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array<ArrayBuffer>,
    });
    expect(proto.status).toBe(413);
    expect(proto.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    // A google.rpc.Status: field 1 (code) = 3, INVALID_ARGUMENT, not a code to retry; then
    // field 2, the message.
    const status = Buffer.from(await proto.arrayBuffer());
    expect([...status.subarray(0, 3)]).toEqual([0x08, 0x03, 0x12]);
    expect(status.toString('utf8')).toContain(message);
    // The SDK's exporter takes the 413 as a failed export.
    const exporter = new ProtoExporter({
      url: `${served.service.url}/v1/traces`,
      headers: { authorization: `Bearer ${served.key}` },
    });
    expect((await exportWith(exporter, spans)).code).toBe(ExportResultCode.FAILED);
    await exporter.shutdown();
    // OTLP/JSON of 10,001 empty spans: counted without being read.
    const json = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${served.key}` },
      body: JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: Array(5_000).fill({}) }, { spans: Array(5_001).fill({}) }] },
        ],
      }),
    });
    expect(json.status).toBe(413);
    expect(await json.json()).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message,
      limit: 10_000,
      count: 10_001,
    });
    expect(await rows([idOf(spans[0]), idOf(spans[10_000])])).toEqual([]);
  });

  it('should refuse a body that is not OTLP, naming why, in its encoding', async () => {
    const bad = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${served.key}` },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect(Buffer.from(await bad.arrayBuffer()).toString('latin1')).toContain(
      'not an OTLP ExportTraceServiceRequest',
    );
    const text = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${served.key}` },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const anonymous = await fetch(`${served.service.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });
});

// Generated input (fast-check) against every integration receiver of a production-mode
// instance: OTLP (random bytes as protobuf, mutated OTLP/JSON, gzip), LiteLLM (arrays, NDJSON
// with broken lines, mutated payloads) and the gateway plugins (mutated Kong, APISIX and
// Envoy calls). Every answer is a 2xx or a 4xx whose body names what was wrong — never a
// 5xx — and no request holds the event loop.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { MAX_LOOP_DELAY_MS, measureLoopDelay } from '../security/http-probe';
import { servePurser } from '../support/purser';
import { successPayload } from './litellm-payloads';
import { chatAttributes, recordSpans } from './otlp-support';

type Json = Record<string, unknown>;

const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    'a\u0000b',
    '\ud800',
    -1,
    1.5,
    2 ** 53,
    1e308,
    null,
    true,
    [],
    {},
    'x'.repeat(5000),
    { __proto__: 1 },
    JSON.parse('{"__proto__": {"polluted": 1}}'),
  ),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A copy of `base` with some keys (at any depth up to 3) replaced by nasty values or removed. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  return fc
    .array(fc.tuple(fc.nat(), fc.nat(), fc.oneof(nasty, fc.constant(undefined))), {
      maxLength: 4,
    })
    .map((edits) => {
      const copy = JSON.parse(JSON.stringify(base)) as unknown;
      for (const [first, second, value] of edits) {
        let target: unknown = copy;
        for (const pick of [first, second]) {
          if (typeof target !== 'object' || target === null) break;
          const keys = Object.keys(target);
          if (keys.length === 0) break;
          const key = keys[pick % keys.length];
          const next = (target as Json)[key];
          if (typeof next === 'object' && next !== null && pick % 3 !== 0) target = next;
          else {
            if (value === undefined) delete (target as Json)[key];
            // A copy: the nasty constants are shared between runs, and a later edit that
            // descends into one must not write into it (it once made a cycle of one).
            else (target as Json)[key] = JSON.parse(JSON.stringify(value)) as unknown;
            break;
          }
        }
      }
      return copy;
    });
}

/** "something: what is wrong" or a code and a message. */
function expectNamed(status: number, body: unknown): void {
  expect(status).toBeLessThan(500);
  if (status >= 400 && typeof body === 'object' && body !== null) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    expect(typeof code).toBe('string');
    expect(typeof message).toBe('string');
    expect(String(message).length).toBeGreaterThan(5);
  }
}

describe('integration receivers under generated input', () => {
  const served = servePurser('gateway', { start: { env: { NODE_ENV: 'production' } } });
  let spans: ReadableSpan[];

  beforeAll(async () => {
    spans = await recordSpans({ 'service.name': 'fuzz', 'purser.team': 'fuzz' }, [
      { name: 'chat', attributes: chatAttributes() },
      { name: 'plain', attributes: { a: 1 } },
    ]);
    // Warm up every route once (first-call compilation is not what is measured).
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    await send('/v1/traces', body, { 'content-type': 'application/x-protobuf' });
    await send('/v1/traces', gzipSync(body), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    await send('/v1/integrations/litellm', JSON.stringify(successPayload('warm-up')), {
      'content-type': 'application/json',
    });
  });

  const send = async (path: string, body: string | Buffer, headers: Record<string, string>) => {
    const response = await fetch(`${served.service.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${served.key}`, ...headers },
      body,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // protobuf or empty
    }
    return { status: response.status, body: parsed };
  };

  const probe = async (run: () => Promise<void>) => {
    const { maxHeldMs } = await measureLoopDelay(run);
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  };

  it('OTLP: random and mutated protobuf bodies, never a 5xx', async () => {
    const valid = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    await probe(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
            fc
              .tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }))
              .map(([at, byte]) => {
                const copy = Buffer.from(valid);
                copy[at] = byte;
                return copy;
              }),
            fc.nat(valid.length).map((cut) => valid.subarray(0, cut)),
          ),
          fc.boolean(),
          async (body, gzip) => {
            const answer = await send('/v1/traces', gzip ? gzipSync(body) : body, {
              'content-type': 'application/x-protobuf',
              ...(gzip ? { 'content-encoding': 'gzip' } : {}),
            });
            expect(answer.status).toBeLessThan(500);
          },
        ),
        { numRuns: 300 },
      ),
    );
  });

  it('OTLP: mutated OTLP/JSON bodies, never a 5xx, errors named', async () => {
    const valid = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!),
    );
    await probe(() =>
      fc.assert(
        fc.asyncProperty(fc.oneof(mutated(valid), nasty), async (body) => {
          const answer = await send('/v1/traces', JSON.stringify(body) ?? '', {
            'content-type': 'application/json',
          });
          expectNamed(answer.status, answer.body);
        }),
        { numRuns: 300 },
      ),
    );
  });

  it('LiteLLM: mutated payloads, arrays and NDJSON with broken lines, always 200 or a named 4xx', async () => {
    let run = 0;
    await probe(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(mutated(successPayload('x')), nasty), { minLength: 1, maxLength: 5 }),
          fc.constantFrom('array', 'ndjson', 'single'),
          fc.boolean(),
          async (payloads, format, broken) => {
            run += 1;
            const items = payloads.map((payload, index) =>
              typeof payload === 'object' && payload !== null && !Array.isArray(payload)
                ? { ...payload, id: `fuzz-${run}-${index}` }
                : payload,
            );
            const body =
              format === 'array'
                ? JSON.stringify(items)
                : format === 'single'
                  ? (JSON.stringify(items[0]) ?? '')
                  : [
                      ...items.map((item) => JSON.stringify(item)),
                      ...(broken ? ['{"id": '] : []),
                    ].join('\n');
            const answer = await send('/v1/integrations/litellm', body, {
              'content-type': 'application/json',
            });
            expectNamed(answer.status, answer.body);
            if (answer.status === 200) {
              const { results } = answer.body as {
                results: { status: string; reason: string | null }[];
              };
              for (const result of results) {
                if (result.status === 'rejected') expect(result.reason).toMatch(/\S: \S|JSON/);
              }
            }
          },
        ),
        { numRuns: 200 },
      ),
    );
  });

  it('bounds: a gzip bomb is refused after decompression, deep nesting is answered', async () => {
    await probe(async () => {
      const bomb = gzipSync(Buffer.alloc(12 * 1024 * 1024));
      const answer = await send('/v1/traces', bomb, {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      });
      expect(answer.status).toBe(413);
      const deep = `[${'['.repeat(50_000)}${']'.repeat(50_000)}]`;
      const litellm = await send('/v1/integrations/litellm', deep, {
        'content-type': 'application/json',
      });
      expect(litellm).toMatchObject({ status: 200, body: { rejected: 1 } });
      const otlp = await send(
        '/v1/traces',
        `{"resourceSpans": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
        { 'content-type': 'application/json' },
      );
      expect(otlp.status).toBe(200);
    });
  });

  it('gateways: mutated Kong, APISIX and Envoy calls, never a 5xx', async () => {
    const headers = {
      'x-purser-key': served.key,
      'x-purser-team': 'fuzz',
      'x-purser-model': 'gpt-4o-mini',
      'x-purser-max-tokens': '100',
    };
    const chat = {
      model: 'gpt-4o-mini',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    };
    const kong = {
      input: { request: { http: { path: '/v1/chat/completions', headers, parsed_body: chat } } },
    };
    const apisix = { input: { type: 'http', request: { path: '/v1/chat/completions', headers } } };
    await probe(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            mutated(kong).map((body) => ['kong', body] as const),
            mutated(apisix).map((body) => ['apisix', body] as const),
            mutated(chat).map((body) => ['envoy', body] as const),
          ),
          async ([gateway, body]) => {
            const path =
              gateway === 'envoy'
                ? '/v1/gateways/envoy/v1/chat/completions'
                : `/v1/gateways/${gateway}`;
            const answer = await send(path, JSON.stringify(body) ?? '', {
              'content-type': 'application/json',
              ...(gateway === 'envoy' ? headers : {}),
            });
            if (gateway === 'envoy') {
              if (answer.status !== 200) expectNamed(answer.status, answer.body);
              return;
            }
            // Kong and APISIX always get their result shape (anything else is a 500 to them).
            expect(answer.status).toBe(200);
            const result = (answer.body as { result: Json }).result;
            expect(typeof result.allow).toBe('boolean');
            if (!result.allow) {
              expect(String(result.message ?? result.reason).length).toBeGreaterThan(5);
            }
          },
        ),
        { numRuns: 300 },
      ),
    );
  });
});

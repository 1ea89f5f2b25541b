import { ATTRIBUTION_KEYS } from '@purser/adapters';
import type { ProtoAnyValue, ProtoKeyValue, ProtoTraceRequest } from './otlp-proto';

/**
 * OTLP spans in one shape whichever encoding they came in (protobuf or OTLP/JSON): ids as
 * lower-case hex, times as nanosecond bigints, attributes flattened to scalars (a 64-bit
 * integer as its decimal string, as OTLP/JSON writes it). Reading never throws: what is
 * missing or of the wrong type is left out, and the usage event parser names it.
 */
export type Scalar = string | number | boolean;

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  name?: string;
  startNanos?: bigint;
  endNanos?: bigint;
  attributes: Map<string, Scalar>;
  resource: Map<string, Scalar>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Bytes as protobufjs decodes them (a Buffer on Node, from whichever realm). */
const isBytes = (value: unknown): value is Uint8Array =>
  value instanceof Uint8Array || Buffer.isBuffer(value);

/** A protobuf id (bytes) or an OTLP/JSON one (hex) → lower-case hex. */
function id(value: unknown): string | undefined {
  if (isBytes(value)) return value.length > 0 ? Buffer.from(value).toString('hex') : undefined;
  return jsonId(value);
}

/** OTLP/JSON ids are hex (the spec's exception to protobuf JSON's base64). */
function jsonId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-fA-F]+$/.test(value) && value.length <= 64
    ? value.toLowerCase()
    : undefined;
}

function nanos(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    const parsed = BigInt(value);
    return parsed > 0n ? parsed : undefined;
  }
  if (isObject(value) && typeof value.toString === 'function') return nanos(String(value));
  return undefined;
}

/**
 * One AnyValue → a scalar; arrays, maps and bytes are not read (no GenAI number uses them).
 * Only own fields count: a decoded protobuf message has every field's default on its
 * prototype, and only the oneof member that was sent as its own.
 */
function scalar(value: unknown): Scalar | undefined {
  if (!isObject(value)) return undefined;
  const any = value as ProtoAnyValue & Record<string, unknown>;
  const has = (field: string) => Object.hasOwn(any, field);
  if (has('stringValue') && typeof any.stringValue === 'string') return any.stringValue;
  if (has('boolValue') && typeof any.boolValue === 'boolean') return any.boolValue;
  if (has('doubleValue') && typeof any.doubleValue === 'number') return any.doubleValue;
  if (!has('intValue')) return undefined;
  const int = any.intValue;
  if (typeof int === 'number') return Number.isSafeInteger(int) ? int : String(int);
  if (typeof int === 'string') return int;
  if (isObject(int)) return String(int);
  return undefined;
}

function attributes(value: unknown): Map<string, Scalar> {
  const flat = new Map<string, Scalar>();
  for (const entry of list(value)) {
    if (!isObject(entry)) continue;
    const { key } = entry as ProtoKeyValue;
    if (typeof key !== 'string' || key === '') continue;
    const read = scalar(entry.value);
    if (read !== undefined) flat.set(key, read);
  }
  return flat;
}

function statusCode(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'STATUS_CODE_ERROR') return 2;
  if (value === 'STATUS_CODE_OK') return 1;
  return 0;
}

/** Every span of a decoded protobuf request or a parsed OTLP/JSON body, in order. */
export function* otlpSpans(request: ProtoTraceRequest | unknown): Generator<OtlpSpan> {
  if (!isObject(request)) return;
  for (const resourceSpans of list(request.resourceSpans)) {
    if (!isObject(resourceSpans)) continue;
    const resource = attributes(
      isObject(resourceSpans.resource) ? resourceSpans.resource.attributes : undefined,
    );
    for (const scopeSpans of list(resourceSpans.scopeSpans)) {
      if (!isObject(scopeSpans)) continue;
      for (const span of list(scopeSpans.spans)) {
        if (!isObject(span)) continue;
        const status = isObject(span.status) ? span.status : {};
        yield {
          traceId: id(span.traceId),
          spanId: id(span.spanId),
          ...(typeof span.name === 'string' ? { name: span.name } : {}),
          startNanos: nanos(span.startTimeUnixNano),
          endNanos: nanos(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          resource,
          statusCode: statusCode(status.code),
          ...(typeof status.message === 'string' && status.message !== ''
            ? { statusMessage: status.message }
            : {}),
        };
      }
    }
  }
}

/**
 * Operations whose spans sum the calls beneath them (an agent run, a tool call): their token
 * counts, when an instrumentation sets them, are already in the model calls' own spans.
 */
const AGGREGATE_OPERATIONS = new Set([
  'invoke_agent',
  'create_agent',
  'execute_tool',
  'invoke_workflow',
]);

const TOKEN_ATTRIBUTES = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.prompt_tokens',
  'gen_ai.usage.completion_tokens',
];

/** Whether a span is a model call carrying usage: token counts, not an aggregate operation. */
export function isUsageSpan(span: OtlpSpan): boolean {
  const operation = span.attributes.get('gen_ai.operation.name');
  if (typeof operation === 'string' && AGGREGATE_OPERATIONS.has(operation)) return false;
  return TOKEN_ATTRIBUTES.some((name) => span.attributes.has(name));
}

/** The source of OTLP usage events: with the span's ids, a re-export is a duplicate. */
export const OTLP_SOURCE = 'otlp';

function text(value: Scalar | undefined): string | undefined {
  if (value === undefined) return undefined;
  const written = String(value);
  return written === '' ? undefined : written;
}

/** `purser.<key>` on the span, else on its resource; the span's wins. */
function purserAttribute(span: OtlpSpan, key: string): string | undefined {
  return text(span.attributes.get(`purser.${key}`)) ?? text(span.resource.get(`purser.${key}`));
}

function iso(nanoseconds: bigint): string | undefined {
  const ms = nanoseconds / 1_000_000n;
  if (ms > 8_640_000_000_000_000n) return undefined;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A GenAI span → a usage event in the wire shape: id `<trace id>-<span id>`, the `gen_ai.*`
 * attributes as `provider_usage` read by the `otel` converter (which subtracts the cache from
 * `gen_ai.usage.input_tokens`), attribution from `purser.<key>` (span, then resource),
 * `service.name` as the fallback feature, `gen_ai.conversation.id` as the fallback session.
 */
export function spanUsageEvent(span: OtlpSpan): Record<string, unknown> {
  const genAI: [string, Scalar][] = [];
  for (const [key, value] of span.attributes)
    if (key.startsWith('gen_ai.')) genAI.push([key, value]);
  const attribution: Record<string, string> = {};
  for (const key of ATTRIBUTION_KEYS) {
    const value = purserAttribute(span, key);
    if (value !== undefined) attribution[key] = value;
  }
  attribution.feature ??= text(span.resource.get('service.name')) as string;
  attribution.session ??= text(span.attributes.get('gen_ai.conversation.id')) as string;
  for (const key of Object.keys(attribution))
    if (attribution[key] === undefined) delete attribution[key];
  const end = span.endNanos ?? span.startNanos;
  const timestamp = end === undefined ? undefined : iso(end);
  const latency =
    span.startNanos !== undefined && span.endNanos !== undefined && span.endNanos >= span.startNanos
      ? Number((span.endNanos - span.startNanos) / 1000n) / 1000
      : undefined;
  const error = span.statusCode === 2;
  const errorType = text(span.attributes.get('error.type')) ?? span.statusMessage;
  const decision = purserAttribute(span, 'decision_id');
  const operation = text(span.attributes.get('gen_ai.operation.name'));
  return {
    ...(span.traceId && span.spanId ? { id: `${span.traceId}-${span.spanId}` } : {}),
    source: OTLP_SOURCE,
    ...(timestamp ? { timestamp } : {}),
    ...(operation ? { operation: operation.slice(0, 64) } : {}),
    provider_usage: Object.fromEntries(genAI),
    usage_format: 'otel',
    ...(Object.keys(attribution).length > 0 ? { attribution } : {}),
    ...(latency !== undefined && latency <= 86_400_000 ? { latency_ms: latency } : {}),
    status: error ? 'error' : 'success',
    ...(error && errorType ? { error_type: errorType.slice(0, 256) } : {}),
    ...(decision ? { decision_id: decision } : {}),
  };
}

import { ATTRIBUTION_KEYS } from '@purser/adapters';
import type { ProtoAnyValue, ProtoKeyValue, ProtoTraceRequest } from './otlp-proto';
import { type Scalar, spanUsageFields } from './otlp-usage';

/**
 * OTLP spans in one shape whichever encoding they came in (protobuf or OTLP/JSON): ids as
 * lower-case hex, times as nanosecond bigints, attributes flattened to scalars (a 64-bit
 * integer as its decimal string, as OTLP/JSON writes it). Reading never throws: what is
 * missing or of the wrong type is left out, and the usage event parser names it.
 */
export type { Scalar } from './otlp-usage';

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
  if (isBytes(value)) {
    if (value.length === 0) return undefined;
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  }
  return jsonId(value);
}

/** OTLP/JSON ids are hex (the spec's exception to protobuf JSON's base64). */
function jsonId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-fA-F]+$/.test(value) && value.length <= 64
    ? value.toLowerCase()
    : undefined;
}

/** A 64-bit integer as protobufjs decodes one (a `Long`): its two 32-bit halves. */
interface LongBits {
  low: number;
  high: number;
  unsigned?: boolean;
}

const isLong = (value: unknown): value is LongBits =>
  isObject(value) && typeof value.low === 'number' && typeof value.high === 'number';

/** A `Long` → a bigint, without its `toString` (which divides, digit group by group). */
function longValue(value: LongBits): bigint {
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned === true ? bits : BigInt.asIntN(64, bits);
}

function nanos(value: unknown): bigint | undefined {
  if (isLong(value)) {
    const parsed = longValue(value);
    return parsed > 0n ? parsed : undefined;
  }
  // OTLP/JSON writes 64-bit times as strings, but a JSON number is valid too: a time in
  // nanoseconds is past 2^53, so JSON.parse rounds it (by up to 256 ns); to the microsecond.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value) && value > 2 ** 53 && value < 2 ** 64) {
    return BigInt(Math.round(value / 1000)) * 1000n;
  }
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
  if (isLong(int)) {
    const parsed = longValue(int);
    const number = Number(parsed);
    return Number.isSafeInteger(number) ? number : parsed.toString();
  }
  // Only an object that can be written (JSON can give `{"toString": 1}`, which String refuses).
  if (isObject(int) && typeof int.toString === 'function') return String(int);
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

/** How many span entries a request carries, counted without reading them. */
export function spanCount(request: ProtoTraceRequest | unknown): number {
  if (!isObject(request)) return 0;
  let count = 0;
  for (const resourceSpans of list(request.resourceSpans)) {
    if (!isObject(resourceSpans)) continue;
    for (const scopeSpans of list(resourceSpans.scopeSpans)) {
      if (isObject(scopeSpans)) count += list(scopeSpans.spans).length;
    }
  }
  return count;
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

/** Each attribution key and its attribute, `purser.<key>` (on the span, else its resource). */
const PURSER_ATTRIBUTES = ATTRIBUTION_KEYS.map((key) => [key, `purser.${key}`] as const);

function iso(nanoseconds: bigint): string | undefined {
  const ms = nanoseconds / 1_000_000n;
  if (ms > 8_640_000_000_000_000n) return undefined;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A GenAI span → a usage event in the wire shape: id `<trace id>-<span id>`, the usage of
 * its `gen_ai.*` attributes (`spanUsageFields`), attribution from `purser.<key>` (span, then resource),
 * `service.name` as the fallback feature, `gen_ai.conversation.id` as the fallback session.
 */
export function spanUsageEvent(span: OtlpSpan): Record<string, unknown> {
  const genAI: Record<string, Scalar> = {};
  for (const [key, value] of span.attributes) {
    // Only gen_ai.* keys: never "__proto__", so assigning is safe.
    if (key.startsWith('gen_ai.')) genAI[key] = value;
  }
  const attribution: Record<string, string> = {};
  let attributed = false;
  for (const [key, name] of PURSER_ATTRIBUTES) {
    const value = text(span.attributes.get(name)) ?? text(span.resource.get(name));
    if (value !== undefined) {
      attribution[key] = value;
      attributed = true;
    }
  }
  for (const [key, fallback] of [
    ['feature', text(span.resource.get('service.name'))],
    ['session', text(span.attributes.get('gen_ai.conversation.id'))],
  ] as const) {
    if (attribution[key] === undefined && fallback !== undefined) {
      // Cut to the attribution's bound: a long service name or conversation id is not the
      // sender's mistake, as a long purser.* attribute is (that one is refused, named).
      attribution[key] = fallback.slice(0, 256);
      attributed = true;
    }
  }
  const event: Record<string, unknown> = {};
  if (span.traceId && span.spanId) event.id = `${span.traceId}-${span.spanId}`;
  event.source = OTLP_SOURCE;
  const end = span.endNanos ?? span.startNanos;
  const timestamp = end === undefined ? undefined : iso(end);
  if (timestamp) event.timestamp = timestamp;
  const operation = text(span.attributes.get('gen_ai.operation.name'));
  if (operation) event.operation = operation.slice(0, 64);
  Object.assign(event, spanUsageFields(genAI));
  if (attributed) event.attribution = attribution;
  if (span.startNanos !== undefined && span.endNanos !== undefined) {
    const latency = Number((span.endNanos - span.startNanos) / 1000n) / 1000;
    if (latency >= 0 && latency <= 86_400_000) event.latency_ms = latency;
  }
  const error = span.statusCode === 2;
  event.status = error ? 'error' : 'success';
  const errorType = error
    ? (text(span.attributes.get('error.type')) ?? span.statusMessage)
    : undefined;
  if (errorType) event.error_type = errorType.slice(0, 256);
  const decision =
    text(span.attributes.get('purser.decision_id')) ??
    text(span.resource.get('purser.decision_id'));
  if (decision) event.decision_id = decision;
  return event;
}

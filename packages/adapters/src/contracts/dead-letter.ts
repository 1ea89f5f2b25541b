import { z } from 'zod';

import { instantSchema } from '@purser/pricing';

import { strictUtf8Text } from '../parse-json';

/**
 * Why a message was dead-lettered. `invalid_event`: it will never be valid (schema, JSON);
 * `unprocessable`: valid but impossible to apply (e.g. settles an unknown hold);
 * `retries_exhausted`: a transient failure that kept failing.
 */
export const DEAD_LETTER_KINDS = ['invalid_event', 'unprocessable', 'retries_exhausted'] as const;

/**
 * Largest original payload kept: this many characters of UTF-8 text, or this many bytes
 * (base64-encoded) of anything else; longer ones are truncated (and flagged).
 */
export const MAX_DEAD_LETTER_PAYLOAD_CHARS = 1024 * 1024;

/** Most issues a dead letter lists, and the longest text of each. */
const MAX_ISSUES = 100;
const MAX_ISSUE_CHARS = 1024;
const MAX_SUBJECT_CHARS = 512;

/**
 * Payload of a dead letter, published to `purser.usage.dlq` and stored in `dead_letters`.
 * The original payload is kept as a string so that an operator can fix and republish it:
 * as text when it is UTF-8 that Postgres can store, base64 of its bytes otherwise (not UTF-8,
 * or holding a NUL). No text field holds a NUL or a lone surrogate, whatever the message did.
 */
export const deadLetterSchema = z.object({
  /** One line naming the field or the failure, e.g. `usage.input_tokens: must be …`. */
  reason: z.string().min(1).max(4096),
  kind: z.enum(DEAD_LETTER_KINDS),
  /** The message body as received: text, or base64 of its bytes (`payload_encoding`). */
  payload: z.string().max(MAX_DEAD_LETTER_PAYLOAD_CHARS * 2),
  payload_encoding: z.enum(['utf8', 'base64']),
  /** Whether `payload` was cut at {@link MAX_DEAD_LETTER_PAYLOAD_CHARS}. */
  payload_truncated: z.boolean(),
  /** Subject the message arrived on (`purser.usage.v1.openai`), or `http` for HTTP ingest. */
  subject: z.string().min(1).max(512),
  /** JetStream stream sequence of the original message; absent outside JetStream. */
  stream_sequence: z.number().int().nonnegative().optional(),
  /** How many times it was delivered before giving up. */
  delivery_count: z.number().int().nonnegative().optional(),
  /** The usage event's identity, when it could be read. */
  event_id: z.string().max(256).optional(),
  event_source: z.string().max(256).optional(),
  /** Structured error: a stable code, the message and every issue found. */
  error: z.object({
    code: z.string().min(1).max(64),
    message: z.string().max(4096),
    issues: z.array(z.string()).default([]),
  }),
  /** When it was dead-lettered (RFC 3339). */
  dead_lettered_at: instantSchema,
});

/** A dead letter on the wire. */
export type DeadLetter = z.output<typeof deadLetterSchema>;

/** Input of {@link createDeadLetter}. */
export interface CreateDeadLetterOptions {
  reason: string;
  kind: (typeof DEAD_LETTER_KINDS)[number];
  payload: string | Uint8Array;
  /** Whether `payload` is already a cut-down form of the message (see `payload_truncated`). */
  payloadTruncated?: boolean;
  subject: string;
  streamSequence?: number;
  deliveryCount?: number;
  eventId?: string;
  eventSource?: string;
  error: { code: string; message?: string; issues?: string[] };
  now: Date;
}

/**
 * Text any store takes: NUL (which Postgres text and jsonb refuse) and lone surrogates (not
 * UTF-8) become U+FFFD; at most `max` characters, never cutting a surrogate pair.
 */
export function storableText(value: string, max = Number.POSITIVE_INFINITY): string {
  let text = value.length > max ? cutAt(value, max) : value;
  if (text.includes('\u0000')) text = text.replaceAll('\u0000', '\ufffd');
  return (text as WellFormedString).toWellFormed();
}

/** ES2024's well-formedness methods (Node 20 has them; the ES2022 lib does not declare them). */
type WellFormedString = string & { toWellFormed(): string };

/** The first `max` characters, one fewer when the cut would split a surrogate pair. */
function cutAt(value: string, max: number): string {
  const last = value.charCodeAt(max - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** The payload as stored: UTF-8 text without NUL, else base64 of (at most the limit of) its bytes. */
function storablePayload(payload: string | Uint8Array): {
  payload: string;
  encoding: 'utf8' | 'base64';
  truncated: boolean;
} {
  const text = strictUtf8Text(payload);
  // Text with a NUL cannot be stored as text: its bytes are kept, base64-encoded.
  if (text !== undefined && !text.includes('\u0000')) {
    // Only a string given as such can hold a lone surrogate; UTF-8 cannot carry it anyway.
    const storable = (text as WellFormedString).toWellFormed();
    const truncated = storable.length > MAX_DEAD_LETTER_PAYLOAD_CHARS;
    return {
      payload: truncated ? cutAt(storable, MAX_DEAD_LETTER_PAYLOAD_CHARS) : storable,
      encoding: 'utf8',
      truncated,
    };
  }
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const truncated = bytes.byteLength > MAX_DEAD_LETTER_PAYLOAD_CHARS;
  const kept = truncated ? bytes.subarray(0, MAX_DEAD_LETTER_PAYLOAD_CHARS) : bytes;
  return {
    payload: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64'),
    encoding: 'base64',
    truncated,
  };
}

/**
 * Builds a valid dead letter from anything a message held, keeping the original bytes
 * faithfully. Never throws on content: every text is made storable ({@link storableText})
 * and cut to its limit, so that the dead-letter path cannot fail where ingest did.
 */
export function createDeadLetter(options: CreateDeadLetterOptions): DeadLetter {
  const { payload, encoding, truncated } = storablePayload(options.payload);
  const reason = storableText(options.reason, 4096) || 'rejected';
  const optional = (value: string | undefined, max: number) =>
    value === undefined ? undefined : storableText(value, max);
  return deadLetterSchema.parse({
    reason,
    kind: options.kind,
    payload,
    payload_encoding: encoding,
    payload_truncated: truncated || options.payloadTruncated === true,
    subject: storableText(options.subject, MAX_SUBJECT_CHARS) || '(none)',
    stream_sequence: options.streamSequence,
    delivery_count: options.deliveryCount,
    event_id: optional(options.eventId, 256),
    event_source: optional(options.eventSource, 256),
    error: {
      code: storableText(options.error.code, 64) || 'UNKNOWN',
      message: storableText(options.error.message ?? options.reason, 4096),
      issues: (options.error.issues ?? [])
        .slice(0, MAX_ISSUES)
        .map((issue) => storableText(issue, MAX_ISSUE_CHARS)),
    },
    dead_lettered_at: options.now.toISOString(),
  });
}

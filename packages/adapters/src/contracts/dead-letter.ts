import { z } from 'zod';

import { instantSchema } from '@purser/pricing';

/**
 * Why a message was dead-lettered. `invalid_event`: it will never be valid (schema, JSON);
 * `unprocessable`: valid but impossible to apply (e.g. settles an unknown hold);
 * `retries_exhausted`: a transient failure that kept failing.
 */
export const DEAD_LETTER_KINDS = ['invalid_event', 'unprocessable', 'retries_exhausted'] as const;

/** Largest original payload kept verbatim; longer ones are truncated (and flagged). */
export const MAX_DEAD_LETTER_PAYLOAD_CHARS = 1024 * 1024;

/**
 * Payload of a dead letter, published to `purser.usage.dlq` and stored in `dead_letters`.
 * The original payload is kept as a string (base64 when its bytes are not UTF-8) so that an
 * operator can fix and republish it.
 */
export const deadLetterSchema = z.object({
  /** One line naming the field or the failure, e.g. `usage.input_tokens: must be …`. */
  reason: z.string().min(1).max(4096),
  kind: z.enum(DEAD_LETTER_KINDS),
  /** The message body exactly as received. */
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
  subject: string;
  streamSequence?: number;
  deliveryCount?: number;
  eventId?: string;
  eventSource?: string;
  error: { code: string; message?: string; issues?: string[] };
  now: Date;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Builds a valid dead letter, keeping the original bytes faithfully. */
export function createDeadLetter(options: CreateDeadLetterOptions): DeadLetter {
  let payload: string;
  let encoding: 'utf8' | 'base64' = 'utf8';
  let truncated = false;
  if (typeof options.payload === 'string') {
    payload = options.payload;
  } else {
    try {
      payload = strictUtf8.decode(options.payload);
    } catch {
      encoding = 'base64';
      payload = Buffer.from(options.payload).toString('base64');
    }
  }
  if (payload.length > MAX_DEAD_LETTER_PAYLOAD_CHARS) {
    payload = payload.slice(0, MAX_DEAD_LETTER_PAYLOAD_CHARS);
    truncated = true;
  }
  return deadLetterSchema.parse({
    reason: options.reason.slice(0, 4096),
    kind: options.kind,
    payload,
    payload_encoding: encoding,
    payload_truncated: truncated,
    subject: options.subject,
    stream_sequence: options.streamSequence,
    delivery_count: options.deliveryCount,
    event_id: options.eventId?.slice(0, 256),
    event_source: options.eventSource?.slice(0, 256),
    error: {
      code: options.error.code,
      message: (options.error.message ?? options.reason).slice(0, 4096),
      issues: options.error.issues ?? [],
    },
    dead_lettered_at: options.now.toISOString(),
  });
}

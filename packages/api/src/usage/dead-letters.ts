import { createDeadLetter, type DeadLetter, MAX_JSON_DEPTH, storableText } from '@purser/adapters';
import type { EntityManager } from 'typeorm';
import type { IngestItem } from './ingest-types';

/** What a value deeper than {@link MAX_JSON_DEPTH} becomes in a dead letter's payload. */
const CUT = '(deeper levels cut)';

/** A copy of `value` at most {@link MAX_JSON_DEPTH} levels deep that JSON can write. */
function boundedCopy(value: unknown, depth: number, cut: { any: boolean }): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) {
    cut.any = true;
    return CUT;
  }
  if (Array.isArray(value)) return value.map((item) => boundedCopy(item, depth + 1, cut));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // Defined, not assigned: a "__proto__" key stays an own key, as JSON.parse made it.
    Object.defineProperty(copy, key, {
      value: boundedCopy((value as Record<string, unknown>)[key], depth + 1, cut),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/**
 * The JSON text a dead letter keeps of a message that arrived parsed (HTTP, GraphQL). Never
 * throws: a value JSON.stringify cannot write (nested past its stack, a bigint) is kept
 * {@link MAX_JSON_DEPTH} levels deep, and said to be truncated.
 */
export function parsedPayload(body: unknown): { payload: string; truncated: boolean } {
  try {
    return { payload: JSON.stringify(body) ?? 'undefined', truncated: false };
  } catch {
    const cut = { any: false };
    try {
      const payload = JSON.stringify(boundedCopy(body, 0, cut)) ?? 'undefined';
      return { payload, truncated: cut.any };
    } catch (error) {
      return { payload: `(not serializable: ${String(error)})`, truncated: true };
    }
  }
}

/**
 * The dead letter of one message: its payload as received (raw bytes as they are, a parsed
 * body as its JSON), its position in the stream and the event's identity when known.
 */
export function deadLetterOf(
  item: IngestItem,
  reason: string,
  kind: DeadLetter['kind'],
  code: string,
  issues: string[],
  now: Date,
  identity: { id?: string; source?: string } = {},
): DeadLetter {
  const { payload, truncated } = item.raw
    ? { payload: item.body as string | Uint8Array, truncated: false }
    : parsedPayload(item.body);
  return createDeadLetter({
    reason,
    kind,
    payload,
    payloadTruncated: truncated,
    subject: item.subject,
    streamSequence: item.streamSequence,
    deliveryCount: item.deliveryCount,
    eventId: identity.id,
    eventSource: identity.source,
    error: { code, issues },
    now,
  });
}

/**
 * Stores dead letters; a redelivered message (same stream sequence) is stored once. Every
 * text goes through {@link storableText}: whatever a letter holds, Postgres can store it, so
 * this path cannot fail on content where ingest did. (`createDeadLetter` already made them so;
 * this is the database's side of that promise.)
 */
export async function insertDeadLetters(
  manager: Pick<EntityManager, 'query'>,
  letters: DeadLetter[],
): Promise<void> {
  const text = (value: string | undefined) => (value === undefined ? null : storableText(value));
  await manager.query(
    `INSERT INTO dead_letters (origin, subject, stream_sequence, event_id, source, reason, details, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])
     ON CONFLICT (stream_sequence) WHERE stream_sequence IS NOT NULL DO NOTHING`,
    [
      letters.map((letter) =>
        letter.stream_sequence !== undefined ? 'nats' : text(letter.subject),
      ),
      letters.map((letter) => text(letter.subject)),
      letters.map((letter) => letter.stream_sequence ?? null),
      letters.map((letter) => text(letter.event_id)),
      letters.map((letter) => text(letter.event_source)),
      letters.map((letter) => text(letter.reason)),
      letters.map((letter) =>
        JSON.stringify({
          kind: letter.kind,
          error: {
            code: storableText(letter.error.code),
            message: storableText(letter.error.message),
            issues: letter.error.issues.map((issue) => storableText(issue)),
          },
          delivery_count: letter.delivery_count,
          payload_encoding: letter.payload_encoding,
          payload_truncated: letter.payload_truncated,
        }),
      ),
      letters.map((letter) => text(letter.payload)),
    ],
  );
}

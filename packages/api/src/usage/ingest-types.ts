import { wellFormed } from '../db/well-formed';

/* What every step of ingest shares (the service, preparing a batch, inserting rows, dead
   letters), so that none of them imports another for its types. */

/** One message to ingest, from any path. */
export interface IngestItem {
  /** The message body: raw bytes/text (NATS) or an already parsed JSON value (HTTP, GraphQL). */
  body: unknown;
  /** True when `body` is raw bytes or text to be parsed as JSON. */
  raw?: boolean;
  /** Where it came from: a NATS subject, `http`, `graphql` or `replay`. */
  subject: string;
  streamSequence?: number;
  deliveryCount?: number;
  /**
   * The API key that sent it (HTTP, GraphQL): its usage settles only holds that key placed.
   * Absent for trusted channels (NATS, replays) and admins: their usage settles any hold.
   */
  senderKeyId?: string;
}

export type IngestStatus = 'accepted' | 'duplicate' | 'rejected';

export interface IngestOutcome {
  id?: string;
  source?: string;
  status: IngestStatus;
  reason?: string;
}

/**
 * The identity Postgres stores for an event: its text columns take a lone surrogate as U+FFFD
 * (see {@link wellFormed}), so two ids that differ only there are one (source, event_id).
 */
export function storedIdentity(source: string, id: string): string {
  return `${wellFormed(source)}\u0000${wellFormed(id)}`;
}

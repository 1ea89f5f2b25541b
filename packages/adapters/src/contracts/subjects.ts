/**
 * NATS JetStream names shared by publishers, consumers and tests. These strings are
 * contracts with gateways (ARCHITECTURE.md, "Usage events"): never rename one.
 */

/** The JetStream stream that keeps usage events and their dead letters. */
export const USAGE_STREAM = 'PURSER_USAGE';

/** Subjects bound to {@link USAGE_STREAM}: usage events and the dead-letter subject. */
export const USAGE_SUBJECTS = 'purser.usage.>';

/** Filter of the ingest consumer: versioned usage events only, never dead letters. */
export const USAGE_INGEST_FILTER = 'purser.usage.v1.>';

/** Dead letters: kept by {@link USAGE_STREAM} for inspection and never consumed as usage. */
export const USAGE_DLQ_SUBJECT = 'purser.usage.dlq';

/** Every authorization decision, for audit and analytics. */
export const DECISIONS_SUBJECT = 'purser.decisions.v1';

/** Budget alerts (soft thresholds crossed, limits reached). */
export const ALERTS_SUBJECT = 'purser.alerts.v1';

/** NATS header carrying the idempotency key; JetStream drops duplicates within its window. */
export const NATS_MSG_ID_HEADER = 'Nats-Msg-Id';

/**
 * The subject a gateway publishes a usage event to: `purser.usage.v1.<provider>`. The token
 * must be one NATS subject token, so anything outside `[A-Za-z0-9_-]` becomes `_` (a
 * provider such as `azure.ai.openai` would otherwise add tokens); empty becomes `unknown`.
 */
export function usageSubject(provider: string): string {
  const token = provider
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_');
  return `purser.usage.v1.${token === '' ? 'unknown' : token}`;
}

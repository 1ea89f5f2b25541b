import type { Principal } from '../auth/api-key.service';
import { holdKeyOf } from '../auth/api-key.service';
import { payloadTooLarge } from '../errors';
import type { IngestService } from '../usage/ingest.service';
import type { IngestOutcome } from '../usage/ingest-types';
import { MAX_EVENTS_PER_REQUEST } from '../usage/usage.routes';

/** Largest body an integration receiver reads, after decompression. */
export const MAX_INTEGRATION_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Most items (LiteLLM payloads, OTLP spans) one integration request may carry: LiteLLM and the
 * OpenTelemetry SDKs send 512 a batch, the Collector's batch processor 8,192. A larger request
 * is refused whole (413) before anything is stored or dead-lettered, so its work is bounded.
 */
export const MAX_INTEGRATION_ITEMS = 10_000;

/** Refuses a request of more than {@link MAX_INTEGRATION_ITEMS} items; `what` names them. */
export function checkIntegrationItems(count: number, what: string): void {
  if (count > MAX_INTEGRATION_ITEMS) {
    throw payloadTooLarge(
      `at most ${MAX_INTEGRATION_ITEMS} ${what} per request (got ${count}); send smaller batches`,
      { limit: MAX_INTEGRATION_ITEMS, count },
    );
  }
}

/**
 * One item for ingest: an event converted to the wire shape, or the text of a line that could
 * not be read (the parser then dead-letters it, saying why).
 */
export type ConvertedItem = { event: unknown } | { rawText: string };

/**
 * Ingests converted events through the one pipeline (stored once or dead-lettered with its
 * reason), in slices of the REST batch size so a large export is not one huge statement.
 * `path` labels the metrics and the dead letters' subject (`otlp`, `litellm`).
 */
export async function ingestConverted(
  ingest: IngestService,
  events: ConvertedItem[],
  principal: Principal,
  path: string,
): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  const senderKeyId = holdKeyOf(principal);
  for (let start = 0; start < events.length; start += MAX_EVENTS_PER_REQUEST) {
    const slice = events.slice(start, start + MAX_EVENTS_PER_REQUEST);
    outcomes.push(
      ...(await ingest.ingest(
        slice.map((item) =>
          'rawText' in item
            ? { body: item.rawText, raw: true, subject: path, senderKeyId }
            : { body: item.event, subject: path, senderKeyId },
        ),
        path,
      )),
    );
  }
  return outcomes;
}

/** Counts of outcomes by status. */
export function countOutcomes(outcomes: IngestOutcome[]) {
  const counts = { accepted: 0, duplicates: 0, rejected: 0 };
  for (const outcome of outcomes) {
    if (outcome.status === 'accepted') counts.accepted += 1;
    else if (outcome.status === 'duplicate') counts.duplicates += 1;
    else counts.rejected += 1;
  }
  return counts;
}

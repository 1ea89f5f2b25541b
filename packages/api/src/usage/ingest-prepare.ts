import {
  type DeadLetter,
  parseUsageEvent,
  parseUsageEventJson,
  type ParseUsageEventOptions,
  type ParseUsageEventResult,
  type UsageEvent,
} from '@purser/adapters';
import { estimateCost, type PricingCatalog } from '@purser/pricing';
import type { Logger } from '../observability/logger';
import { deadLetterOf } from './dead-letters';
import { type IngestItem, type IngestOutcome, storedIdentity } from './ingest-types';
import type { PricedEvent } from './usage-rows';

/** A message of a batch as the writer takes it: an event to store, or a dead letter. */
export type Prepared =
  | { kind: 'event'; index: number; priced: PricedEvent }
  | { kind: 'dead'; index: number; letter: DeadLetter };

/** Prices one event with the catalog at its own timestamp (late events get the price of then). */
export function priceEvent(catalog: PricingCatalog, event: UsageEvent): PricedEvent {
  const cost = estimateCost(catalog, {
    provider: event.provider,
    model: event.model,
    usage: event.usage,
    at: event.timestamp,
    batch: event.batch,
  });
  if (event.cacheHit) {
    // Served by a gateway cache: the provider was never called, so nothing is owed.
    return {
      event,
      cost: { ...cost, total: '0', breakdown: [], unpriced_keys: [] },
      costTotal: '0',
    };
  }
  return { event, cost, costTotal: cost.total };
}

/** What {@link prepareBatch} works with. */
export interface PrepareContext {
  parseOptions: ParseUsageEventOptions;
  catalog: PricingCatalog;
  /** Whether rejected messages become dead letters (not for a replay). */
  recordRejections: boolean;
  logger: Logger;
}

/**
 * Reads every message of a batch with the one parser, drops repeats of an identity within the
 * batch (answered as duplicates) and prices the rest. Outcomes are in the order of `items`.
 * Whatever one message holds, it is answered alone: should the parser or pricing ever throw on
 * it, that message is dead-lettered, never the batch failed.
 */
export function prepareBatch(
  items: IngestItem[],
  context: PrepareContext,
): { outcomes: IngestOutcome[]; prepared: Prepared[] } {
  const { parseOptions, catalog, recordRejections, logger } = context;
  const now = parseOptions.now;
  const outcomes: IngestOutcome[] = new Array(items.length);
  const prepared: Prepared[] = [];
  const seen = new Set<string>();
  const reject = (
    index: number,
    reason: string,
    letter: () => DeadLetter,
    identity: { id?: string; source?: string },
  ) => {
    outcomes[index] = { id: identity.id, source: identity.source, status: 'rejected', reason };
    if (recordRejections) prepared.push({ kind: 'dead', index, letter: letter() });
  };

  items.forEach((item, index) => {
    let result: ParseUsageEventResult;
    try {
      result = item.raw
        ? parseUsageEventJson(item.body as string | Uint8Array, parseOptions)
        : parseUsageEvent(item.body, parseOptions);
    } catch (error) {
      logger.error({ err: error, subject: item.subject }, 'the usage parser threw');
      const reason = `invalid: the event could not be read (${String(error)})`;
      const letter = () => deadLetterOf(item, reason, 'invalid_event', 'INVALID_EVENT', [], now);
      reject(index, reason, letter, {});
      return;
    }
    if (!result.ok) {
      const { reason, details } = result;
      const letter = () =>
        deadLetterOf(item, reason, 'invalid_event', 'INVALID_EVENT', details.issues, now, details);
      reject(index, reason, letter, details);
      return;
    }
    const { event } = result;
    const identity = storedIdentity(event.source, event.id);
    outcomes[index] = { id: event.id, source: event.source, status: 'duplicate' };
    if (seen.has(identity)) return;
    seen.add(identity);
    let priced: PricedEvent;
    try {
      priced = priceEvent(catalog, event);
    } catch (error) {
      logger.error({ err: error, id: event.id }, 'pricing a usage event threw');
      const reason = `unprocessable: the event could not be priced (${String(error)})`;
      const letter = () =>
        deadLetterOf(item, reason, 'unprocessable', 'PRICING_FAILED', [], now, event);
      reject(index, reason, letter, event);
      return;
    }
    prepared.push({ kind: 'event', index, priced });
  });
  return { outcomes, prepared };
}

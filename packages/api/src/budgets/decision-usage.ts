import { attributionFromWire, attributionToWire } from '@purser/adapters';
import type { DataSource } from 'typeorm';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { databaseUnavailable, isTransientDatabaseError } from '../db/transient';
import type { PricedEvent } from '../usage/usage-rows';
import type { WireAttribution } from '../attribution/scope';
import type { InMemoryHolds } from './hold-types';

/** What usage naming a decision needs of its hold: who placed it, and on what attribution. */
interface HeldDecision {
  decision_id: string;
  key_id: string | null;
  attribution: WireAttribution;
  /** The attribution the hold's virtual key binds (null without a virtual key). */
  bound: WireAttribution | null;
}

/**
 * The attribution a usage event naming a decision is stored with, and so charged by: its own,
 * completed by the decision's for the keys it leaves out, and overridden by what the
 * decision's virtual key binds (the key fixed those at authorize time; a report cannot undo
 * it). docs/0006-hold-binding-and-settlement.md.
 */
export function settledAttribution(
  own: WireAttribution,
  held: WireAttribution,
  bound: WireAttribution | null,
): WireAttribution {
  const present = Object.fromEntries(
    Object.entries(own).filter(([, value]) => typeof value === 'string' && value !== ''),
  );
  return {
    ...held,
    ...present,
    ...(bound ? { ...bound, virtual_key: held.virtual_key } : {}),
  };
}

/**
 * Usage that names a decision, before it is stored (an ingest `beforeStore` step): reads the
 * decisions' holds, and gives each event the attribution it is stored and charged with
 * ({@link settledAttribution}) — unless another API key placed the hold. Such an event is
 * stored as sent and counted, but settles nothing (settlement checks the key again under the
 * transaction); it is logged and counted in `purser_hold_settlements_refused_total`.
 */
export class DecisionUsage {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      logger: Logger;
      metrics: Metrics;
      /** Holds placed in memory are written first when a named decision is not found. */
      allowances?: InMemoryHolds;
    },
  ) {}

  async prepare(events: PricedEvent[]): Promise<void> {
    const named = events.filter((row) => row.event.decisionId !== undefined);
    if (named.length === 0) return;
    const ids = [...new Set(named.map((row) => row.event.decisionId!))];
    let held: Map<string, HeldDecision>;
    try {
      held = await this.read(ids);
      if (held.size < ids.length && this.deps.allowances) {
        // A hold placed in memory a moment ago may not be written yet.
        await this.deps.allowances.flush();
        held = await this.read(ids);
      }
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      throw databaseUnavailable(error);
    }
    for (const row of named) {
      const hold = held.get(row.event.decisionId!);
      if (!hold) continue;
      if (hold.key_id && row.senderKeyId && hold.key_id !== row.senderKeyId) {
        this.deps.metrics.holdSettlementsRefused.inc();
        this.deps.logger.warn(
          {
            decision_id: hold.decision_id,
            event_id: row.event.id,
            source: row.event.source,
            sender_key_id: row.senderKeyId,
            hold_key_id: hold.key_id,
          },
          'usage names a decision another API key placed: stored and counted as sent, the hold is not settled',
        );
        continue;
      }
      row.event.attribution = attributionFromWire(
        settledAttribution(attributionToWire(row.event.attribution), hold.attribution, hold.bound),
      );
    }
  }

  private async read(ids: string[]): Promise<Map<string, HeldDecision>> {
    const rows: HeldDecision[] = await this.deps.dataSource.query(
      `SELECT r.decision_id, r.key_id::text AS key_id, r.attribution, k.attribution AS bound
       FROM reservations r
       LEFT JOIN virtual_keys k ON k.id::text = r.attribution->>'virtual_key'
       WHERE r.decision_id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.decision_id, row]));
  }
}

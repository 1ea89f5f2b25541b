import { headers } from '@nats-io/transport-node';
import {
  ANOMALIES_SUBJECT,
  anomalyDetectedSchema,
  NATS_MSG_ID_HEADER,
  type AnomalyDetected,
} from '@purser/adapters';
import type { EntityManager } from 'typeorm';
import { OutboxJob, type OutboxJobDependencies } from '../runtime/outbox-job';
import { Money } from '@purser/pricing';
import { anomalyId, type AnomalyService, type AnomalyValue } from './anomaly.service';

const HOUR_MS = 3_600_000;
/** Closed hours each pass looks at again: usage that arrives late can still make an anomaly. */
export const DETECTION_LOOKBACK_HOURS = 24;
/** Anomalies one outbox pass publishes or hands to the listeners. */
const OUTBOX_BATCH = 200;

const ROW_COLUMNS = `id::text AS id, dimension, value, hour, currency, expected::text AS expected,
  observed::text AS observed, score, baseline_weeks, detected_at`;

/** A recorded anomaly back as its `purser.anomalies.v1` payload. */
function toPayload(row: Record<string, unknown>): AnomalyDetected {
  const hour = new Date(row.hour as string).toISOString();
  const dimension = row.dimension as AnomalyValue['dimension'];
  const value = row.value === null ? null : String(row.value);
  const expected = String(row.expected);
  const observed = String(row.observed);
  const currency = String(row.currency);
  const excess = new Money(observed).minus(expected);
  return anomalyDetectedSchema.parse({
    anomaly_id: anomalyId({ dimension, value, hour: new Date(hour), currency }),
    dimension,
    value,
    hour,
    dimensions: { [dimension]: value, hour },
    expected,
    observed,
    excess: excess.isZero() ? '0' : excess.toFixed(),
    score: Number(row.score),
    baseline_weeks: Number(row.baseline_weeks),
    currency,
    detected_at: new Date(row.detected_at as string).toISOString(),
  });
}

/**
 * The background anomaly job every replica runs: each pass finds the anomalies of the last
 * {@link DETECTION_LOOKBACK_HOURS} closed hours, records each new one once in
 * `spend_anomalies` (a unique key per dimension, value, hour and currency: replicas that find
 * it too insert nothing), then drains two outboxes with FOR UPDATE SKIP LOCKED — publishing on
 * `purser.anomalies.v1` (when NATS is configured; otherwise the rows wait, recorded) and
 * telling the anomaly listeners (when any is registered) — marking each row once done. A
 * replica that dies mid-pass leaves its rows unmarked for the next pass: at least once, and
 * exactly once unless a pass dies between sending and committing its mark.
 */
export class AnomalyMonitor extends OutboxJob<
  OutboxJobDependencies & { anomalies: AnomalyService }
> {
  protected async pass(): Promise<void> {
    try {
      const recorded = await this.detect();
      if (recorded > 0) this.deps.logger.info({ recorded }, 'spend anomalies recorded');
      await this.publish();
      await this.notify();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'anomaly monitor failed; will retry');
    }
  }

  /** Records the anomalies of the closed hours of the lookback not recorded yet; answers how many. */
  async detect(): Promise<number> {
    const { dataSource, anomalies, clock } = this.deps;
    const to = new Date(Math.floor(clock().getTime() / HOUR_MS) * HOUR_MS);
    const from = new Date(to.getTime() - DETECTION_LOOKBACK_HOURS * HOUR_MS);
    const currencies: { currency: string }[] = await dataSource.query(
      `SELECT DISTINCT currency FROM usage_hourly WHERE hour >= $1 AND hour < $2`,
      [from.toISOString(), to.toISOString()],
    );
    let recorded = 0;
    for (const { currency } of currencies) {
      // Every anomaly of the hours, not only the GraphQL answer's first 1,000.
      const found = await anomalies.anomalies({ from, to, currency, limit: Infinity });
      if (found.length > 0) recorded += await this.record(found);
    }
    return recorded;
  }

  private async record(found: AnomalyValue[]): Promise<number> {
    // Without a listener, a row is born told: a listener registered later is not sent history.
    const told = this.deps.anomalies.hasListeners ? null : this.deps.clock().toISOString();
    const inserted: unknown[] = await this.deps.dataSource.query(
      `INSERT INTO spend_anomalies (dimension, value, hour, currency, expected, observed, score, baseline_weeks, notified_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::numeric[], $6::numeric[],
                            $7::float8[], $8::int[], $9::timestamptz[])
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        found.map((anomaly) => anomaly.dimension),
        found.map((anomaly) => anomaly.value),
        found.map((anomaly) => anomaly.hour.toISOString()),
        found.map((anomaly) => anomaly.currency),
        found.map((anomaly) => anomaly.expected),
        found.map((anomaly) => anomaly.observed),
        found.map((anomaly) => anomaly.score),
        found.map((anomaly) => anomaly.baselineWeeks),
        found.map(() => told),
      ],
    );
    return inserted.length;
  }

  /** Publishes recorded anomalies not published yet; answers how many. */
  async publish(): Promise<number> {
    const nats = this.deps.nats();
    if (!nats || nats.isClosed()) return 0;
    return this.drain('published_at', async (payloads) => {
      for (const payload of payloads) {
        const header = headers();
        header.set(NATS_MSG_ID_HEADER, payload.anomaly_id);
        nats.publish(ANOMALIES_SUBJECT, JSON.stringify(payload), { headers: header });
      }
      await nats.flush();
    });
  }

  /** Tells the listeners of recorded anomalies they were not told of; answers how many. */
  async notify(): Promise<number> {
    if (!this.deps.anomalies.hasListeners) return 0;
    return this.drain('notified_at', (payloads, manager) =>
      this.deps.anomalies.tellListeners(payloads, manager),
    );
  }

  /** One outbox pass over the rows whose `marker` is unset: locked, sent, marked, committed. */
  private drain(
    marker: 'published_at' | 'notified_at',
    send: (payloads: AnomalyDetected[], manager: EntityManager) => Promise<void>,
  ): Promise<number> {
    return this.deps.dataSource.transaction(async (manager: EntityManager) => {
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${ROW_COLUMNS} FROM spend_anomalies
         WHERE ${marker} IS NULL ORDER BY id LIMIT ${OUTBOX_BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      const payloads: AnomalyDetected[] = [];
      for (const row of rows) {
        try {
          payloads.push(toPayload(row));
        } catch (error) {
          // One row that cannot be sent must not hold the outbox up for ever: logged, marked.
          this.deps.logger.error(
            { err: error, anomaly: row.id, marker },
            'a recorded anomaly does not fit purser.anomalies.v1: marked without being sent',
          );
        }
      }
      if (payloads.length > 0) await send(payloads, manager);
      await manager.query(
        `UPDATE spend_anomalies SET ${marker} = now() WHERE id = ANY($1::bigint[])`,
        [rows.map((row) => row.id)],
      );
      return rows.length;
    });
  }
}

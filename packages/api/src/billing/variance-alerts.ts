import { createHash } from 'node:crypto';
import {
  RECONCILIATION_SUBJECT,
  reconciliationVarianceSchema,
  type ReconciliationVariance,
} from '@purser/adapters';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger';
import type { ReconciliationService } from './reconciliation.service';

/** Tolerance of the variance alert after a sync (percent of billed), as the report's default. */
export const VARIANCE_TOLERANCE_PERCENT = '1';

const DAY_MS = 86_400_000;

/**
 * After a sync: for each provider and UTC day of the synced range whose estimate and bill
 * differ past the tolerance, one warning log line and one `purser.reconciliation.v1`
 * message (when NATS is configured), handed to `onVariance` too. Only whole days before today (UTC) are checked: today's
 * bill is still arriving (incomplete), so it would differ every time. Never fails the sync: a
 * failure is logged.
 */
export class VarianceAlerts {
  constructor(
    private readonly deps: {
      reconciliation: ReconciliationService;
      logger: Logger;
      nats: () => NatsConnection | null;
      clock: () => Date;
      /** Also handed each variance (the assembly sends it to webhooks); a failure is logged. */
      onVariance?: (variance: ReconciliationVariance) => Promise<unknown>;
    },
  ) {}

  async afterSync(
    sourceId: string,
    providers: readonly string[],
    from: Date,
    to: Date,
  ): Promise<ReconciliationVariance[]> {
    const sent: ReconciliationVariance[] = [];
    const today = Math.floor(this.deps.clock().getTime() / DAY_MS) * DAY_MS;
    const until = new Date(Math.min(to.getTime(), today));
    if (until.getTime() <= from.getTime()) return sent;
    try {
      for (const provider of new Set(providers)) {
        const report = await this.deps.reconciliation.report({
          provider,
          from,
          to: until,
          groupBy: ['day'],
          tolerancePercent: VARIANCE_TOLERANCE_PERCENT,
        });
        for (const row of report.rows) {
          if (row.status === 'MATCHED') continue;
          const day = row.dimensions.day!;
          const variance = reconciliationVarianceSchema.parse({
            variance_id: createHash('sha256')
              .update(JSON.stringify([sourceId, provider, day, row.estimated, row.billed]))
              .digest('hex'),
            billing_source_id: sourceId,
            provider,
            day,
            estimated: row.estimated,
            billed: row.billed,
            delta: row.delta,
            ...(row.deltaPercent !== null ? { delta_percent: row.deltaPercent } : {}),
            tolerance_percent: VARIANCE_TOLERANCE_PERCENT,
            status: row.status,
            currency: report.currency,
            detected_at: this.deps.clock().toISOString(),
          });
          this.deps.logger.warn(
            { ...variance, likely_causes: row.likelyCauses },
            'reconciliation: a day differs from the provider bill past the tolerance',
          );
          this.deps.nats()?.publish(RECONCILIATION_SUBJECT, JSON.stringify(variance));
          await this.deps.onVariance?.(variance).catch((error: unknown) => {
            this.deps.logger.warn(
              { err: error, variance_id: variance.variance_id },
              'reconciliation: handing a variance to notifications failed',
            );
          });
          sent.push(variance);
        }
      }
    } catch (error) {
      this.deps.logger.warn(
        { err: error, billing_source: sourceId },
        'reconciliation after sync failed',
      );
    }
    return sent;
  }
}

import type { Logger } from '../observability/logger';
import { PeriodicPass } from '../runtime/periodic-pass';
import type { BillingSourceService } from './billing-source.service';
import type { BillingSyncService } from './billing-sync.service';

const DAY_MS = 86_400_000;
/** Days synced again on every run: providers restate recent days. */
export const RESYNC_DAYS = 3;
/** Delay of the first pass after start. */
const FIRST_PASS_MS = 30_000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/**
 * `PURSER_BILLING_SYNC_INTERVAL` in milliseconds, or null when off: `off`, `0`, or unset in
 * tests; unset elsewhere is one day.
 */
export function syncIntervalMs(value: string | undefined, nodeEnv: string): number | null {
  if (value === undefined) return nodeEnv === 'test' ? null : DAY_MS;
  if (value === 'off') return null;
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] || 's']!;
  return ms > 0 ? Math.min(ms, 2_000_000_000) : null;
}

/**
 * Syncs every API billing source on an interval, the last {@link RESYNC_DAYS} days up to the
 * end of today (UTC). A failing source is logged (never with its key) and the others go on.
 */
export class BillingScheduler {
  private readonly passes = new PeriodicPass(
    () => this.pass(),
    (error) => this.deps.logger.error({ err: error }, 'billing sync pass failed; will retry'),
  );

  constructor(
    private readonly deps: {
      sources: BillingSourceService;
      sync: BillingSyncService;
      logger: Logger;
      clock: () => Date;
      intervalMs: number;
    },
  ) {}

  /**
   * First pass soon after start (a service restarted more often than the interval still
   * syncs), then every interval. A source synced less than 90 % of an interval ago (by
   * another replica, the CLI or a request) is skipped.
   */
  start(): void {
    this.passes.start(this.deps.intervalMs, Math.min(this.deps.intervalMs, FIRST_PASS_MS));
  }

  /** One pass over every source; a pass still running is not started twice. */
  runOnce(): Promise<void> {
    return this.passes.run();
  }

  private async pass(): Promise<void> {
    const now = this.deps.clock().getTime();
    const to = new Date(Math.ceil((now + 1) / DAY_MS) * DAY_MS);
    const from = new Date(to.getTime() - (RESYNC_DAYS + 1) * DAY_MS);
    for (const source of await this.deps.sources.list()) {
      if (source.provider === 'focus' || !source.hasApiKey) continue;
      const synced = source.lastSyncedAt?.getTime();
      if (synced !== undefined && now - synced < this.deps.intervalMs * 0.9) continue;
      try {
        await this.deps.sync.sync(source.id, from, to);
      } catch (error) {
        // An adapter's failure is logged by BillingSyncService (key redacted); what fails
        // before it (no secret, a key that cannot be opened) is said here, by its code only,
        // so no text that could hold a key reaches the log. The next source goes on.
        const code = (error as { extensions?: { code?: unknown }; code?: unknown }) ?? {};
        this.deps.logger.warn(
          { sourceId: source.id, code: String(code.code ?? code.extensions?.code ?? 'UNKNOWN') },
          'billing: a scheduled sync failed',
        );
      }
    }
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}

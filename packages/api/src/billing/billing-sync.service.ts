import {
  createBillingAdapter,
  getBillingAdapterFactory,
  providerCostLineKey,
  redactSecret,
} from '@purser/adapters';
import type { DataSource } from 'typeorm';
import { badInput, PurserError } from '../errors';
import type { Logger } from '../observability/logger';
import type { BillingSourceService } from './billing-source.service';
import { storeCostLines, withdrawMissingLines, type StoreCounts } from './cost-line-store';
import type { VarianceAlerts } from './variance-alerts';

/** What a sync or an import did. */
export interface BillingSyncValue extends StoreCounts {
  /** Notes from the adapter (unknown line items, skipped rows), bounded. */
  warnings: string[];
}

const DAY_MS = 86_400_000;
/** Longest range one sync may ask for: a provider answers by day, one page a week or so. */
export const MAX_SYNC_DAYS = 400;
/** Largest FOCUS file `importFocusFile` takes through the API (its text, in characters). */
export const MAX_FOCUS_CSV_CHARS = 8 * 1024 * 1024;

function providersOf(lines: readonly { provider: string }[]): string[] {
  return [...new Set(lines.map((line) => line.provider))];
}

/** Checks a sync range: later `to`, at most {@link MAX_SYNC_DAYS} days. */
export function checkSyncRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw badInput('from and to must be instants');
  }
  if (!(to.getTime() > from.getTime())) throw badInput('to must be later than from');
  if (to.getTime() - from.getTime() > MAX_SYNC_DAYS * DAY_MS) {
    throw badInput(`to: a sync covers at most ${MAX_SYNC_DAYS} days`);
  }
}

/**
 * Pulls a source's cost lines from its provider (or a FOCUS file) and stores them
 * idempotently. Errors are logged with the key redacted, never with it.
 */
export class BillingSyncService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sources: BillingSourceService,
    private readonly logger: Logger,
    private readonly clock: () => Date,
    /** Logs and publishes the days whose variance passes the tolerance after a sync. */
    private readonly variances?: VarianceAlerts,
  ) {}

  async sync(id: string, from: Date, to: Date): Promise<BillingSyncValue> {
    checkSyncRange(from, to);
    const { source, apiKey } = await this.sources.credentials(id);
    if (getBillingAdapterFactory(source.provider).kind === 'file') {
      throw badInput(`${source.provider} sources are filled by importFocusFile, not synced`);
    }
    if (!apiKey) {
      throw badInput(`id: billing source "${source.name}" has no apiKey; set one to sync it`);
    }
    const adapter = createBillingAdapter(source.provider, {
      ...(apiKey ? { apiKey } : {}),
      ...(source.baseUrl ? { baseUrl: source.baseUrl } : {}),
      logger: this.logger.child({ billing_source: source.id, provider: source.provider }),
    });
    try {
      const fetched = await adapter.doFetchCosts!({ from, to });
      const counts = await storeCostLines(this.dataSource, source.id, fetched.lines);
      // Days the range covers whole: a line stored for one of them and not fetched again was
      // withdrawn by the provider.
      const firstDay = new Date(Math.ceil(from.getTime() / DAY_MS) * DAY_MS);
      const endDay = new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS);
      counts.linesRestated += await withdrawMissingLines(
        this.dataSource,
        source.id,
        firstDay.toISOString().slice(0, 10),
        endDay.toISOString().slice(0, 10),
        fetched.lines.map(providerCostLineKey),
      );
      await this.sources.markSynced(source.id, this.clock());
      await this.variances?.afterSync(source.id, providersOf(fetched.lines), from, to);
      this.logger.info(
        { billing_source: source.id, provider: source.provider, ...counts, pages: fetched.pages },
        'billing source synced',
      );
      return { ...counts, warnings: fetched.warnings.slice(0, 100) };
    } catch (error) {
      const message = apiKey
        ? redactSecret(String((error as Error)?.message ?? error), apiKey)
        : String((error as Error)?.message ?? error);
      this.logger.warn(
        { billing_source: source.id, provider: source.provider, error: message },
        'billing source sync failed',
      );
      const status = (error as { status?: number }).status;
      throw new PurserError({
        code: status === 401 || status === 403 ? 'BAD_USER_INPUT' : 'UNAVAILABLE',
        message: `syncing billing source "${source.name}" failed: ${message}`,
        details: { provider: source.provider, ...(status ? { status } : {}) },
        isRetryable: status !== 401 && status !== 403,
      });
    }
  }

  async importFocus(id: string, csv: string): Promise<BillingSyncValue> {
    if (csv.length > MAX_FOCUS_CSV_CHARS) {
      throw badInput(
        `csv: at most ${MAX_FOCUS_CSV_CHARS} characters; import larger files in parts`,
      );
    }
    const { source } = await this.sources.credentials(id);
    if (getBillingAdapterFactory(source.provider).kind !== 'file') {
      throw badInput(
        `sourceId: ${source.provider} sources are synced from their API, not imported`,
      );
    }
    const adapter = createBillingAdapter(source.provider, {});
    let result;
    try {
      result = await adapter.doImportFile!(csv);
    } catch (error) {
      throw badInput(`csv: ${(error as Error)?.message ?? String(error)}`);
    }
    const counts = await storeCostLines(this.dataSource, source.id, result.lines);
    await this.sources.markSynced(source.id, this.clock());
    const days = result.lines.map((line) => line.day).sort();
    if (days.length > 0) {
      const from = new Date(`${days[0]}T00:00:00Z`);
      const to = new Date(new Date(`${days[days.length - 1]}T00:00:00Z`).getTime() + DAY_MS);
      if (to.getTime() - from.getTime() <= MAX_SYNC_DAYS * DAY_MS) {
        await this.variances?.afterSync(source.id, providersOf(result.lines), from, to);
      }
    }
    return { ...counts, warnings: result.warnings.slice(0, 100) };
  }
}

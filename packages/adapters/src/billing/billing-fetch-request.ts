import type { ProviderCostLine } from './provider-cost-line';
import type { ProviderUsageLine } from './provider-usage-line';

/** What to fetch from a provider's billing API: a half-open range of UTC days. */
export interface BillingFetchRequest {
  /** Start of the range, inclusive; the provider snaps it to its day bucket (UTC). */
  readonly from: Date;
  /** End of the range, exclusive. Must be after {@link from}. */
  readonly to: Date;
  /** Cancels the whole fetch, every page and retry included. */
  readonly signal?: AbortSignal;
  /**
   * Most pages to follow before failing (default 1,000): a provider that keeps answering
   * `has_more` must not hold a sync forever.
   */
  readonly maxPages?: number;
}

/** Result of a fetch: every line of every page, plus what was unusual. */
export interface BillingFetchResult<Line> {
  /** The normalized lines, in the provider's order. */
  readonly lines: Line[];
  /**
   * Human-readable notes about anything skipped, guessed or not understood (an unknown line
   * item, a missing currency); the fetch still succeeded.
   */
  readonly warnings: string[];
  /** Number of pages read. */
  readonly pages: number;
}

/** Result of fetching costs. */
export type BillingCostsResult = BillingFetchResult<ProviderCostLine>;

/** Result of fetching usage. */
export type BillingUsageResult = BillingFetchResult<ProviderUsageLine>;

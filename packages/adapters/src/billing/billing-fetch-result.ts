import type { ProviderCostLine } from './provider-cost-line';
import type { ProviderUsageLine } from './provider-usage-line';

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

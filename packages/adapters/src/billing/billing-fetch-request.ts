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

import type { Usage } from '@purser/pricing';

/**
 * One bucket of a provider's own usage report (tokens, not money), normalized to Purser's
 * canonical, non-overlapping usage vocabulary. Reconciliation uses it to tell a price
 * difference from a volume difference.
 */
export interface ProviderUsageLine {
  /** UTC day of the bucket, `YYYY-MM-DD`. */
  readonly day: string;
  /** Canonical provider id (`openai`, `anthropic`). */
  readonly provider: string;
  /** The model as the provider reports it, or null when the report is not grouped by model. */
  readonly model: string | null;
  /** Project or workspace; null for the default one or when not grouped by it. */
  readonly project: string | null;
  /** Canonical usage of the bucket (absent keys are zero). */
  readonly usage: Usage;
  /** Number of model requests, when the provider reports it. */
  readonly requests: number | null;
  /** Further dimensions the report splits by (service tier, batch, context window). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The provider's raw result; JSON numbers are strings of their source text. */
  readonly raw: unknown;
}

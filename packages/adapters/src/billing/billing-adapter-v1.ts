import type { BillingCostsResult, BillingUsageResult } from './billing-fetch-result';
import type { BillingFetchRequest } from './billing-fetch-request';
import type { FocusImportOptions, FocusImportResult, FocusSource } from './focus-import-result';

/**
 * A billing adapter, version 1 of the specification: turns one provider's billing into
 * provider cost lines. Framework-only methods start with `do`; an adapter implements the
 * ones its provider supports (an HTTP API: costs and usage; a file format: import).
 */
export interface BillingAdapterV1 {
  /** Version of this interface, so that a future shape can coexist. */
  readonly specificationVersion: 'v1';
  /** Registry id of the adapter (`openai`, `anthropic`, `focus`). */
  readonly id: string;
  /** Fetches the provider's cost lines for a range of days, following every page. */
  doFetchCosts?(request: BillingFetchRequest): Promise<BillingCostsResult>;
  /** Fetches the provider's usage report for a range of days, following every page. */
  doFetchUsage?(request: BillingFetchRequest): Promise<BillingUsageResult>;
  /** Reads a billing export file (a FOCUS CSV) into cost lines. */
  doImportFile?(source: FocusSource, options?: FocusImportOptions): Promise<FocusImportResult>;
}

import type { ProviderCostLine } from './provider-cost-line';

/**
 * A FOCUS file: its whole text, or a stream of text or bytes (UTF-8) read chunk by chunk,
 * e.g. `fs.createReadStream(path)`, so a large export is never held in memory whole.
 */
export type FocusSource = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/** Options of a FOCUS import. */
export interface FocusImportOptions {
  /**
   * Which FOCUS cost column becomes the line's amount: `BilledCost` (default: what the
   * invoice charges) or `EffectiveCost` (amortized, after discounts and commitments).
   */
  readonly costColumn?: 'BilledCost' | 'EffectiveCost';
  /** Longest record accepted, in characters (default 1 MiB). A longer one fails the import. */
  readonly maxRecordChars?: number;
  /** Most warnings kept (default 100); the rest are counted in one last warning. */
  readonly maxWarnings?: number;
}

/** Why a FOCUS row did not become a cost line. */
export type FocusSkipReason =
  /** The row's service is not a hosted model service (EC2, S3, a VM…). */
  | 'not_model_service'
  /**
   * `ServiceCategory` is "AI and Machine Learning" but the service hosts no models Purser
   * prices (Azure Machine Learning workspaces, SageMaker compute…).
   */
  | 'ai_service_not_model_hosting'
  /** The row has no readable cost amount or currency, or no readable charge period. */
  | 'invalid_row';

/** Counts of a FOCUS import: every data row is either imported or skipped for one reason. */
export interface FocusImportSummary {
  /** FOCUS version the header looks like: `1.0`, `1.1-1.2` or `1.3`. */
  readonly version: '1.0' | '1.1-1.2' | '1.3';
  /** Data rows read (the header excluded). */
  readonly rows: number;
  /** Rows that became cost lines. */
  readonly imported: number;
  /** Rows skipped, all reasons together. */
  readonly skipped: number;
  /** Rows skipped, by reason. */
  readonly skippedByReason: Readonly<Record<FocusSkipReason, number>>;
  /** Imported rows whose model could not be read (the line has `model: null`). */
  readonly withoutModel: number;
}

/** Result of a FOCUS import. */
export interface FocusImportResult {
  /** The cost lines of the hosted model rows, in file order (empty when streamed out). */
  readonly lines: ProviderCostLine[];
  /** Rows skipped for being unreadable, unreadable tags, skipped AI services (bounded). */
  readonly warnings: string[];
  /** Counts: every data row is imported or skipped for one reason. */
  readonly summary: FocusImportSummary;
}

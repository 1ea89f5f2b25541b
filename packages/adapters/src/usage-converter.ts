import type { Usage } from '@purser/pricing';

/**
 * Result of converting a provider's usage object into the canonical vocabulary. Unusual but
 * usable input (a negative difference, an unsupported field) yields `warnings`, not an error.
 */
export interface UsageConversionResult {
  /** Canonical, non-overlapping usage buckets. */
  usage: Usage;
  /** Human-readable notes about anything that was clamped, guessed or ignored. */
  warnings: string[];
  /** Provider named inside the raw payload, when the format carries one (OTel attributes). */
  provider?: string;
  /** Model named inside the raw payload, when the format carries one (OTel attributes). */
  model?: string;
}

/**
 * A pure converter of one provider's usage shape, version 1 of the specification. Adding a
 * provider is one `convert-<format>-usage.ts` file exporting one of these plus one line in
 * the registry of `convert-usage.ts`.
 */
export interface UsageConverterV1 {
  /** Version of this interface, so that a future shape can coexist. */
  readonly specificationVersion: 'v1';
  /** Registry key, e.g. `openai`; also the value of a usage event's `usage_format`. */
  readonly format: string;
  /** One line on which payloads the converter reads. */
  readonly description: string;
  /**
   * Converts a raw usage payload, exactly as the provider returned it, or the whole response
   * that contains it. Throws an `AdapterError` (`INVALID_PROVIDER_USAGE`) only when the
   * payload cannot be read at all.
   */
  convert(raw: unknown): UsageConversionResult;
}

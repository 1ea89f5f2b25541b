import type {
  BillingCostsResult,
  BillingFetchRequest,
  BillingUsageResult,
} from './billing-fetch-request';
import type { FocusImportResult, FocusImportOptions, FocusSource } from './focus-import-result';

/** A log sink for retries and skipped data. Never given an API key. */
export interface BillingLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Settings every billing adapter accepts. HTTP adapters use all of them; a file adapter
 * ignores the connection settings.
 */
export interface BillingAdapterSettings {
  /** The provider's admin API key. Sent only in the request header; never logged or thrown. */
  readonly apiKey?: string;
  /**
   * The API's base URL, with or without the version prefix (`https://api.openai.com` or
   * `https://api.openai.com/v1`); defaults to the provider's public API.
   */
  readonly baseUrl?: string;
  /** Timeout of each HTTP request in milliseconds (default 30,000). */
  readonly timeoutMs?: number;
  /** Most attempts per request, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Base delay of the exponential backoff in milliseconds (default 500). */
  readonly backoffBaseMs?: number;
  /** Longest wait between attempts, `retry-after` included, in milliseconds (default 60,000). */
  readonly maxDelayMs?: number;
  /** Largest response body read, in bytes (default 32 MiB). */
  readonly maxResponseBytes?: number;
  /** `fetch` to use (tests inject one); defaults to the global. */
  readonly fetch?: typeof globalThis.fetch;
  /** Waits `ms` (tests inject an instant one); must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Current time, for `retry-after` given as an HTTP date (default `Date.now`). */
  readonly now?: () => number;
  /** Uniform random number in [0, 1), for the backoff's jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Where retries are logged. */
  readonly logger?: BillingLogger;
}

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

/**
 * One registry record: how to build an adapter. Adding a provider is one
 * `<name>-billing-adapter.ts` file exporting one of these plus one line in
 * `billing-registry.ts`.
 */
export interface BillingAdapterFactoryV1 {
  /** Version of this interface. */
  readonly specificationVersion: 'v1';
  /** Registry id, also a billing source's `provider`. */
  readonly id: string;
  /** One line on what the adapter reads. */
  readonly description: string;
  /** `api` adapters fetch over HTTP with an API key; `file` adapters import an export. */
  readonly kind: 'api' | 'file';
  /** Default base URL of an `api` adapter (with its version prefix). */
  readonly defaultBaseUrl?: string;
  /** Builds the adapter. Throws `AdapterError` on unusable settings (a bad `baseUrl`). */
  create(settings: BillingAdapterSettings): BillingAdapterV1;
}

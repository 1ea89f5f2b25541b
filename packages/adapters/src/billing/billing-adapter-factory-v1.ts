import type { BillingAdapterSettings } from './billing-adapter-settings';
import type { BillingAdapterV1 } from './billing-adapter-v1';

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

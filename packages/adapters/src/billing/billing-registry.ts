import { AdapterError } from '../errors';
import { anthropicBillingAdapterFactory } from './anthropic-billing-adapter';
import type { BillingAdapterFactoryV1 } from './billing-adapter-factory-v1';
import type { BillingAdapterSettings } from './billing-adapter-settings';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import { focusBillingAdapterFactory } from './focus-billing-adapter';
import { openaiBillingAdapterFactory } from './openai-billing-adapter';

/**
 * Every billing adapter, keyed by provider id. Adding a provider is one
 * `<name>-billing-adapter.ts` file and one line here; a test fails when a file is not listed.
 */
export const BILLING_ADAPTERS = {
  openai: openaiBillingAdapterFactory,
  anthropic: anthropicBillingAdapterFactory,
  focus: focusBillingAdapterFactory,
} as const satisfies Record<string, BillingAdapterFactoryV1>;

/** A registered billing provider id (`openai`, `anthropic`, `focus`). */
export type BillingProviderId = keyof typeof BILLING_ADAPTERS;

/** The registered billing provider ids, in registry order. */
export const BILLING_PROVIDER_IDS = Object.keys(BILLING_ADAPTERS) as BillingProviderId[];

/** Whether `id` names a registered billing adapter. */
export function isBillingProviderId(id: string): id is BillingProviderId {
  return Object.prototype.hasOwnProperty.call(BILLING_ADAPTERS, id);
}

/** The factory registered under `id`; throws `UNKNOWN_BILLING_PROVIDER` listing the known ids. */
export function getBillingAdapterFactory(id: string): BillingAdapterFactoryV1 {
  if (!isBillingProviderId(id)) {
    throw new AdapterError({
      code: 'UNKNOWN_BILLING_PROVIDER',
      message: `unknown billing provider ${JSON.stringify(id)}; known providers: ${BILLING_PROVIDER_IDS.join(', ')}`,
      details: { provider: id, known: BILLING_PROVIDER_IDS },
    });
  }
  return BILLING_ADAPTERS[id];
}

/** Builds the billing adapter registered under `id` with `settings`. */
export function createBillingAdapter(
  id: string,
  settings: BillingAdapterSettings = {},
): BillingAdapterV1 {
  return getBillingAdapterFactory(id).create(settings);
}

/**
 * Billing adapters: a provider's bill (OpenAI Costs/Usage API, Anthropic cost/usage
 * reports, cloud FOCUS exports) as provider cost lines. The spec is `BillingAdapterV1`;
 * adapters are built through the `BILLING_ADAPTERS` registry.
 */
export type { ProviderCostLine, BillingTokenType, BillingCostType } from './provider-cost-line';
export { providerCostLineKey } from './provider-cost-line';
export type { ProviderUsageLine } from './provider-usage-line';
export type { BillingFetchRequest } from './billing-fetch-request';
export type {
  BillingFetchResult,
  BillingCostsResult,
  BillingUsageResult,
} from './billing-fetch-result';
export type { BillingAdapterV1 } from './billing-adapter-v1';
export type { BillingAdapterFactoryV1 } from './billing-adapter-factory-v1';
export type { BillingAdapterSettings, BillingLogger } from './billing-adapter-settings';
export type {
  FocusSource,
  FocusImportOptions,
  FocusImportResult,
  FocusImportSummary,
  FocusSkipReason,
} from './focus-import-result';
export { BillingHttpError, type BillingHttpErrorOptions } from './billing-http-error';
export {
  BILLING_HTTP_DEFAULTS,
  resolveBillingBaseUrl,
  parseRetryAfter,
  redactSecret,
} from './billing-http';
export { quoteJsonNumbers } from './billing-json';
export { DEFAULT_MAX_BILLING_PAGES } from './billing-pages';
export {
  BILLING_ADAPTERS,
  BILLING_PROVIDER_IDS,
  createBillingAdapter,
  getBillingAdapterFactory,
  isBillingProviderId,
  type BillingProviderId,
} from './billing-registry';
export {
  createOpenAIBillingAdapter,
  openaiBillingAdapterFactory,
  parseOpenAILineItem,
  convertOpenAICostsBucket,
  convertOpenAIUsageBucket,
  openaiCostsResultSchema,
  openaiUsageResultSchema,
  OPENAI_BILLING_PROVIDER,
  type OpenAIBillingSettings,
  type OpenAILineItem,
} from './openai-billing-adapter';
export {
  createAnthropicBillingAdapter,
  anthropicBillingAdapterFactory,
  convertAnthropicCostBucket,
  convertAnthropicUsageBucket,
  anthropicCostResultSchema,
  anthropicUsageResultSchema,
  centsToAmount,
  ANTHROPIC_TOKEN_TYPES,
  ANTHROPIC_BILLING_PROVIDER,
  type AnthropicBillingSettings,
} from './anthropic-billing-adapter';
export {
  createFocusBillingAdapter,
  focusBillingAdapterFactory,
  importFocusFile,
  classifyFocusRow,
  readFocusModel,
  focusDay,
  tokenTypeOf,
  type FocusModelReading,
  type FocusImportStreamOptions,
} from './focus-billing-adapter';
export {
  CsvRecordParser,
  readCsvRecords,
  DEFAULT_MAX_CSV_RECORD_CHARS,
  type CsvField,
  type CsvParserOptions,
} from './focus-csv';

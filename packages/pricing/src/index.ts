export * from './usage';
export {
  CodedError,
  type CodedErrorOptions,
  isCodedError,
  PricingError,
  type PricingErrorCode,
  type PricingErrorOptions,
} from './errors';
export { Money, type MoneyValue, formatDecimal, TOKENS_PER_QUOTE } from './decimal';
export {
  AMOUNT_BOUNDS,
  NANO_AMOUNT_BOUNDS,
  type DecimalBounds,
  decimalProblem,
  decimalRule,
  isDecimalString,
} from './decimal-string';
export { isPlainObject } from './plain-object';
export {
  formatScaled,
  fromNanos,
  isZeroAmount,
  plus,
  rescale,
  type ScaledAmount,
  scaledAmount,
  toNanosCeil,
  toNanosFloor,
} from './scaled-decimal';
export { PROVIDERS, type ProviderId, canonicalProvider, isCanonicalProvider } from './providers';
export {
  DECIMAL_STRING_PATTERN,
  decimalStringSchema,
  instantSchema,
  tokenPricesSchema,
  type TokenPrices,
  priceTierSchema,
  type PriceTier,
  priceSourceSchema,
  type PriceSource,
  priceCardSchema,
  type PriceCard,
  type PriceCardInput,
  parsePriceCard,
} from './price-card';
export {
  createPricingCatalog,
  stripRoutingPrefixes,
  type PricingCatalog,
  type PriceMatch,
  type MatchKind,
  type ListPriceCardsOptions,
} from './catalog';
export {
  calculateCost,
  estimateCost,
  selectTier,
  type CalculateCostOptions,
  type EstimateCostOptions,
  type CostLine,
  type CostResult,
  type CostEstimate,
} from './cost';
export {
  importLiteLLM,
  priceFingerprint,
  WEB_SEARCH_UNIT,
  type LiteLLMImportOptions,
  type LiteLLMImportResult,
} from './litellm-import';
export { defaultCatalogCards, createDefaultPricingCatalog } from './default-catalog';

/**
 * `@purser/adapters`: the system boundary. Usage-event contracts and their NATS subjects,
 * provider usage normalizers (OpenAI, Anthropic, Gemini, OpenTelemetry GenAI → canonical
 * usage), and the one safe way to read external JSON. Test helpers live in
 * `@purser/adapters/testing`.
 */

// Errors
export { AdapterError, type AdapterErrorCode, type AdapterErrorOptions } from './errors';

// Reading external JSON
export {
  parseJson,
  readJson,
  locateJsonSyntaxError,
  DEFAULT_MAX_JSON_BYTES,
  type ReadJsonResult,
  type ParseJsonResult,
  type ParseJsonOptions,
  type JsonSyntaxErrorLocation,
} from './parse-json';
export { formatIssue, formatIssues, formatIssuePath } from './zod-issues';

// Usage converters
export type { UsageConverterV1, UsageConversionResult } from './usage-converter';
export {
  convertProviderUsage,
  getUsageConverter,
  isUsageFormat,
  USAGE_CONVERTERS,
  USAGE_FORMATS,
  DEFAULT_USAGE_FORMAT_BY_PROVIDER,
  type UsageFormat,
} from './convert-usage';
export {
  convertOpenAIUsage,
  openaiUsageConverter,
  openaiUsageSchema,
  type OpenAIUsage,
} from './convert-openai-usage';
export {
  convertAnthropicUsage,
  anthropicUsageConverter,
  anthropicUsageSchema,
  type AnthropicUsage,
} from './convert-anthropic-usage';
export {
  convertGeminiUsage,
  geminiUsageConverter,
  geminiUsageSchema,
  type GeminiUsage,
} from './convert-gemini-usage';
export {
  convertOtelGenAIUsage,
  otelGenAIUsageConverter,
  otelGenAIAttributesSchema,
  OTEL_GENAI_ATTRIBUTES,
  type OtelGenAIAttributes,
} from './convert-otel-genai-usage';

// Contracts: NATS subjects and payloads
export {
  USAGE_STREAM,
  USAGE_SUBJECTS,
  USAGE_INGEST_FILTER,
  USAGE_DLQ_SUBJECT,
  DECISIONS_SUBJECT,
  ALERTS_SUBJECT,
  NATS_MSG_ID_HEADER,
  usageSubject,
} from './contracts/subjects';
export {
  usageEventWireSchema,
  wireUsageSchema,
  wireAttributionSchema,
  currencySchema,
  amountSchema,
  toWireUsageEvent,
  attributionFromWire,
  attributionToWire,
  ATTRIBUTION_KEYS,
  ROLLUP_ATTRIBUTION_KEYS,
  USAGE_STATUSES,
  USAGE_EVENT_LIMITS,
  USAGE_EVENT_WIRE_KEYS,
  type AttributionKey,
  type UsageAttribution,
  type ReportedCost,
  type UsageEvent,
  type UsageEventWire,
  type UsageEventWireInput,
} from './contracts/usage-event';
export { isPlainObject } from '@purser/pricing';
export { MAX_JSON_DEPTH } from './contracts/json-content';
export {
  parseUsageEvent,
  parseUsageEventJson,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  type ParseUsageEventOptions,
  type ParseUsageEventResult,
} from './contracts/parse-usage-event';
export {
  unwrapCloudEvent,
  type CloudEventEnvelope,
  type UnwrapCloudEventResult,
} from './contracts/cloud-event';
export {
  deadLetterSchema,
  createDeadLetter,
  storableText,
  DEAD_LETTER_KINDS,
  MAX_DEAD_LETTER_PAYLOAD_CHARS,
  type DeadLetter,
  type CreateDeadLetterOptions,
} from './contracts/dead-letter';
export {
  decisionLoggedSchema,
  DECISION_ACTIONS,
  type DecisionLogged,
  type DecisionLoggedInput,
} from './contracts/decision-logged';
export {
  budgetThresholdCrossedSchema,
  BUDGET_PERIODS,
  type BudgetThresholdCrossed,
  type BudgetThresholdCrossedInput,
} from './contracts/budget-threshold-crossed';
export * from './contracts/reconciliation-variance';
export * from './contracts/anomaly-detected';

// Billing adapters: provider bills as provider cost lines (see src/billing/)
export * from './billing/index';

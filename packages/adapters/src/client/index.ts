/**
 * `@purser/adapters/client`: the gateway side of Purser for TypeScript services.
 * `PurserClient` (authorize, reportUsage, release, track, trackStream) and the AI SDK
 * middleware `purserMiddleware` (ai@6, `LanguageModelV3Middleware`).
 */
export { PurserClient, type PurserClientOptions } from './client';
export {
  TrackedCall,
  type TrackContext,
  type TrackOptions,
  type StreamTrackOptions,
  type CallEnding,
  USAGE_ESTIMATED_TAG,
} from './tracked-call';
export {
  PurserClientError,
  PurserDeniedError,
  isAbortError,
  type PurserClientErrorCode,
} from './errors';
export type {
  AuthorizeRequest,
  Decision,
  DecisionAction,
  DecisionBudget,
  DecisionReason,
  PurserClientLogger,
  UsageReporterStats,
} from './types';
export type { NatsConnectionLike } from './sinks';
export { UsageMeter, defaultUsageFormat, maxUsage } from './usage-meter';
export {
  purserMiddleware,
  aiSdkUsageAttributes,
  type PurserMiddlewareOptions,
  type LanguageModelRegistry,
} from './ai-sdk';

export { DECISION_ENTRYPOINT, readBundle, type PolicyBundle } from './bundle';
export { DEFAULT_BUNDLE_PATH } from './default-bundle';
export {
  attributionSchema,
  budgetSnapshotSchema,
  decisionInputSchema,
  decisionRequestSchema,
  integerSchema,
  modelEstimateSchema,
  principalSchema,
  velocitySnapshotSchema,
  type BudgetSnapshot,
  type DecisionInput,
  type ModelEstimate,
  type ParsedDecisionInput,
  type VelocitySnapshot,
} from './decision-input';
export {
  decisionReasonSchema,
  policyDecisionSchema,
  type DecisionAction,
  type DecisionReason,
  type PolicyDecision,
} from './decision-output';
export { PolicyError, type PolicyErrorCode, type PolicyErrorOptions } from './errors';
export {
  createPolicyEngine,
  type CustomBuiltin,
  type EvaluationResult,
  type PolicyEngine,
  type PolicyEngineOptions,
  type SwapResult,
} from './policy-engine';
export { toPolicyJson } from './policy-json';
export { isReasonCode, REASON_CODES, type ReasonCode } from './reason-codes';
export {
  watchBundle,
  type BundleWatcher,
  type BundleWatchEvent,
  type WatchBundleOptions,
} from './watch-bundle';

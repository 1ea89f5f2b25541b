/**
 * The stable reason codes a decision can carry, with the action each leads to. The one
 * human-readable definition is `policies/REASONS.md`; a test keeps the two in agreement.
 */
export const REASON_CODES = {
  /** The model is refused by an allow/deny list (environment, team, virtual key). */
  model_not_allowed: 'deny',
  /** A block or downgrade budget cannot cover the request, even downgraded or capped. */
  budget_exceeded: 'deny',
  /** A velocity limit would be passed; see `retry_after_seconds`. */
  rate_limited: 'deny',
  /** A downgrade budget cannot cover the requested model; a cheaper one is called. */
  downgraded: 'downgrade',
  /** The remaining budget covers only part of the requested output; the cap applies. */
  max_output_tokens_capped: 'warn',
  /** An alert-only budget is exceeded; the request is allowed. */
  budget_exceeded_alert_only: 'warn',
  /** A budget reaches one of its soft thresholds. */
  budget_threshold: 'warn',
  // Decided by the service around the policy (see the second table of REASONS.md).
  /** The virtual key passed is unknown or revoked. */
  virtual_key_invalid: 'deny',
  /** The model has no price, so an enforced budget cannot be checked. */
  unpriced_model: 'deny',
  /** The model has no price; no enforced budget applies, so the call is allowed. */
  unpriced_model_unenforced: 'warn',
  /** The policy bundle failed to evaluate; a failure never allows. */
  policy_error: 'deny',
  /** Postgres is unreachable and the fail mode is fail_closed. */
  purser_unavailable: 'deny',
  /** Every database connection of the replica stayed busy and the fail mode is fail_closed. */
  purser_overloaded: 'deny',
  /** Postgres is unreachable and the fail mode is fail_open: allowed without a hold. */
  fail_open: 'warn',
} as const;

/** A reason code documented in `policies/REASONS.md`. */
export type ReasonCode = keyof typeof REASON_CODES;

/** Whether `code` is one of the documented {@link REASON_CODES}. */
export function isReasonCode(code: string): code is ReasonCode {
  return Object.prototype.hasOwnProperty.call(REASON_CODES, code);
}

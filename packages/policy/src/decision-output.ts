import { z } from 'zod';

import type { ReasonCode } from './reason-codes';

/** Why the policy answered as it did. Codes are documented in `policies/REASONS.md`. */
export const decisionReasonSchema = z.object({
  /**
   * A {@link ReasonCode}. Parsed as any string so that a hot-swapped bundle with a new code
   * still evaluates; branch with `isReasonCode`.
   */
  code: z.string().min(1) as z.ZodType<ReasonCode | (string & {})>,
  message: z.string(),
  /** The budget the reason is about. */
  budget_id: z.string().optional(),
  /** The velocity limit the reason is about. */
  limit_id: z.string().optional(),
  retry_after_seconds: z.number().int().nonnegative().optional(),
  /** The soft threshold reached, in basis points of the limit (8000 = 80%). */
  threshold_basis_points: z.number().int().nonnegative().optional(),
});

/** The policy's answer. The service adds the decision id, holds and budgets around it. */
export const policyDecisionSchema = z.object({
  /** False only for `deny`. */
  allow: z.boolean(),
  /** Precedence: deny > downgrade > warn > allow. */
  action: z.enum(['allow', 'warn', 'downgrade', 'deny']),
  /** The model to call; differs from the request on downgrade. */
  model: z.string().min(1),
  /** The output cap to send; lower than requested when capped by a budget. */
  max_output_tokens: z.number().int().nonnegative(),
  /** Most severe first. */
  reasons: z.array(decisionReasonSchema),
  /** Seconds until a retry could succeed when rate limited, otherwise null. */
  retry_after_seconds: z.number().int().nonnegative().nullable(),
});

/** A reason of a {@link PolicyDecision}. */
export type DecisionReason = z.output<typeof decisionReasonSchema>;
/** The decision the policy returns. */
export type PolicyDecision = z.output<typeof policyDecisionSchema>;
/** The action of a {@link PolicyDecision}. */
export type DecisionAction = PolicyDecision['action'];

import { z } from 'zod';

import { decimalStringSchema, instantSchema } from '@purser/pricing';

import { currencySchema, wireAttributionSchema } from './usage-event';

/** Actions of a decision (ARCHITECTURE.md, "Decisions"). */
export const DECISION_ACTIONS = ['allow', 'warn', 'downgrade', 'deny'] as const;

/**
 * Payload published to `purser.decisions.v1` for every authorization decision, for audit and
 * analytics. It summarizes the request (never prompt content) and records the bundle revision.
 */
export const decisionLoggedSchema = z.object({
  decision_id: z.string().min(1).max(256),
  decided_at: instantSchema,
  /** What was asked. */
  request: z.object({
    provider: z.string().min(1).max(64),
    model: z.string().min(1).max(256),
    attribution: wireAttributionSchema.default({}),
    estimated_input_tokens: z.number().int().nonnegative(),
    max_output_tokens: z.number().int().nonnegative(),
    virtual_key: z.string().max(256).optional(),
  }),
  allow: z.boolean(),
  action: z.enum(DECISION_ACTIONS),
  /** The model to call; differs from `request.model` on downgrade. */
  model: z.string().min(1).max(256),
  max_output_tokens: z.number().int().nonnegative().optional(),
  reasons: z
    .array(
      z.object({
        code: z.string().min(1).max(128),
        message: z.string().max(2048),
        budget_id: z.string().max(256).optional(),
      }),
    )
    .default([]),
  estimated_cost: z.object({ amount: decimalStringSchema, currency: currencySchema }).optional(),
  reservation_id: z.string().max(256).optional(),
  /** Revision of the policy bundle that decided. */
  policy_revision: z.string().min(1).max(256),
  /** Time spent deciding, in milliseconds. */
  latency_ms: z.number().nonnegative().finite(),
  /** `false` for `simulateDecision`: nothing was reserved. */
  simulated: z.boolean().default(false),
});

/** A decision record on the wire. */
export type DecisionLogged = z.output<typeof decisionLoggedSchema>;
/** A decision record as a publisher writes it (defaults optional). */
export type DecisionLoggedInput = z.input<typeof decisionLoggedSchema>;

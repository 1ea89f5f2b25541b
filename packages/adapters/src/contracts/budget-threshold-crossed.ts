import { z } from 'zod';

import { decimalStringSchema, instantSchema } from '@purser/pricing';

import { currencySchema, wireAttributionSchema } from './usage-event';

/** Budget periods (as in the GraphQL `BudgetPeriod`, lower-cased on the wire). */
export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly', 'total'] as const;

/**
 * Payload published to `purser.alerts.v1` when a budget's spend crosses a threshold: a soft
 * threshold (`threshold` < 1) or the limit itself (`threshold` = 1). Money is decimal strings.
 */
export const budgetThresholdCrossedSchema = z
  .object({
    /** Stable per (budget, window, threshold), so a redelivered alert can be deduplicated. */
    alert_id: z.string().min(1).max(256),
    budget_id: z.string().min(1).max(256),
    budget_name: z.string().max(256).optional(),
    /** Fraction of the limit that was crossed, e.g. 0.8; 1 means the limit was reached. */
    threshold: z.number().positive().max(10),
    kind: z.enum(['soft_threshold', 'limit_reached']),
    /** The budget window in which it happened. */
    window: z.object({
      period: z.enum(BUDGET_PERIODS),
      starts_at: instantSchema,
      ends_at: instantSchema.optional(),
      timezone: z.string().max(64).default('UTC'),
    }),
    spent: decimalStringSchema,
    reserved: decimalStringSchema.default('0'),
    limit: decimalStringSchema,
    currency: currencySchema,
    /** The budget's scope (which team, feature, customer…). */
    scope: wireAttributionSchema.default({}),
    /** Enforcement mode of the budget. */
    mode: z.enum(['block', 'downgrade', 'alert_only']),
    crossed_at: instantSchema,
    /** The usage event or decision that crossed it, when known. */
    trigger: z
      .object({
        usage_event_id: z.string().max(256).optional(),
        decision_id: z.string().max(256).optional(),
      })
      .optional(),
  })
  .refine((alert) => (alert.kind === 'limit_reached') === alert.threshold >= 1, {
    error: 'kind must be limit_reached exactly when threshold >= 1',
    path: ['kind'],
  });

/** A budget alert on the wire. */
export type BudgetThresholdCrossed = z.output<typeof budgetThresholdCrossedSchema>;
/** A budget alert as a publisher writes it (defaults optional). */
export type BudgetThresholdCrossedInput = z.input<typeof budgetThresholdCrossedSchema>;

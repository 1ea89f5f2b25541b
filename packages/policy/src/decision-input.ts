import { z } from 'zod';

/**
 * A non-negative integer that may exceed 2^53: money in nano-units, counters, nanosecond
 * timestamps. Accepted as a `bigint` or a string of digits, never as a JS `number`, and
 * handed to the policy as a JSON integer (see `toPolicyJson`).
 */
export const integerSchema = z
  .union([z.bigint().nonnegative(), z.string().regex(/^\d+$/, 'expected a string of digits')])
  .transform((value) => BigInt(value));

/**
 * A count the policy formats into messages. The wasm runtime's `format_int` handles
 * 32-bit values only, so larger counts are rejected here instead of failing evaluation.
 */
const smallCountSchema = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);

/** Who the request is for, as in usage events. Every field is optional. */
export const attributionSchema = z.object({
  team: z.string().nullish(),
  feature: z.string().nullish(),
  environment: z.string().nullish(),
  customer: z.string().nullish(),
  project: z.string().nullish(),
  user: z.string().nullish(),
  agent: z.string().nullish(),
  session: z.string().nullish(),
  virtual_key: z.string().nullish(),
  request_path: z.string().nullish(),
});

/** The request as the gateway sent it. */
export const decisionRequestSchema = z.object({
  /** Canonical provider id (`openai`, `anthropic`, …). */
  provider: z.string().min(1),
  /** Model id as the gateway will send it to the provider. */
  model: z.string().min(1),
  attribution: attributionSchema.default({}),
  estimated_input_tokens: smallCountSchema,
  max_output_tokens: smallCountSchema,
  metadata: z.record(z.string(), z.unknown()).default({}),
});

/** The authenticated caller, resolved by the service. */
export const principalSchema = z.object({
  key_id: z.string().min(1),
  role: z.enum(['admin', 'finance', 'viewer', 'gateway']),
  /** The virtual key the request is made with, if any. */
  virtual_key: z
    .object({
      id: z.string().min(1),
      /** Patterns (`*`, `prefix*`, exact id); empty allows every model. */
      allowed_models: z.array(z.string()).default([]),
    })
    .optional(),
});

/** A worst-case price of one model for this request, in nano-units of the budget currency. */
export const modelEstimateSchema = z.object({
  model: z.string().min(1),
  /** input_cost_nanos + max_output_tokens × cost_per_output_token_nanos. */
  cost_nanos: integerSchema,
  input_cost_nanos: integerSchema,
  /** Rounded up, so a cap computed from it never overspends. */
  cost_per_output_token_nanos: integerSchema,
});

/** A budget that applies to the request, with its counters at decision time. */
export const budgetSnapshotSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  mode: z.enum(['block', 'downgrade', 'alert_only']),
  limit_nanos: integerSchema,
  spent_nanos: integerSchema,
  reserved_nanos: integerSchema,
  /** Fractions of the limit that warn when reached (0.8 = 80%). Not money. */
  soft_thresholds: z.array(z.number().positive()).default([]),
  /** Models from most to least expensive; empty uses the default chain of the policy data. */
  downgrade_chain: z.array(z.string().min(1)).default([]),
  /** RFC 3339 instant the window resets; informational for the policy. */
  resets_at: z.string().nullish(),
});

/** A velocity (rate) limit with its sliding-window counter, computed by the service. */
export const velocitySnapshotSchema = z.object({
  id: z.string().min(1),
  /** What the counter is keyed by: `session`, `virtual_key`, `user`, `team`, … */
  scope: z.string().min(1),
  metric: z.enum(['requests', 'tokens', 'cost_nanos']),
  limit: integerSchema,
  window_seconds: smallCountSchema,
  /** Usage already in the window, excluding this request. */
  current: integerSchema,
  /** When a retry could succeed, if this limit is hit. */
  retry_after_seconds: smallCountSchema,
});

/**
 * The policy input: the request, the resolved principal, the priced estimate, a snapshot of
 * every applicable budget and velocity limit, and the current time. The wasm runtime has no
 * clock, no network and no crypto, so everything it needs is here.
 */
export const decisionInputSchema = z.object({
  request: decisionRequestSchema,
  principal: principalSchema,
  /** Worst-case estimate of the requested model. */
  estimate: modelEstimateSchema,
  /** Worst-case estimates of every model of the applicable downgrade chains; one per model. */
  candidates: z
    .array(modelEstimateSchema)
    .default([])
    .refine((candidates) => new Set(candidates.map((c) => c.model)).size === candidates.length, {
      message: 'candidates must list each model once',
    }),
  /** Applicable budgets, from the widest scope to the narrowest (org → team → …). */
  budgets: z.array(budgetSnapshotSchema).default([]),
  velocity: z.array(velocitySnapshotSchema).default([]),
  /** Current time in nanoseconds since the Unix epoch. */
  now_ns: integerSchema,
});

/** What callers pass to `evaluate`: money as `bigint` or digit strings. */
export type DecisionInput = z.input<typeof decisionInputSchema>;
/** A validated decision input, money as `bigint`. */
export type ParsedDecisionInput = z.output<typeof decisionInputSchema>;
/** A budget snapshot as callers pass it. */
export type BudgetSnapshot = z.input<typeof budgetSnapshotSchema>;
/** A velocity snapshot as callers pass it. */
export type VelocitySnapshot = z.input<typeof velocitySnapshotSchema>;
/** A model estimate as callers pass it. */
export type ModelEstimate = z.input<typeof modelEstimateSchema>;

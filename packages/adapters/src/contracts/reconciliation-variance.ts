import { z } from 'zod';

import { decimalStringSchema, instantSchema } from '@purser/pricing';

import { currencySchema } from './usage-event';

/** A signed decimal string (`-3.356018`): a delta, or a bill of credits, may be negative. */
const signedDecimalSchema = z
  .string()
  .max(80)
  .regex(/^-?\d+(\.\d+)?$/, 'a signed decimal string');

/** Reconciliation variances: a day whose estimate and bill differ past the tolerance. */
export const RECONCILIATION_SUBJECT = 'purser.reconciliation.v1';

/**
 * Payload published to `purser.reconciliation.v1` after a billing sync, once per provider ×
 * UTC day whose variance (Purser's estimate against the provider's token charges) passes the
 * tolerance. Money is decimal strings; `delta = estimated − billed`.
 */
export const reconciliationVarianceSchema = z.object({
  /** Stable per (source, day, billed, estimated): a redelivery can be deduplicated. */
  variance_id: z.string().min(1).max(256),
  billing_source_id: z.string().min(1).max(256),
  provider: z.string().min(1).max(100),
  /** UTC day, `YYYY-MM-DD`. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  estimated: decimalStringSchema,
  /** Signed: a day's credits or refunds can outweigh its charges. */
  billed: signedDecimalSchema,
  delta: signedDecimalSchema,
  /** delta ÷ billed × 100; absent when nothing was billed. */
  delta_percent: signedDecimalSchema.optional(),
  tolerance_percent: decimalStringSchema,
  status: z.enum(['OVER', 'UNDER', 'MISSING_INTERNAL', 'MISSING_PROVIDER']),
  currency: currencySchema,
  detected_at: instantSchema,
});

/** A reconciliation variance on the wire. */
export type ReconciliationVariance = z.output<typeof reconciliationVarianceSchema>;

import { z } from 'zod';

import { instantSchema } from '@purser/pricing';

import { currencySchema } from './usage-event';

/** Spend anomalies: an hour of a feature's or a team's spend far above its own baseline. */
export const ANOMALIES_SUBJECT = 'purser.anomalies.v1';

/** The dimensions an anomaly is detected on (one series per value of each). */
export const ANOMALY_DIMENSIONS = ['feature', 'team'] as const;

/**
 * A signed decimal string: spend is never negative in practice, but a credit line could make
 * an hour's sum negative, and a payload that fails its own schema would never be published.
 */
const signedDecimalSchema = z
  .string()
  .max(80)
  .regex(/^-?\d+(\.\d+)?$/, 'a signed decimal string');

/**
 * Payload published once to `purser.anomalies.v1` per anomaly (dimension × value × UTC hour ×
 * currency), after the hour closed. Money is decimal strings; `excess = observed − expected`.
 * `dimensions` is the GraphQL `Anomaly.dimensions` object (`{"feature": "chat", "hour": …}`).
 */
export const anomalyDetectedSchema = z.object({
  /** Stable per (dimension, value, hour, currency): a redelivery can be deduplicated. */
  anomaly_id: z.string().min(1).max(256),
  dimension: z.enum(ANOMALY_DIMENSIONS),
  /** The feature or team; null for spend that carried none. */
  value: z.string().max(256).nullable(),
  /** Start of the UTC hour. */
  hour: instantSchema,
  dimensions: z.record(z.string(), z.string().nullable()),
  /** The median of the same hour of the week over the baseline weeks. */
  expected: signedDecimalSchema,
  observed: signedDecimalSchema,
  excess: signedDecimalSchema,
  /** Robust score: excess ÷ max(1.4826 × MAD, 10 % of expected, 0.01). */
  score: z.number().finite(),
  /** How many past weeks the baseline had (4 to 8). */
  baseline_weeks: z.number().int().min(1).max(52),
  currency: currencySchema,
  detected_at: instantSchema,
});

/** An anomaly on the wire. */
export type AnomalyDetected = z.output<typeof anomalyDetectedSchema>;

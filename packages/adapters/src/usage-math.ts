import type { z } from 'zod';
import { z as zod } from 'zod';

import type { Usage } from '@purser/pricing';

import { AdapterError } from './errors';
import { formatIssues } from './zod-issues';

/**
 * A provider token count: lenient on absence (`null`/missing mean zero) but strict on
 * type, because a negative or fractional count is a corrupt payload, not a rounding issue.
 */
export const rawTokenCount = zod.number().int().nonnegative().nullish();

/** Tokens to a plain count; `null`/`undefined` become 0. */
export function count(value: number | null | undefined): number {
  return value ?? 0;
}

/**
 * `total − part`, clamped at zero with a warning. Providers occasionally report a cached
 * count larger than the prompt that includes it; billing a negative input would hide
 * money, so we clamp and say so.
 */
export function subtractClamped(
  total: number,
  part: number,
  labels: { total: string; part: string; result: string },
  warnings: string[],
): number {
  const difference = total - part;
  if (difference < 0) {
    warnings.push(
      `${labels.part} (${part}) exceeds ${labels.total} (${total}) that should include it; ` +
        `${labels.result} clamped to 0`,
    );
    return 0;
  }
  return difference;
}

/** Drops zero buckets so that absent and zero read the same, keeping results comparable. */
export function compactUsage(usage: Usage): Usage {
  const out: Usage = {};
  for (const [key, value] of Object.entries(usage) as [keyof Usage, unknown][]) {
    if (key === 'units') {
      const units = Object.fromEntries(
        Object.entries((value as Record<string, number> | undefined) ?? {}).filter(
          ([, amount]) => amount > 0,
        ),
      );
      if (Object.keys(units).length > 0) out.units = units;
    } else if (typeof value === 'number' && value > 0) {
      (out as Record<string, number>)[key] = value;
    }
  }
  return out;
}

/**
 * Parses a raw payload with a converter's schema, accepting either the usage object itself
 * or a whole response holding it under `containerKey` (`usage`, `usageMetadata`).
 */
export function parseRawUsage<S extends z.ZodType>(
  format: string,
  schema: S,
  raw: unknown,
  containerKey: string,
): z.output<S> {
  const candidate =
    raw !== null &&
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    containerKey in raw &&
    typeof (raw as Record<string, unknown>)[containerKey] === 'object'
      ? (raw as Record<string, unknown>)[containerKey]
      : raw;
  const result = schema.safeParse(candidate, { reportInput: true });
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message: `${format} usage: ${issues.join('; ')}`,
      details: { format, issues },
    });
  }
  return result.data;
}

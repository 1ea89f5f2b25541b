import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';

import { type PriceCard, type PriceCardInput, priceCardSchema } from './price-card';

/**
 * Builds a valid price card for tests: `openai/test-model` at $1 input / $2 output per 1M
 * tokens, in force from 2026-01-01. Overrides replace top-level fields; the result is
 * validated with the real schema, so a test cannot build a card production would reject.
 */
export function testPriceCard(overrides: Partial<PriceCardInput> = {}): PriceCard {
  const provider = overrides.provider ?? 'openai';
  const model = overrides.model ?? 'test-model';
  const effectiveFrom = overrides.effective_from ?? '2026-01-01T00:00:00Z';
  return priceCardSchema.parse({
    id: `${provider}/${model}@${effectiveFrom.slice(0, 10)}`,
    provider,
    model,
    effective_from: effectiveFrom,
    prices: { input_tokens: '1', output_tokens: '2' },
    source: { name: 'test', retrieved_at: '2026-01-01' },
    ...overrides,
  });
}

/**
 * Which path answered an input of a fast twin: the fast copy, or the reference (a schema,
 * Decimal arithmetic) it stood aside for. See `docs/0008-fast-twins.md`.
 */
export type PathTaken = 'fast' | 'schema';

/** What a reference answers, in the shape of zod's `safeParse`. */
export type ReferenceResult<Output> =
  { success: true; data: Output } | { success: false; error?: unknown };

/** A fast copy and the reference it must equal. */
export interface FastTwin<Input, Output> {
  /** The fast copy: exactly the reference's answer, or `undefined` to stand aside for it. */
  fast: (input: Input) => Output | undefined;
  /** The reference: a schema's `safeParse`, or the slow arithmetic the fast copy replaces. */
  reference: (input: Input) => ReferenceResult<Output>;
  /**
   * Throws when the two answers differ. By default they must be deeply and strictly equal
   * and written alike by {@link showValue} (same keys in the same order, all the way down).
   */
  compare?: (fast: Output, reference: Output, input: Input) => void;
}

/** A value for a failure message: JSON, with `undefined` and bigints shown instead of dropped. */
export function showValue(value: unknown): string {
  return JSON.stringify(value, (_, item: unknown) =>
    item === undefined ? '<undefined>' : typeof item === 'bigint' ? `${item}n` : item,
  );
}

function sameValue(fast: unknown, reference: unknown): void {
  if (isDeepStrictEqual(fast, reference) && showValue(fast) === showValue(reference)) return;
  throw new Error(
    `the fast path answered ${showValue(fast)} where the reference answers ${showValue(reference)}`,
  );
}

/**
 * Checks one input: when the fast copy answers, the reference must accept the input and
 * answer the same. Answers which path took it; throws on a difference.
 */
export function checkTwin<Input, Output>(twin: FastTwin<Input, Output>, input: Input): PathTaken {
  const fast = twin.fast(input);
  if (fast === undefined) return 'schema';
  const reference = twin.reference(input);
  if (!reference.success) {
    const reason = reference.error instanceof Error ? `: ${reference.error.message}` : '';
    throw new Error(`fast path accepted what the reference refuses: ${showValue(input)}${reason}`);
  }
  try {
    (twin.compare ?? sameValue)(fast, reference.data, input);
  } catch (error) {
    if (error instanceof Error) error.message = `${showValue(input)}: ${error.message}`;
    throw error;
  }
  return 'fast';
}

/** A twin, and the generated inputs to run it on. */
export interface EquivalenceOptions<Input, Output> extends FastTwin<Input, Output> {
  /** The inputs (fast-check), weighted towards the edges where the two could differ. */
  arbitrary: fc.Arbitrary<Input>;
  /** How many inputs (default 1,000). */
  runs?: number;
  /** A fixed seed, to replay a failure fast-check reported. */
  seed?: number;
}

/**
 * The differential test of a fast twin: the fast path equals the reference (or stands aside)
 * on every generated input, fast-check shrinking any difference to a small counterexample.
 * Answers how many inputs each path took, so a test can require both to be exercised.
 */
export function expectEquivalent<Input, Output>(
  options: EquivalenceOptions<Input, Output>,
): Record<PathTaken, number> {
  const counts: Record<PathTaken, number> = { fast: 0, schema: 0 };
  fc.assert(
    fc.property(options.arbitrary, (input) => {
      counts[checkTwin(options, input)] += 1;
    }),
    {
      numRuns: options.runs ?? 1000,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    },
  );
  return counts;
}

/** A fast twin whose paths answer asynchronously (a raw HTTP route and its framework route). */
export interface AsyncFastTwin<Input, Output> {
  /** The fast path's answer, or `undefined` when it stood aside. */
  fast: (input: Input) => Promise<Output | undefined>;
  /** The reference's answer for the same input. */
  reference: (input: Input) => Promise<ReferenceResult<Output>>;
  /** Throws when the two answers differ (default as {@link FastTwin.compare}). */
  compare?: (fast: Output, reference: Output, input: Input) => void;
}

/** {@link checkTwin} for an {@link AsyncFastTwin}. */
async function checkTwinAsync<Input, Output>(
  twin: AsyncFastTwin<Input, Output>,
  input: Input,
): Promise<PathTaken> {
  const fast = await twin.fast(input);
  if (fast === undefined) return 'schema';
  const reference = await twin.reference(input);
  return checkTwin({ fast: () => fast, reference: () => reference, compare: twin.compare }, input);
}

/** {@link expectEquivalent} for an {@link AsyncFastTwin}: one input at a time. */
export async function expectEquivalentAsync<Input, Output>(
  options: AsyncFastTwin<Input, Output> &
    Omit<EquivalenceOptions<Input, Output>, keyof FastTwin<Input, Output>>,
): Promise<Record<PathTaken, number>> {
  const counts: Record<PathTaken, number> = { fast: 0, schema: 0 };
  await fc.assert(
    fc.asyncProperty(options.arbitrary, async (input) => {
      counts[await checkTwinAsync(options, input)] += 1;
    }),
    { numRuns: options.runs ?? 100, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
  return counts;
}

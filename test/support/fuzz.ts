import fc from 'fast-check';

/**
 * The edge values every usage-like input fuzzer draws: empty, a NUL, a lone surrogate, dates
 * that are too early, impossible or too late, a negative number, the largest safe integer,
 * null, a boolean, empty containers and an attribution with a NUL in it.
 */
export const EDGE_VALUES: readonly unknown[] = [
  '',
  'a\u0000b',
  'lone \ud800',
  '0001-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2999-01-01T00:00:00Z',
  -1,
  Number.MAX_SAFE_INTEGER,
  null,
  true,
  [],
  {},
  { team: 'x\u0000' },
];

/**
 * Values for an input fuzzer: mostly (weight 6 of 9) the shared edge values and `own`, the
 * suite's own ways to break its input; otherwise strings up to `maxStringLength`, integers
 * and JSON values up to `maxJsonDepth` deep.
 */
export function nastyValues(
  own: readonly unknown[],
  maxStringLength: number,
  maxJsonDepth: number,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...EDGE_VALUES, ...own) },
    fc.string({ maxLength: maxStringLength }),
    fc.integer(),
    fc.jsonValue({ maxDepth: maxJsonDepth }),
  );
}

import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full GC left live before it
 * starts the next one: `percent` (the next full GC starts at live × (1 + percent / 100)), or
 * V8's own factor, which it picks between 1.1 and 4 from how fast it collects, when 0.
 *
 * A service answering in the request path trades memory for fewer full GCs: each one stops
 * the event loop for 5–10 ms and runs its marking on the same two cores (docs/0004). V8 reads
 * the flag whenever it sets the next limit, so setting it after start takes effect at the
 * next full GC.
 */
export function tuneHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RangeError(`heap growth must be a whole percentage ≥ 0 (got ${percent})`);
  }
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The growth the service runs with (`tuneHeapGrowth`); 0, V8's own, until it is set. */
let configured = 0;
/** Streams holding the growth down ({@link holdHeapGrowth}). */
let holders = 0;
let collect: (() => void) | undefined;

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
  configured = percent;
  if (holders === 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Holds the old generation's growth down to `percent` past the live heap while a long stream
 * runs (a FOCUS export: every batch it reads and writes is garbage, much of it promoted, and at
 * the service's growth of 400 % a million-row export let the heap reach five times its 45 MB
 * live before each full GC). The first holder starts a full GC, so the lower limit applies at
 * once rather than after the next full GC; the last one to release restores the service's
 * growth. Returns the release (calling it twice releases once).
 */
export function holdHeapGrowth(percent: number): () => void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RangeError(`heap growth must be a whole percentage ≥ 0 (got ${percent})`);
  }
  holders += 1;
  if (holders === 1) {
    setFlagsFromString(`--heap-growing-percent=${percent}`);
    fullGc();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders -= 1;
    if (holders === 0) setFlagsFromString(`--heap-growing-percent=${configured}`);
  };
}

/** A full GC now: `gc` exposed once, read from a fresh context (nothing else sees it). */
function fullGc(): void {
  collect ??= (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();
  collect();
}

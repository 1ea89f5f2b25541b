/**
 * A budget window's hold rate on this replica (docs/0005), counted in quarter seconds and
 * read over the last four: a replica under load takes an allowance a quarter second after
 * reaching the rate, not one to two seconds (the rate of the last whole calendar second,
 * before), which every hold waited for with a round trip.
 */
const SLOT_MS = 250;
const SLOTS = 4;

export interface WindowRate {
  /** The quarter second being counted, and its holds and their amount (every path). */
  slot: number;
  count: number;
  amount: bigint;
  /** Holds and amounts of the four quarter seconds before `slot`, oldest first. */
  recentCounts: number[];
  recentAmounts: bigint[];
  /** Their sums: the rate over the last full second, sliding by quarter seconds. */
  previousCount: number;
  previousAmount: bigint;
}

/** The quarter second an instant (monotonic milliseconds) falls in. */
export function slotOf(now: number): number {
  return Math.floor(now / SLOT_MS);
}

/** A rate with nothing counted, starting at `slot`. */
export function emptyRate(slot: number): WindowRate {
  return {
    slot,
    count: 0,
    amount: 0n,
    recentCounts: new Array<number>(SLOTS).fill(0),
    recentAmounts: new Array<bigint>(SLOTS).fill(0n),
    previousCount: 0,
    previousAmount: 0n,
  };
}

/**
 * Starts counting quarter second `slot`: the one counted so far joins the last four (with an
 * empty one for each quarter skipped), whose sums are the rate over the last full second.
 */
export function moveToSlot(rate: WindowRate, slot: number): void {
  const gap = slot - rate.slot;
  if (gap <= 0) return;
  const counts = rate.recentCounts;
  const amounts = rate.recentAmounts;
  counts.push(rate.count);
  amounts.push(rate.amount);
  for (let skipped = Math.min(gap - 1, SLOTS); skipped > 0; skipped -= 1) {
    counts.push(0);
    amounts.push(0n);
  }
  counts.splice(0, counts.length - SLOTS);
  amounts.splice(0, amounts.length - SLOTS);
  rate.previousCount = counts.reduce((sum, count) => sum + count, 0);
  rate.previousAmount = amounts.reduce((sum, amount) => sum + amount, 0n);
  rate.count = 0;
  rate.amount = 0n;
  rate.slot = slot;
}

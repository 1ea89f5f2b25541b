import { Money, type MoneyValue } from '@purser/pricing';
import type { AllocationOutcome, UsageAggregate } from '../allocation/allocation-engine';
import { splitAmount } from '../allocation/allocation-split';
import { MATCH_KEYS, type MatchKey } from '../allocation/allocation-types';

/** Who gets a usage combination's cost: cost centers (null: unallocated) and their parts. */
export interface Shares {
  owners: (string | null)[];
  weights: MoneyValue[];
}

const UNALLOCATED: Shares = { owners: [null], weights: [new Money(1)] };

/** The key of a usage combination: segment, the match dimensions, the matched tag values. */
export function shareKey(
  segment: number,
  dims: Record<MatchKey, string | null>,
  tags: readonly (string | null)[],
): string {
  return JSON.stringify([segment, ...MATCH_KEYS.map((key) => dims[key]), ...tags]);
}

/**
 * The allocation engine's outcome as shares per usage combination: each combination's
 * cost centers with the amount the engine gave each (the weights an export row of that
 * combination is split by). A few thousand combinations for a month.
 */
export function sharesOf(
  outcome: AllocationOutcome,
  tagKeys: readonly string[],
): Map<string, Shares> {
  const byKey = new Map<string, Map<string | null, MoneyValue>>();
  const add = (usage: UsageAggregate, owner: string | null, amount: MoneyValue) => {
    const key = shareKey(
      usage.segment,
      usage.dims,
      tagKeys.map((tag) => usage.tags[tag] ?? null),
    );
    const owners = byKey.get(key) ?? new Map<string | null, MoneyValue>();
    owners.set(owner, (owners.get(owner) ?? new Money(0)).plus(amount));
    byKey.set(key, owners);
  };
  for (const line of outcome.lines) add(line.usage, line.costCenter, line.amount);
  for (const usage of outcome.unallocated) add(usage, null, usage.amount);
  const shares = new Map<string, Shares>();
  for (const [key, owners] of byKey) {
    // Cost centers by code, unallocated last: the same file every time for the same data.
    const entries = [...owners].sort(([a], [b]) =>
      a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1,
    );
    shares.set(key, {
      owners: entries.map(([owner]) => owner),
      // Parts of one split share the whole's sign: their absolute values are the weights.
      weights: entries.map(([, amount]) => amount.abs()),
    });
  }
  return shares;
}

/**
 * Splits a row's quantity by the combination's shares (parts sum exactly to the whole,
 * largest remainder: `splitAmount`), each part's cost being its quantity × the row's unit
 * price: so the parts' costs sum exactly to the row's cost (itself quantity × unit price) and
 * every part keeps ListUnitPrice × PricingQuantity = ListCost. A row whose cost is not its
 * quantity × unit price (never, for priced lines) has its cost split by the shares instead.
 * Usage the engine never saw (a combination whose sum was zero) is unallocated.
 */
export function splitByShares(
  shares: Shares | undefined,
  cost: MoneyValue,
  quantity: MoneyValue,
  unitPrice: MoneyValue,
): { owner: string | null; cost: MoneyValue; quantity: MoneyValue }[] {
  const { owners, weights } = shares ?? UNALLOCATED;
  if (owners.length === 1) return [{ owner: owners[0], cost, quantity }];
  const quantities = splitAmount(quantity, weights);
  const costs = quantity.times(unitPrice).equals(cost)
    ? quantities.map((part) => part.times(unitPrice))
    : splitAmount(cost, weights);
  return owners.map((owner, index) => ({
    owner,
    cost: costs[index],
    quantity: quantities[index],
  }));
}

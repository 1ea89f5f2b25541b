import { Money, type MoneyValue } from '@purser/pricing';
import type { AllocationOutcome } from './allocation-engine';
import type {
  ChargebackAdjustmentValue,
  ChargebackRowValue,
  CostCenterValue,
} from './allocation-types';

/** One cost center's money in a report (or the unallocated, keyed by null). */
export interface Sums {
  direct: MoneyValue;
  shared: MoneyValue;
  trueUp: MoneyValue;
}

export const zeroSums = (): Sums => ({
  direct: new Money(0),
  shared: new Money(0),
  trueUp: new Money(0),
});

export const totalOf = (sums: Sums): MoneyValue => sums.direct.plus(sums.shared).plus(sums.trueUp);

/** Money per cost center code, the unallocated under the key `null`. */
export type SumsByCenter = Map<string | null, Sums>;

export function addSums(into: SumsByCenter, code: string | null, sums: Partial<Sums>, sign = 1) {
  const entry = into.get(code) ?? zeroSums();
  entry.direct = entry.direct.plus((sums.direct ?? new Money(0)).times(sign));
  entry.shared = entry.shared.plus((sums.shared ?? new Money(0)).times(sign));
  entry.trueUp = entry.trueUp.plus((sums.trueUp ?? new Money(0)).times(sign));
  into.set(code, entry);
}

/** An engine outcome as money per cost center (and unallocated). */
export function sumsOf(outcome: AllocationOutcome, into: SumsByCenter = new Map()): SumsByCenter {
  if (!into.has(null)) into.set(null, zeroSums());
  for (const [code, entry] of outcome.totals.byCostCenter) addSums(into, code, entry);
  addSums(into, null, { direct: outcome.totals.unallocated });
  return into;
}

const text = (value: MoneyValue) => (value.isZero() ? '0' : value.toFixed());

/**
 * Report rows, by code. With `rollUp`, every cost center above a row also gets a row with
 * `rolledUp: true`: the sums of its whole subtree (itself included), which repeat money in
 * other rows and are left out of the report's total.
 */
export function rowsOf(
  sums: SumsByCenter,
  centers: ReadonlyMap<string, CostCenterValue>,
  rollUp: boolean,
): ChargebackRowValue[] {
  const ancestors = (code: string): string[] => {
    const chain: string[] = [];
    let parent = centers.get(code)?.parentCode ?? null;
    while (parent && chain.length < 1000 && !chain.includes(parent)) {
      chain.push(parent);
      parent = centers.get(parent)?.parentCode ?? null;
    }
    return chain;
  };
  const row = (code: string, entry: Sums, rolledUp: boolean): ChargebackRowValue => {
    const center = centers.get(code);
    return {
      costCenter: code,
      name: center?.name ?? code,
      glAccount: center?.glAccount ?? null,
      parentCode: center?.parentCode ?? null,
      level: ancestors(code).length,
      direct: text(entry.direct),
      shared: text(entry.shared),
      trueUp: text(entry.trueUp),
      total: text(totalOf(entry)),
      rolledUp,
    };
  };
  const own = [...sums].filter((entry): entry is [string, Sums] => entry[0] !== null);
  const rows = own.map(([code, entry]) => row(code, entry, false));
  if (rollUp) {
    const subtree: SumsByCenter = new Map();
    for (const [code, entry] of own) {
      const above = ancestors(code);
      if (above.length === 0) continue;
      for (const parent of above) addSums(subtree, parent, entry);
    }
    for (const [parent] of subtree) {
      const self = sums.get(parent);
      if (self) addSums(subtree, parent, self);
    }
    for (const [code, entry] of subtree) rows.push(row(code as string, entry, true));
  }
  return rows.sort(
    (a, b) =>
      (a.costCenter < b.costCenter ? -1 : a.costCenter > b.costCenter ? 1 : 0) ||
      Number(a.rolledUp) - Number(b.rolledUp),
  );
}

export function adjustmentsOf(
  month: string,
  difference: SumsByCenter,
  centers: ReadonlyMap<string, CostCenterValue>,
): ChargebackAdjustmentValue[] {
  return [...difference]
    .filter(
      ([, entry]) => !totalOf(entry).isZero() || !entry.direct.isZero() || !entry.shared.isZero(),
    )
    .map(([code, entry]) => ({
      priorPeriod: month,
      costCenter: code,
      glAccount: code === null ? null : (centers.get(code)?.glAccount ?? null),
      direct: text(entry.direct),
      shared: text(entry.shared),
      trueUp: text(entry.trueUp),
      total: text(totalOf(entry)),
    }))
    .sort((a, b) => (a.costCenter ?? '').localeCompare(b.costCenter ?? ''));
}

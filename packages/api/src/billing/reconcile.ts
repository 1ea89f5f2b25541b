import { Money, type MoneyValue } from '@purser/pricing';

/** The dimensions a reconciliation groups by, as its rows' `dimensions` keys. */
export type ReconcileKey = 'day' | 'model' | 'project' | 'token_type';

export type ReconcileStatus =
  'MATCHED' | 'OVER' | 'UNDER' | 'MISSING_INTERNAL' | 'MISSING_PROVIDER';

/** One side's amount for one finest-grain group (day × model × project × token type). */
export interface SideCell {
  day: string;
  model: string;
  project: string | null;
  tokenType: string | null;
  amount: string;
  /** Tokens behind the amount, when known (for the effective unit price). */
  quantity?: string | null;
  /** Requests no price covered (estimated side). */
  unpricedRequests?: number;
  /** Distinct UTC hours with usage (estimated side). */
  hours?: number;
}

export interface ReconcileRowValue {
  dimensions: Record<string, string | null>;
  estimated: string;
  billed: string;
  delta: string;
  deltaPercent: string | null;
  status: ReconcileStatus;
  likelyCauses: string[];
}

interface Group {
  dimensions: Record<string, string | null>;
  estimated: MoneyValue;
  billed: MoneyValue;
  hasEstimated: boolean;
  hasBilled: boolean;
  estimatedQuantity: MoneyValue | null;
  billedQuantity: MoneyValue | null;
  unpricedRequests: number;
  hours: number;
  tokenTypes: Set<string>;
}

const DIMENSION_OF: Record<ReconcileKey, (cell: SideCell) => string | null> = {
  day: (cell) => cell.day,
  model: (cell) => cell.model,
  project: (cell) => cell.project,
  token_type: (cell) => cell.tokenType,
};

function addQuantity(total: MoneyValue | null, quantity: string | null | undefined) {
  if (quantity === null || quantity === undefined) return null;
  return (total ?? new Money(0)).plus(quantity);
}

/** Status of one group: `|delta| ≤ tolerancePercent % of |billed|` is MATCHED. */
export function statusOf(
  estimated: MoneyValue,
  billed: MoneyValue,
  hasEstimated: boolean,
  hasBilled: boolean,
  tolerancePercent: MoneyValue,
): ReconcileStatus {
  if (!hasBilled) return hasEstimated ? 'MISSING_PROVIDER' : 'MATCHED';
  if (!hasEstimated) return billed.isZero() ? 'MATCHED' : 'MISSING_INTERNAL';
  const delta = estimated.minus(billed);
  const tolerance = billed.abs().times(tolerancePercent).div(100);
  if (delta.abs().lte(tolerance)) return 'MATCHED';
  return delta.gt(0) ? 'OVER' : 'UNDER';
}

/**
 * Compares the two sides group by group. Cells are at the finest grain; `groupBy` picks the
 * dimensions kept. Sums are exact (decimal); `deltaPercent` has 6 decimals, half to even.
 * `knownModels` are the models Purser has ever seen usage of (for `model_never_seen`).
 */
export function reconcile(options: {
  estimated: readonly SideCell[];
  billed: readonly SideCell[];
  groupBy: readonly ReconcileKey[];
  tolerancePercent: string;
  knownModels: ReadonlySet<string>;
}): ReconcileRowValue[] {
  const tolerance = new Money(options.tolerancePercent);
  const groups = new Map<string, Group>();
  const groupOf = (cell: SideCell): Group => {
    const dimensions = Object.fromEntries(
      options.groupBy.map((key) => [key, DIMENSION_OF[key](cell)]),
    );
    const id = JSON.stringify(options.groupBy.map((key) => dimensions[key]));
    let group = groups.get(id);
    if (!group) {
      group = {
        dimensions,
        estimated: new Money(0),
        billed: new Money(0),
        hasEstimated: false,
        hasBilled: false,
        estimatedQuantity: null,
        billedQuantity: null,
        unpricedRequests: 0,
        hours: 0,
        tokenTypes: new Set(),
      };
      groups.set(id, group);
    }
    if (cell.tokenType) group.tokenTypes.add(cell.tokenType);
    return group;
  };
  for (const cell of options.estimated) {
    const group = groupOf(cell);
    group.estimated = group.estimated.plus(cell.amount);
    group.hasEstimated = true;
    group.estimatedQuantity = addQuantity(group.estimatedQuantity, cell.quantity);
    group.unpricedRequests += cell.unpricedRequests ?? 0;
    group.hours = Math.max(group.hours, cell.hours ?? 0);
  }
  for (const cell of options.billed) {
    const group = groupOf(cell);
    group.billed = group.billed.plus(cell.amount);
    group.hasBilled = true;
    group.billedQuantity = addQuantity(group.billedQuantity, cell.quantity);
  }
  const rows = [...groups.values()].map((group) => {
    const delta = group.estimated.minus(group.billed);
    const status = statusOf(
      group.estimated,
      group.billed,
      group.hasEstimated,
      group.hasBilled,
      tolerance,
    );
    return {
      dimensions: group.dimensions,
      estimated: group.estimated.toFixed(),
      billed: group.billed.toFixed(),
      delta: delta.toFixed(),
      deltaPercent: group.billed.isZero()
        ? null
        : delta.div(group.billed).times(100).toDecimalPlaces(6).toFixed(),
      status,
      likelyCauses: status === 'MATCHED' ? [] : causesOf(group, status, tolerance, options),
    };
  });
  return rows.sort((a, b) => compareDimensions(a.dimensions, b.dimensions, options.groupBy));
}

function causesOf(
  group: Group,
  status: ReconcileStatus,
  tolerance: MoneyValue,
  options: { groupBy: readonly ReconcileKey[]; knownModels: ReadonlySet<string> },
): string[] {
  const causes: string[] = [];
  const model = group.dimensions.model;
  if (
    status === 'MISSING_INTERNAL' &&
    typeof model === 'string' &&
    !options.knownModels.has(model)
  ) {
    causes.push('model_never_seen');
  }
  if (group.unpricedRequests > 0) causes.push('unpriced_usage');
  if (status === 'UNDER' && options.groupBy.includes('day') && group.hours < 24) {
    causes.push('hours_without_usage');
  }
  if (
    (status === 'OVER' || status === 'UNDER') &&
    options.groupBy.includes('token_type') &&
    group.estimatedQuantity &&
    group.billedQuantity &&
    !group.estimatedQuantity.isZero() &&
    !group.billedQuantity.isZero()
  ) {
    const ours = group.estimated.div(group.estimatedQuantity);
    const theirs = group.billed.div(group.billedQuantity);
    if (ours.minus(theirs).abs().gt(theirs.abs().times(tolerance).div(100))) {
      const cache = [...group.tokenTypes].some((type) => type.startsWith('cache_'));
      causes.push(cache ? 'cache_priced_wrong' : 'price_differs');
    }
  }
  return causes;
}

function compareDimensions(
  a: Record<string, string | null>,
  b: Record<string, string | null>,
  keys: readonly ReconcileKey[],
): number {
  for (const key of keys) {
    const left = a[key] ?? '';
    const right = b[key] ?? '';
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}

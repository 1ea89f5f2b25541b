import { Money, type MoneyValue } from '@purser/pricing';
import type { EntityManager } from 'typeorm';
import { allocate, type EngineSegment } from './allocation-engine';
import { segmentsOf, type TimedRule } from './allocation-segments';
import { splitAmount } from './allocation-split';
import { readUsage } from './allocation-usage';
import { addSums, type SumsByCenter } from './chargeback-report';

const DAY_MS = 86_400_000;
/** The currency providers bill in, the only one reconciled (and trued up). */
export const TRUE_UP_CURRENCY = 'USD';
/** Longest range one reconciliation report covers (billing's MAX_RECONCILIATION_DAYS). */
const REPORT_DAYS = 400;

/** A reconciliation per UTC day × model, as billing's ReconciliationService answers it. */
export interface VarianceReport {
  rows: { dimensions: Record<string, string | null>; estimated: string; billed: string }[];
  /** Billed lines that are not tokens of a model (fees, tools, storage). */
  nonTokenCharges: { day: string; amount: string }[];
}

/**
 * Where the true-up reads the bill from: billing's ReconciliationService fits this shape, so
 * the allocation domain imports nothing from billing (the registry wires one to the other).
 */
export interface VarianceSource {
  report(options: { provider: string; from: Date; to: Date }): Promise<VarianceReport>;
  /** The model name reconciliation uses for a model used or billed on `day`. */
  modelNamer(provider: string): Promise<(model: string, day: string | null) => string>;
}

const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);
const cellOf = (provider: string, day: string, model: string) =>
  JSON.stringify([provider, day, model]);

/**
 * The true-up of `[from, to)`: for every provider and whole UTC day inside the range that has
 * billed lines (a source synced it), the variance billed − estimated per model (the
 * reconciliation's own rows and model matching) is spread over the cost centers that received
 * that provider × model's cost that day, in proportion to it (`splitAmount`: the parts sum
 * exactly); the unallocated usage takes its share under `null`. A variance no usage received
 * (MISSING_INTERNAL) and the non-token charges go to the unallocated. The cost received per
 * day comes from the engine run over the same rules with segments cut at every UTC day, so
 * PROPORTIONAL weights are the run's direct costs, as in the report. Partial days at the
 * range's ends are not trued up. Returns the true-up per cost center (null: unallocated).
 */
export async function trueUpOf(
  manager: EntityManager,
  source: VarianceSource,
  range: { from: Date; to: Date; currency: string; versions: readonly TimedRule[] },
): Promise<Map<string | null, MoneyValue>> {
  const result = new Map<string | null, MoneyValue>();
  for (const cell of await trueUpCellsOf(manager, source, range)) {
    result.set(cell.costCenter, (result.get(cell.costCenter) ?? new Money(0)).plus(cell.amount));
  }
  return result;
}

/** One part of a true-up: what a cost center (null: unallocated) takes of a day's variance. */
export interface TrueUpCell {
  provider: string;
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** The model as reconciliation names it; null for the day's non-token charges. */
  model: string | null;
  costCenter: string | null;
  amount: MoneyValue;
}

/**
 * {@link trueUpOf} before it is summed per cost center: one cell per provider × day × model ×
 * cost center (and one per provider × day for its non-token charges, unallocated), ordered by
 * day, provider, model, cost center. The FOCUS export writes each as an adjustment row.
 */
export async function trueUpCellsOf(
  manager: EntityManager,
  source: VarianceSource,
  range: { from: Date; to: Date; currency: string; versions: readonly TimedRule[] },
): Promise<TrueUpCell[]> {
  const cells = new Map<string, TrueUpCell>();
  if (range.currency !== TRUE_UP_CURRENCY) return [];
  const start = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
  if (!(start < end)) return [];
  const add = (where: Omit<TrueUpCell, 'amount'>, amount: MoneyValue) => {
    const key = JSON.stringify([where.day, where.provider, where.model, where.costCenter]);
    const cell = cells.get(key);
    if (cell) cell.amount = cell.amount.plus(amount);
    else cells.set(key, { ...where, amount });
  };
  const ordered = () =>
    [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, cell]) => cell);

  const billedDays: { provider: string; day: string }[] = await manager.query(
    `SELECT DISTINCT provider, to_char(day, 'YYYY-MM-DD') AS day FROM provider_cost_lines
     WHERE currency = $1 AND day >= $2::timestamptz::date AND day < $3::timestamptz::date`,
    [TRUE_UP_CURRENCY, new Date(start).toISOString(), new Date(end).toISOString()],
  );
  if (billedDays.length === 0) return [];
  const daysOf = new Map<string, Set<string>>();
  for (const { provider, day } of billedDays) {
    daysOf.set(provider, (daysOf.get(provider) ?? new Set()).add(day));
  }

  const variances = new Map<string, MoneyValue>();
  const namers = new Map<string, (model: string, day: string | null) => string>();
  for (const [provider, days] of daysOf) {
    namers.set(provider, await source.modelNamer(provider));
    for (let from = start; from < end; from += REPORT_DAYS * DAY_MS) {
      const to = Math.min(end, from + REPORT_DAYS * DAY_MS);
      const report = await source.report({ provider, from: new Date(from), to: new Date(to) });
      for (const row of report.rows) {
        const { day, model } = row.dimensions;
        if (!day || model === null || model === undefined || !days.has(day)) continue;
        const variance = new Money(row.billed).minus(row.estimated);
        if (!variance.isZero()) variances.set(cellOf(provider, day, model), variance);
      }
      for (const charge of report.nonTokenCharges) {
        if (days.has(charge.day)) {
          add(
            { provider, day: charge.day, model: null, costCenter: null },
            new Money(charge.amount),
          );
        }
      }
    }
  }
  if (variances.size === 0) return ordered();

  const received = await receivedPerDay(manager, range.versions, start, end, namers);
  for (const [cell, variance] of variances) {
    const [provider, day, model] = JSON.parse(cell) as [string, string, string];
    const recipients = [...(received.get(cell) ?? new Map<string | null, MoneyValue>())].filter(
      ([, amount]) => amount.isPositive() && !amount.isZero(),
    );
    if (recipients.length === 0) {
      add({ provider, day, model, costCenter: null }, variance);
      continue;
    }
    const parts = splitAmount(
      variance,
      recipients.map(([, amount]) => amount),
    );
    recipients.forEach(([costCenter], index) =>
      add({ provider, day, model, costCenter }, parts[index]),
    );
  }
  return ordered();
}

/** Adds a true-up (from {@link trueUpOf}) to a report's sums. */
export function addTrueUp(into: SumsByCenter, trueUp: ReadonlyMap<string | null, MoneyValue>) {
  for (const [code, amount] of trueUp) addSums(into, code, { trueUp: amount });
}

/**
 * Cost each cost center (null: unallocated) received per provider × UTC day × model over the
 * whole days `[start, end)`, only for providers with billed days: the rule segments cut again
 * at every day start, the engine run once over them all.
 */
async function receivedPerDay(
  manager: EntityManager,
  versions: readonly TimedRule[],
  start: number,
  end: number,
  namers: ReadonlyMap<string, (model: string, day: string | null) => string>,
): Promise<Map<string, Map<string | null, MoneyValue>>> {
  const { bounds, segments, tagKeys } = segmentsOf(versions, new Date(start), new Date(end));
  const starts = new Set(bounds.map((bound) => bound.getTime()));
  for (let day = start; day < end; day += DAY_MS) starts.add(day);
  const cut = [...starts].sort((a, b) => a - b);
  const original = bounds.map((bound) => bound.getTime());
  const cutSegments: EngineSegment[] = cut.map((time) => {
    let index = 0;
    while (index + 1 < original.length && original[index + 1] <= time) index += 1;
    return segments[index];
  });
  const usage = await readUsage(manager, {
    from: new Date(start),
    to: new Date(end),
    currency: TRUE_UP_CURRENCY,
    bounds: cut.map((time) => new Date(time)),
    tagKeys,
  });
  // All usage, not only the billed providers': PROPORTIONAL weights are all direct cost.
  const outcome = allocate(usage, cutSegments);
  const received = new Map<string, Map<string | null, MoneyValue>>();
  const credit = (
    code: string | null,
    row: { segment: number; dims: { provider: string | null; model: string | null } },
    amount: MoneyValue,
  ) => {
    const { provider, model } = row.dims;
    const namer = provider === null ? undefined : namers.get(provider);
    if (!namer || provider === null || model === null) return;
    const day = dayOf(cut[row.segment]);
    const cell = cellOf(provider, day, namer(model, day));
    const byCenter = received.get(cell) ?? new Map<string | null, MoneyValue>();
    byCenter.set(code, (byCenter.get(code) ?? new Money(0)).plus(amount));
    received.set(cell, byCenter);
  };
  for (const line of outcome.lines) credit(line.costCenter, line.usage, line.amount);
  for (const row of outcome.unallocated) credit(null, row, row.amount);
  return received;
}

/**
 * {@link trueUpOf} added to `sums` (returned): `versions` are read only when there is a source
 * and the currency is trued up (the rule versions the engine run of the range used).
 */
export async function withTrueUp(
  manager: EntityManager,
  source: VarianceSource | null,
  range: { from: Date; to: Date; currency: string },
  versions: () => Promise<readonly TimedRule[]>,
  sums: SumsByCenter,
): Promise<SumsByCenter> {
  if (!source || range.currency !== TRUE_UP_CURRENCY) return sums;
  addTrueUp(sums, await trueUpOf(manager, source, { ...range, versions: await versions() }));
  return sums;
}

import { Money, type MoneyValue } from '@purser/pricing';
import type {
  AllocationApi,
  ChargebackDimensions,
  ChargebackLineValue,
  ChargebackReportValue,
  ChargebackRowValue,
} from './allocation-types';
import type { StatementCostCenter, StatementLine, StatementSource } from './chargeback-csv';
import type { JournalSource } from './journal-csv';

/** What the statements use of the allocation service. */
export type StatementApi = Pick<
  AllocationApi,
  'chargeback' | 'chargebackDetail' | 'chargebackLines' | 'listCostCenters'
>;

/** A UTC calendar month and its range `[from, to)`. */
export interface MonthRange {
  month: string;
  from: Date;
  to: Date;
}

const sum = (amounts: readonly (string | MoneyValue)[]) =>
  amounts.reduce<MoneyValue>((total, amount) => total.plus(amount), new Money(0));

/** Usage dimensions as statement attribution: the set ones, tags as `tags.<key>`. */
export function attributionOf(dimensions: ChargebackDimensions): Record<string, string> {
  const attribution: Record<string, string> = {};
  for (const [key, value] of Object.entries(dimensions)) {
    if (key !== 'tags' && typeof value === 'string') attribution[key] = value;
  }
  for (const [key, value] of Object.entries(dimensions.tags ?? {})) {
    if (typeof value === 'string') attribution[`tags.${key}`] = value;
  }
  return attribution;
}

/**
 * A cost center's direct and shared lines: by rule and attribution from the drill-down
 * when it ties out to the row exactly, else (a closed month's frozen row that late usage
 * has since moved the drill-down away from) one `direct` and one `shared` line without rule.
 */
function costLines(row: ChargebackRowValue, detail: ChargebackLineValue[] | null): StatementLine[] {
  const of = (kind: 'DIRECT' | 'SHARED') =>
    (detail ?? []).filter((line) => line.kind === kind && !new Money(line.amount).isZero());
  if (
    detail &&
    sum(of('DIRECT').map((line) => line.amount)).equals(row.direct) &&
    sum(of('SHARED').map((line) => line.amount)).equals(row.shared)
  ) {
    return [...of('DIRECT'), ...of('SHARED')].map((line) => ({
      costCenter: row.costCenter,
      kind: line.kind === 'DIRECT' ? 'direct' : 'shared',
      rule: line.ruleName,
      attribution: attributionOf(line.dimensions),
      amount: line.amount,
    }));
  }
  return (
    [
      ['direct', row.direct],
      ['shared', row.shared],
    ] as const
  )
    .filter(([, amount]) => !new Money(amount).isZero())
    .map(([kind, amount]) => ({
      costCenter: row.costCenter,
      kind,
      rule: null,
      attribution: null,
      amount,
    }));
}

/**
 * The statement lines of a month (one cost center's with `costCenter`): the chargeback of
 * the month (frozen rows when it is closed), each cost center's cost by rule and attribution
 * (the drill-down of every cost center in one computation, `chargebackLines`, or of the one
 * asked for, `chargebackDetail`; `detail` false skips it), its true-up, the prior-period
 * adjustments booked in the month and, for the whole month, unallocated cost.
 * Every cost center with cost, and every active one, gets a statement.
 */
export async function statementSource(
  allocation: StatementApi,
  range: MonthRange,
  currency: string,
  costCenter: string | null,
  detail = true,
): Promise<{ source: StatementSource; report: ChargebackReportValue }> {
  const { from, to } = range;
  const [report, stored] = await Promise.all([
    allocation.chargeback({ from, to, currency }),
    allocation.listCostCenters({ includeInactive: true }),
  ]);
  const wanted = (code: string | null) => costCenter === null || code === costCenter;
  const hasCost = (row: ChargebackRowValue) =>
    !new Money(row.direct).isZero() || !new Money(row.shared).isZero();
  // The drill-down once, after the report (never two chargeback transactions at once): every
  // cost center's lines in one computation, or the one cost center's.
  const drillDown =
    detail && report.rows.some((row) => !row.rolledUp && wanted(row.costCenter) && hasCost(row))
      ? await (costCenter === null
          ? allocation.chargebackLines({ from, to, currency })
          : allocation.chargebackDetail(costCenter, { from, to, currency }))
      : null;
  const linesByCenter = new Map<string, ChargebackLineValue[]>();
  for (const line of drillDown ?? []) {
    const of = linesByCenter.get(line.costCenter) ?? [];
    of.push(line);
    linesByCenter.set(line.costCenter, of);
  }
  const lines: StatementLine[] = [];
  for (const row of report.rows) {
    if (row.rolledUp || !wanted(row.costCenter)) continue;
    // A closed month's drill-down splits with the rule versions its close saw: it ties out
    // to the frozen row unless usage arrived after the close (then `costLines` falls back).
    const detailOf = hasCost(row) && drillDown ? (linesByCenter.get(row.costCenter) ?? []) : null;
    lines.push(...costLines(row, detailOf));
    if (!new Money(row.trueUp).isZero()) {
      lines.push({
        costCenter: row.costCenter,
        kind: 'true-up',
        rule: null,
        attribution: null,
        amount: row.trueUp,
      });
    }
  }
  for (const adjustment of report.adjustments) {
    if (costCenter !== null && adjustment.costCenter !== costCenter) continue;
    lines.push({
      costCenter: adjustment.costCenter,
      kind: 'prior-period-adjustment',
      priorPeriod: adjustment.priorPeriod,
      rule: null,
      attribution: null,
      amount: adjustment.total,
    });
  }
  if (costCenter === null && !new Money(report.unallocated).isZero()) {
    lines.push({
      costCenter: null,
      kind: 'unallocated',
      rule: null,
      attribution: null,
      amount: report.unallocated,
    });
  }
  const withLines = new Set(lines.map((line) => line.costCenter));
  const heads: StatementCostCenter[] = stored
    .filter((entry) => wanted(entry.code) && (entry.active || withLines.has(entry.code)))
    .map((entry) => ({ code: entry.code, name: entry.name, glAccount: entry.glAccount }));
  return {
    source: {
      month: range.month,
      currency: report.currency,
      costCenters: heads,
      lines,
      includeUnallocated: costCenter === null,
    },
    report,
  };
}

/**
 * A month's journal source: each cost center's total with its prior-period adjustments,
 * unallocated cost with the unallocated adjustments, and the providers' cost from the spend
 * report. When the chargeback differs from the spend (a closed month's frozen figures,
 * adjustments), the difference is a credit without a provider, so the entry still balances.
 */
export function journalSource(
  month: string,
  report: ChargebackReportValue,
  providerSpend: readonly { provider: string; amount: string }[],
): JournalSource {
  const costCenters = new Map<
    string,
    { code: string; glAccount: string | null; amount: MoneyValue }
  >();
  const add = (code: string, glAccount: string | null, amount: string) => {
    const entry = costCenters.get(code) ?? { code, glAccount, amount: new Money(0) };
    entry.amount = entry.amount.plus(amount);
    entry.glAccount ??= glAccount;
    costCenters.set(code, entry);
  };
  for (const row of report.rows) if (!row.rolledUp) add(row.costCenter, row.glAccount, row.total);
  let unallocated = new Money(report.unallocated);
  for (const adjustment of report.adjustments) {
    if (adjustment.costCenter === null) unallocated = unallocated.plus(adjustment.total);
    else add(adjustment.costCenter, adjustment.glAccount, adjustment.total);
  }
  const providers: JournalSource['providers'][number][] = providerSpend.map((entry) => ({
    provider: entry.provider,
    amount: entry.amount,
  }));
  const difference = new Money(report.total).minus(sum(providerSpend.map((entry) => entry.amount)));
  if (!difference.isZero()) providers.push({ provider: null, amount: difference });
  return {
    month,
    currency: report.currency,
    costCenters: [...costCenters.values()],
    unallocated,
    providers,
  };
}

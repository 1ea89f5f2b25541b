import { formatDecimal, Money, type MoneyValue } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import type { MonthRange } from '../allocation/chargeback-csv-source';
import type { AllocationApi } from '../allocation/allocation-types';
import type { ReconciliationService } from '../billing/reconciliation.service';
import type { UnitEconomicsService } from '../metrics/unit-economics.service';
import type { SpendService } from '../usage/spend.service';
import { MonthlyReportReads } from './monthly-report-reads';
import type {
  CostCenterSpend,
  DailySpend,
  FeatureSpend,
  MonthlyReportData,
  MonthTotal,
  ProviderVariance,
  UnitCost,
  WasteCategory,
  WasteFindingsSource,
} from './monthly-report-types';

/** Months before the report's month whose totals make the trend. */
export const TREND_MONTHS = 6;
/** The currency of the report: the providers bill (and reconciliation runs) in US dollars. */
export const REPORT_CURRENCY = 'USD';

const DAY_MS = 86_400_000;

/** What the report reads from the other domains' services. */
export interface MonthlyReportDependencies {
  dataSource: DataSource;
  spend: Pick<SpendService, 'report'>;
  allocation: Pick<AllocationApi, 'chargeback'>;
  reconciliation: Pick<ReconciliationService, 'report'>;
  unitEconomics: Pick<UnitEconomicsService, 'unitEconomics'>;
}

/** `[from, to)` of the month `months` before the range's month (UTC). */
function monthsBefore(range: MonthRange, months: number): MonthRange {
  const from = new Date(
    Date.UTC(range.from.getUTCFullYear(), range.from.getUTCMonth() - months, 1),
  );
  const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  return { month: from.toISOString().slice(0, 7), from, to };
}

const byCostThenName = <T extends { cost: string }>(name: (row: T) => string | null) => {
  return (left: T, right: T) =>
    new Money(right.cost).comparedTo(left.cost) ||
    (name(left) === null ? 1 : 0) - (name(right) === null ? 1 : 0) ||
    (name(left) ?? '').localeCompare(name(right) ?? '');
};

/**
 * Gathers the monthly report (ARCHITECTURE.md "Insights and console"): spend trend, top
 * cost centers and features, variance against the provider bills, waste found, unit
 * economics and budget outcomes, for one UTC calendar month, in {@link REPORT_CURRENCY}.
 * Every figure is the owning service's answer for the same range, so the report ties out to
 * `spend`, `chargeback`, `reconciliation` and `unitEconomics`.
 */
export class MonthlyReportService {
  /** Filled by the assembly when the insights domain gives waste findings. */
  waste: WasteFindingsSource | null = null;
  private readonly reads: MonthlyReportReads;

  constructor(private readonly dependencies: MonthlyReportDependencies) {
    this.reads = new MonthlyReportReads(dependencies.dataSource);
  }

  async monthly(range: MonthRange): Promise<MonthlyReportData> {
    const { from, to } = range;
    const currency = REPORT_CURRENCY;
    const [trend, features, providers, chargeback, variance, waste, unitEconomics, budgets] =
      await Promise.all([
        this.trend(range),
        this.dependencies.spend.report({ from, to, groupBy: ['feature'], filter: {}, currency }),
        this.dependencies.spend.report({ from, to, groupBy: ['provider'], filter: {}, currency }),
        this.dependencies.allocation.chargeback({ from, to, currency }),
        this.variance(from, to),
        this.wasteFound(from, to),
        this.unitCosts(from, to),
        this.reads.budgetOutcomes(from, to),
      ]);
    const costCenters: CostCenterSpend[] = chargeback.rows
      .filter((row) => !row.rolledUp)
      .map((row) => ({
        code: row.costCenter,
        name: row.name,
        direct: row.direct,
        shared: row.shared,
        trueUp: row.trueUp,
        total: row.total,
      }))
      .sort(
        (left, right) =>
          new Money(right.total).comparedTo(left.total) || left.code.localeCompare(right.code),
      );
    const featureRows: FeatureSpend[] = features.rows
      .map((row) => ({
        feature: row.dimensions.feature ?? null,
        cost: row.cost,
        requests: row.requests,
      }))
      .sort(byCostThenName((row: FeatureSpend) => row.feature));
    const billed = new Set(variance.map((row) => row.provider));
    return {
      month: range.month,
      from,
      to,
      currency,
      total: trend.total,
      requests: trend.requests,
      unpricedRequests: trend.unpricedRequests,
      daily: trend.daily,
      previousMonths: trend.previousMonths,
      costCenters,
      unallocated: chargeback.unallocated,
      adjustments: chargeback.adjustmentsTotal,
      chargebackTotal: formatDecimal(
        costCenters
          .reduce((sum, row) => sum.plus(row.total), new Money(chargeback.unallocated))
          .plus(chargeback.adjustmentsTotal),
      ),
      features: featureRows,
      variance,
      unbilledProviders: providers.rows
        .map((row) => row.dimensions.provider ?? '')
        .filter((provider) => provider !== '' && !billed.has(provider))
        .sort(),
      waste,
      unitEconomics,
      budgets,
    };
  }

  /** Every day of the month (0 when nothing was spent) and the months before, in one read. */
  private async trend(range: MonthRange) {
    const first = monthsBefore(range, TREND_MONTHS);
    const report = await this.dependencies.spend.report({
      from: first.from,
      to: range.to,
      groupBy: ['day'],
      filter: {},
      currency: REPORT_CURRENCY,
    });
    const days = new Map(report.rows.map((row) => [row.dimensions.day!, row]));
    const daily: DailySpend[] = [];
    for (let at = range.from.getTime(); at < range.to.getTime(); at += DAY_MS) {
      const day = new Date(at).toISOString().slice(0, 10);
      const row = days.get(day);
      daily.push({ day, cost: row?.cost ?? '0', requests: row?.requests ?? 0 });
    }
    const previousMonths: MonthTotal[] = [];
    for (let months = TREND_MONTHS; months >= 1; months -= 1) {
      const month = monthsBefore(range, months).month;
      const total = report.rows
        .filter((row) => row.dimensions.day!.startsWith(`${month}-`))
        .reduce((sum, row) => sum.plus(row.cost), new Money(0));
      previousMonths.push({ month, total: formatDecimal(total) });
    }
    const inMonth = report.rows.filter((row) => row.dimensions.day!.startsWith(`${range.month}-`));
    return {
      daily,
      previousMonths,
      total: formatDecimal(daily.reduce((sum, row) => sum.plus(row.cost), new Money(0))),
      requests: inMonth.reduce((sum, row) => sum + row.requests, 0),
      unpricedRequests: inMonth.reduce((sum, row) => sum + row.unpricedRequests, 0),
    };
  }

  /** Reconciliation of each provider whose bill covers a day of the month. */
  private async variance(from: Date, to: Date): Promise<ProviderVariance[]> {
    const providers = await this.reads.billedProviders(from, to, REPORT_CURRENCY);
    const reports = await Promise.all(
      providers.map((provider) => this.dependencies.reconciliation.report({ provider, from, to })),
    );
    return reports.map((report, index) => {
      const statuses: Record<string, number> = {};
      for (const row of report.rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      const billed = new Money(report.billed);
      return {
        provider: providers[index],
        estimated: report.estimated,
        billed: report.billed,
        delta: report.delta,
        deltaPercent: billed.isZero()
          ? null
          : new Money(report.delta).dividedBy(billed).times(100).toDecimalPlaces(2).toFixed(2),
        statuses,
        nonTokenCharges: formatDecimal(
          report.nonTokenCharges.reduce((sum, charge) => sum.plus(charge.amount), new Money(0)),
        ),
      };
    });
  }

  /** Waste findings summed per category, most recoverable first; null without a source. */
  private async wasteFound(from: Date, to: Date): Promise<WasteCategory[] | null> {
    if (!this.waste) return null;
    const findings = await this.waste.wasteFindings(from, to);
    const categories = new Map<
      string,
      { findings: number; spend: MoneyValue; recoverable: MoneyValue }
    >();
    for (const finding of findings) {
      const entry = categories.get(finding.category) ?? {
        findings: 0,
        spend: new Money(0),
        recoverable: new Money(0),
      };
      entry.findings += 1;
      entry.spend = entry.spend.plus(finding.spend);
      entry.recoverable = entry.recoverable.plus(finding.recoverable);
      categories.set(finding.category, entry);
    }
    return [...categories.entries()]
      .map(([category, entry]) => ({
        category,
        findings: entry.findings,
        spend: formatDecimal(entry.spend),
        recoverable: formatDecimal(entry.recoverable),
      }))
      .sort(
        (left, right) =>
          new Money(right.recoverable).comparedTo(left.recoverable) ||
          left.category.localeCompare(right.category),
      );
  }

  /** AI cost per unit of each business metric recorded in the month (the whole org). */
  private async unitCosts(from: Date, to: Date): Promise<UnitCost[]> {
    const metrics = await this.reads.metricNames(from, to);
    const reports = await Promise.all(
      metrics.map((metric) =>
        this.dependencies.unitEconomics.unitEconomics({
          metric,
          from,
          to,
          groupBy: [],
          currency: REPORT_CURRENCY,
        }),
      ),
    );
    return reports.map((report, index) => {
      const row = report.rows[0];
      return {
        metric: metrics[index],
        metricCurrency: report.metricCurrency,
        value: row?.metricValue ?? '0',
        cost: row?.cost ?? '0',
        costPerUnit: row?.costPerUnit ?? null,
      };
    });
  }
}

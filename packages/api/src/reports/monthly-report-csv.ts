import { csvRecord } from '../allocation/chargeback-csv-format';
import type { MonthlyReportData } from './monthly-report-types';
import { NO_FEATURE } from './monthly-report-view';

/** The columns of the report's CSV: one measure of one item of one section per record. */
export const MONTHLY_CSV_COLUMNS = ['section', 'item', 'name', 'measure', 'value', 'unit'] as const;

/** The `value` column (index 4) is a number or amount: written as is, never quoted as text. */
const RAW = new Set([4]);

/**
 * The monthly report's data as CSV (RFC 4180, CRLF), in long form: `section, item, name,
 * measure, value, unit`, so a spreadsheet pivots it and every figure is an exact decimal
 * string. Sums tie: `daily` costs and `feature` costs each add up to `summary/total`;
 * `cost_center` totals plus `chargeback/unallocated` and `chargeback/adjustments` add up to
 * `summary/chargeback_total`. Sections: summary, daily, month, cost_center, chargeback,
 * feature, variance, unbilled_provider, waste, unit_economics, budget.
 */
export function monthlyReportCsv(data: MonthlyReportData): string {
  const out: string[] = [csvRecord(MONTHLY_CSV_COLUMNS)];
  const money = data.currency;
  const add = (
    section: string,
    item: string | null,
    name: string | null,
    measure: string,
    value: string | number | null,
    unit: string | null,
  ) => {
    out.push(
      csvRecord([section, item, name, measure, value === null ? null : String(value), unit], RAW),
    );
  };
  add('summary', data.month, null, 'total', data.total, money);
  add('summary', data.month, null, 'requests', data.requests, 'requests');
  add('summary', data.month, null, 'unpriced_requests', data.unpricedRequests, 'requests');
  add('summary', data.month, null, 'chargeback_total', data.chargebackTotal, money);
  for (const day of data.daily) {
    add('daily', day.day, null, 'cost', day.cost, money);
    add('daily', day.day, null, 'requests', day.requests, 'requests');
  }
  for (const month of data.previousMonths)
    add('month', month.month, null, 'total', month.total, money);
  add('month', data.month, null, 'total', data.total, money);
  for (const center of data.costCenters) {
    add('cost_center', center.code, center.name, 'direct', center.direct, money);
    add('cost_center', center.code, center.name, 'shared', center.shared, money);
    add('cost_center', center.code, center.name, 'true_up', center.trueUp, money);
    add('cost_center', center.code, center.name, 'total', center.total, money);
  }
  add('chargeback', 'unallocated', null, 'total', data.unallocated, money);
  add('chargeback', 'adjustments', null, 'total', data.adjustments, money);
  for (const feature of data.features) {
    const name = feature.feature === null ? NO_FEATURE : null;
    add('feature', feature.feature, name, 'cost', feature.cost, money);
    add('feature', feature.feature, name, 'requests', feature.requests, 'requests');
  }
  for (const provider of data.variance) {
    add('variance', provider.provider, null, 'estimated', provider.estimated, money);
    add('variance', provider.provider, null, 'billed', provider.billed, money);
    add('variance', provider.provider, null, 'delta', provider.delta, money);
    add('variance', provider.provider, null, 'delta_percent', provider.deltaPercent, 'percent');
    add('variance', provider.provider, null, 'non_token_charges', provider.nonTokenCharges, money);
    for (const [status, count] of Object.entries(provider.statuses).sort()) {
      add('variance', provider.provider, null, `rows_${status.toLowerCase()}`, count, 'rows');
    }
  }
  for (const provider of data.unbilledProviders) {
    add('unbilled_provider', provider, null, 'bill', null, null);
  }
  if (data.waste === null) add('waste', null, 'no waste source configured', 'findings', null, null);
  for (const category of data.waste ?? []) {
    add('waste', category.category, null, 'findings', category.findings, 'findings');
    add('waste', category.category, null, 'spend', category.spend, money);
    add('waste', category.category, null, 'recoverable', category.recoverable, money);
  }
  for (const unit of data.unitEconomics) {
    add('unit_economics', unit.metric, null, 'value', unit.value, unit.metricCurrency);
    add('unit_economics', unit.metric, null, 'cost', unit.cost, money);
    add('unit_economics', unit.metric, null, 'cost_per_unit', unit.costPerUnit, money);
  }
  for (const budget of data.budgets) {
    add('budget', budget.id, budget.name, 'limit', budget.limit, budget.currency);
    add('budget', budget.id, budget.name, 'spent', budget.spent, budget.currency);
    add('budget', budget.id, budget.name, 'peak', budget.peak, budget.currency);
    add('budget', budget.id, budget.name, 'peak_percent', budget.peakPercent, 'percent');
    add('budget', budget.id, budget.name, 'windows', budget.windows, budget.period);
    add('budget', budget.id, budget.name, 'over_limit', budget.overLimit, 'windows');
    add('budget', budget.id, budget.name, 'alerts', budget.alerts.join(';') || null, 'thresholds');
  }
  return out.join('');
}

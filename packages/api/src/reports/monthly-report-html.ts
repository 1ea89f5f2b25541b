import { Money, type MoneyValue } from '@purser/pricing';
import type { MonthlyReportData } from './monthly-report-types';
import {
  displayCount,
  displayMoney,
  displayShare,
  displayThreshold,
  monthOverMonth,
  monthTitle,
  NO_FEATURE,
  topCostCenters,
  topFeatures,
} from './monthly-report-view';

/** Text as HTML: the five characters that could open markup or end an attribute, escaped. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d5dae3;padding-bottom:.25rem}
.lede{color:#4a5568;margin:0 0 1rem}.kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{border:1px solid #d5dae3;border-radius:6px;padding:.5rem .75rem;min-width:10rem}.kpi b{display:block;font-size:1.25rem}
table{border-collapse:collapse;width:100%;margin:.25rem 0}th,td{padding:.3rem .5rem;border-bottom:1px solid #e8ebf0;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.b{width:35%}.bar{display:inline-block;height:.6rem;background:#3867d6;vertical-align:middle}.note{color:#4a5568;font-size:.9rem}
.over{color:#a61b1b;font-weight:600}@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}`;

type Cell = { text: string; numeric?: boolean; html?: string; className?: string };
const cell = (text: string, numeric = false): Cell => ({ text, numeric });

function table(headers: Cell[], rows: Cell[][], caption?: string): string {
  const th = headers
    .map(
      (header) =>
        `<th scope="col"${header.numeric ? ' class="n"' : ''}>${escapeHtml(header.text)}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((value) => {
            const classes = [value.numeric ? 'n' : '', value.className ?? ''].filter(Boolean);
            const attribute = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
            return `<td${attribute}>${value.html ?? escapeHtml(value.text)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table>${caption ? `<caption class="note">${escapeHtml(caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A bar whose width is the amount's share of the largest (layout only: never a figure). */
function bar(amount: string, largest: MoneyValue): string {
  const value = new Money(amount);
  if (largest.isZero() || !value.isPositive() || value.isZero()) return '';
  // A day with spend shows, however small against the largest.
  const width = Money.max(value.dividedBy(largest).times(100), '0.5').toDecimalPlaces(1).toFixed(1);
  return `<span class="bar" style="width:${width}%" aria-hidden="true"></span>`;
}

function trendSection(data: MonthlyReportData): string {
  const largest = data.daily.reduce(
    (max, day) => Money.max(max, new Money(day.cost)),
    new Money(0),
  );
  const months = [...data.previousMonths, { month: data.month, total: data.total }];
  const largestMonth = months.reduce(
    (max, row) => Money.max(max, new Money(row.total)),
    new Money(0),
  );
  return `<h2>Spend trend</h2>
${table(
  [cell('Month'), cell(`Total (${data.currency})`, true), cell('')],
  months.map((row) => [
    cell(monthTitle(row.month)),
    cell(displayMoney(row.total), true),
    { text: '', html: bar(row.total, largestMonth), className: 'b' },
  ]),
)}
<h2>Daily spend</h2>
${table(
  [cell('Day'), cell(`Spend (${data.currency})`, true), cell('Requests', true), cell('')],
  data.daily.map((day) => [
    cell(day.day),
    cell(displayMoney(day.cost), true),
    cell(displayCount(day.requests), true),
    { text: '', html: bar(day.cost, largest), className: 'b' },
  ]),
)}`;
}

function costCenterSection(data: MonthlyReportData): string {
  const rows = topCostCenters(data);
  const money = (value: string) => cell(value === '' ? '' : displayMoney(value), true);
  return `<h2>Top cost centers</h2>
${table(
  [
    cell('Code'),
    cell('Cost center'),
    cell('Direct', true),
    cell('Shared', true),
    cell('True-up', true),
    cell(`Total (${data.currency})`, true),
    cell('Share', true),
  ],
  [
    ...rows.map((row) => [
      cell(row.code),
      cell(row.name),
      money(row.direct),
      money(row.shared),
      money(row.trueUp),
      money(row.total),
      cell(displayShare(row.total, data.chargebackTotal), true),
    ]),
    [
      cell(''),
      cell('Unallocated'),
      cell(''),
      cell(''),
      cell(''),
      money(data.unallocated),
      cell(displayShare(data.unallocated, data.chargebackTotal), true),
    ],
    [
      cell(''),
      cell('Prior-period adjustments'),
      cell(''),
      cell(''),
      cell(''),
      money(data.adjustments),
      cell(''),
    ],
    [
      cell(''),
      cell('Chargeback total'),
      cell(''),
      cell(''),
      cell(''),
      money(data.chargebackTotal),
      cell(''),
    ],
  ],
)}`;
}

function featureSection(data: MonthlyReportData): string {
  const rows = topFeatures(data);
  return `<h2>Top features</h2>
${table(
  [
    cell('Feature'),
    cell(`Spend (${data.currency})`, true),
    cell('Requests', true),
    cell('Share', true),
  ],
  rows.map((row) => [
    cell(row.feature ?? NO_FEATURE),
    cell(displayMoney(row.cost), true),
    cell(row.requests < 0 ? '' : displayCount(row.requests), true),
    cell(displayShare(row.cost, data.total), true),
  ]),
)}`;
}

function varianceSection(data: MonthlyReportData): string {
  const unbilled =
    data.unbilledProviders.length > 0
      ? `<p class="note">No bill imported for: ${escapeHtml(data.unbilledProviders.join(', '))}.</p>`
      : '';
  if (data.variance.length === 0) {
    return `<h2>Variance against provider bills</h2><p class="note">No provider bill covers this month.</p>${unbilled}`;
  }
  return `<h2>Variance against provider bills</h2>
${table(
  [
    cell('Provider'),
    cell('Purser estimate', true),
    cell('Billed', true),
    cell('Delta', true),
    cell('Delta %', true),
    cell('Rows by status'),
  ],
  data.variance.map((row) => [
    cell(row.provider),
    cell(displayMoney(row.estimated), true),
    cell(displayMoney(row.billed), true),
    cell(displayMoney(row.delta), true),
    cell(row.deltaPercent === null ? '–' : `${row.deltaPercent} %`, true),
    cell(
      Object.entries(row.statuses)
        .sort()
        .map(([status, count]) => `${status} ${count}`)
        .join(', '),
    ),
  ]),
  'Tokens only: billed fees and other non-token charges are listed in the CSV.',
)}${unbilled}`;
}

function wasteSection(data: MonthlyReportData): string {
  if (data.waste === null)
    return `<h2>Waste found</h2><p class="note">No waste analysis is configured.</p>`;
  if (data.waste.length === 0)
    return `<h2>Waste found</h2><p class="note">No waste found this month.</p>`;
  return `<h2>Waste found</h2>
${table(
  [
    cell('Category'),
    cell('Findings', true),
    cell('Spend concerned', true),
    cell('Recoverable', true),
  ],
  data.waste.map((row) => [
    cell(row.category),
    cell(displayCount(row.findings), true),
    cell(displayMoney(row.spend), true),
    cell(displayMoney(row.recoverable), true),
  ]),
)}`;
}

function unitSection(data: MonthlyReportData): string {
  if (data.unitEconomics.length === 0) {
    return `<h2>Unit economics</h2><p class="note">No business metric was recorded this month.</p>`;
  }
  return `<h2>Unit economics</h2>
${table(
  [
    cell('Metric'),
    cell('Value', true),
    cell(`AI cost (${data.currency})`, true),
    cell('Cost per unit', true),
  ],
  data.unitEconomics.map((row) => [
    cell(row.metric),
    cell(`${row.value}${row.metricCurrency ? ` ${row.metricCurrency}` : ''}`, true),
    cell(displayMoney(row.cost), true),
    cell(row.costPerUnit === null ? '–' : row.costPerUnit, true),
  ]),
)}`;
}

function budgetSection(data: MonthlyReportData): string {
  if (data.budgets.length === 0) return `<h2>Budget outcomes</h2><p class="note">No budget.</p>`;
  return `<h2>Budget outcomes</h2>
${table(
  [
    cell('Budget'),
    cell('Period'),
    cell('Limit', true),
    cell('Spent', true),
    cell('Peak window', true),
    cell('Over limit', true),
    cell('Alerts crossed'),
  ],
  data.budgets.map((row) => [
    cell(row.name),
    cell(row.period),
    cell(`${displayMoney(row.limit)} ${row.currency}`, true),
    cell(displayMoney(row.spent), true),
    cell(
      `${displayMoney(row.peak)}${row.peakPercent === null ? '' : ` (${row.peakPercent} %)`}`,
      true,
    ),
    {
      text: `${row.overLimit} of ${row.windows}`,
      numeric: true,
      className: row.overLimit > 0 ? 'over' : '',
    },
    cell(row.alerts.map(displayThreshold).join(', ') || 'none'),
  ]),
  'Spent and peak are over the budget windows that overlap the month.',
)}`;
}

/**
 * The monthly report as one self-contained HTML page: inline CSS, no script, no external
 * resource; every text from the data escaped.
 */
export function monthlyReportHtml(data: MonthlyReportData): string {
  const title = `Purser monthly report: ${monthTitle(data.month)}`;
  const change = monthOverMonth(data);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="lede">${escapeHtml(`${data.from.toISOString().slice(0, 10)} to ${data.to.toISOString().slice(0, 10)} (UTC, end excluded), in ${data.currency}.`)}</p>
<div class="kpis">
<div class="kpi">Total spend<b>${escapeHtml(displayMoney(data.total))} ${escapeHtml(data.currency)}</b></div>
<div class="kpi">Requests<b>${escapeHtml(displayCount(data.requests))}</b></div>
<div class="kpi">Against last month<b>${escapeHtml(change ?? '–')}</b></div>
<div class="kpi">Unpriced requests<b>${escapeHtml(displayCount(data.unpricedRequests))}</b></div>
</div>
${trendSection(data)}
${costCenterSection(data)}
${featureSection(data)}
${varianceSection(data)}
${wasteSection(data)}
${unitSection(data)}
${budgetSection(data)}
</main>
</body>
</html>
`;
}

import { useState } from 'preact/hooks';
import { ChartView, PALETTE } from '../components/chart';
import { type Column, DataTable, decimalColumn } from '../components/data-table';
import { lastDays, type Range, RangePicker } from '../components/range-picker';
import { ForecastCard } from '../components/forecast';
import { ErrorMessage, Loading } from '../components/status';
import { Summary } from '../components/summary';
import { graphql } from '../gql';
import type { SpendDimension } from '../gql/graphql';
import { formatMoney } from '../lib/format';
import type { PageProps } from '../lib/page';
import {
  daysBetween,
  type Series,
  STACK_DIMENSIONS,
  type StackDimension,
  stackSpend,
} from '../lib/spend-series';
import { useQuery } from '../lib/use-query';

const OverviewSpend = graphql(`
  query OverviewSpend($from: DateTime!, $to: DateTime!, $groupBy: [SpendDimension!]) {
    spend(from: $from, to: $to, groupBy: $groupBy) {
      currency
      total
      requests
      unpricedRequests
      rows {
        cost
        dimensions
      }
    }
  }
`);

const LABELS: Record<StackDimension, string> = {
  team: 'Team',
  feature: 'Feature',
  model: 'Model',
  provider: 'Provider',
  project: 'Project',
  environment: 'Environment',
  customer: 'Customer',
  user: 'User',
  agent: 'Agent',
};

/** Spend over time, stacked by a chosen dimension, and the month's forecast for the organisation. */
export function OverviewPage({ run }: PageProps) {
  const [range, setRange] = useState<Range>(() => lastDays(30));
  const [dimension, setDimension] = useState<StackDimension>('team');
  const spend = useQuery(run, OverviewSpend, {
    from: range.from,
    to: range.to,
    groupBy: ['DAY', dimension.toUpperCase() as SpendDimension],
  });
  const report = spend.data?.spend;
  const stacked = report
    ? stackSpend(report.rows, dimension, daysBetween(range.from, range.to))
    : null;
  const columns: Column<Series>[] = [
    { id: 'name', header: LABELS[dimension], value: (row) => row.name },
    decimalColumn(
      'total',
      'Spend',
      (row) => row.total,
      (total) => formatMoney(total, report?.currency),
    ),
  ];
  return (
    <section aria-labelledby="overview-chart">
      <div class="controls">
        <RangePicker value={range} onChange={setRange} />
        <label>
          Stack by
          <select
            value={dimension}
            onChange={(event) => setDimension(event.currentTarget.value as StackDimension)}
          >
            {STACK_DIMENSIONS.map((item) => (
              <option key={item} value={item}>
                {LABELS[item]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {spend.error && <ErrorMessage error={spend.error} />}
      {spend.loading && !report && <Loading what="spend" />}
      {report && stacked && (
        <>
          <Summary
            items={[
              {
                label: 'Spend in the period',
                value: formatMoney(report.total, report.currency),
                testId: 'spend-total',
              },
              { label: 'Requests', value: report.requests.toLocaleString('en-US') },
              {
                label: 'Requests without a price',
                value: report.unpricedRequests.toLocaleString('en-US'),
              },
            ]}
          >
            <ForecastCard run={run} scope={{ org: true }} />
          </Summary>
          <h2 id="overview-chart">Spend per day by {LABELS[dimension].toLowerCase()}</h2>
          <ChartView
            type="bar"
            stacked
            label={`Spend per day in ${report.currency}, stacked by ${dimension}`}
            labels={stacked.days}
            series={{ dimension, currency: report.currency, ...stacked }}
            datasets={stacked.series.map((series, index) => ({
              label: series.name,
              data: series.values.map(Number),
              backgroundColor: PALETTE[index % PALETTE.length],
            }))}
          />
          <DataTable
            caption={`Spend by ${LABELS[dimension].toLowerCase()}`}
            columns={columns}
            rows={stacked.series}
            initialSort={[{ id: 'total', desc: true }]}
            rowKey={(row) => row.name}
            testId="overview-table"
          />
        </>
      )}
    </section>
  );
}

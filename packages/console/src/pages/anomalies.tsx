import { useState } from 'preact/hooks';
import { ChartView, PALETTE } from '../components/chart';
import { CurrencyInput } from '../components/currency-input';
import {
  type Column,
  DataTable,
  decimalColumn,
  instantColumn,
  pickColumn,
} from '../components/data-table';
import { lastDays, type Range, RangePicker } from '../components/range-picker';
import { ErrorMessage, Loading, QueryResult, StatusBadge } from '../components/status';
import { graphql } from '../gql';
import type { AnomaliesQuery } from '../gql/graphql';
import {
  type AnomalyLike,
  dayOfHour,
  excess,
  locate,
  type Located,
  seriesDay,
  seriesText,
} from '../lib/anomalies';
import { formatMoney } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';

const Anomalies = graphql(`
  query Anomalies($from: DateTime!, $to: DateTime!, $currency: String!) {
    anomalies(from: $from, to: $to, currency: $currency) {
      dimensions
      expected
      observed
      score
    }
  }
`);

const SeriesHours = graphql(`
  query AnomalySeriesHours(
    $from: DateTime!
    $to: DateTime!
    $currency: String!
    $filter: SpendFilter
  ) {
    spend(from: $from, to: $to, currency: $currency, filter: $filter, groupBy: [HOUR]) {
      rows {
        dimensions
        cost
      }
    }
  }
`);

type Anomaly = AnomaliesQuery['anomalies'][number] & Located & { key: string };

/** One flagged series' spend per hour on the anomaly's UTC day, against its expected spend. */
function SeriesChart({
  run,
  anomaly,
  anomalies,
  currency,
}: Pick<PageProps, 'run'> & { anomaly: Anomaly; anomalies: AnomalyLike[]; currency: string }) {
  const { series, hour } = anomaly;
  const filterable = (series.dimension === 'feature' || series.dimension === 'team') && series.name;
  const day = dayOfHour(hour ?? new Date(0).toISOString());
  const spend = useQuery(
    run,
    SeriesHours,
    {
      from: day.from,
      to: day.to,
      currency,
      filter: filterable ? { [series.dimension]: series.name } : null,
    },
    !filterable || !hour,
  );
  const title = `Spend per hour of ${seriesText(series)} on ${day.from.slice(0, 10)} (UTC)`;
  if (!filterable || !hour) {
    return (
      <p class="note">
        No chart for {seriesText(series)}: spend that names no {series.dimension} cannot be filtered
        on.
      </p>
    );
  }
  if (spend.error) return <ErrorMessage error={spend.error} />;
  if (!spend.data) return <Loading what="the series" />;
  const drawn = seriesDay(series, hour, spend.data.spend.rows, anomalies);
  const flagged = drawn.flagged.map((item) => {
    const index = drawn.hours.indexOf(item);
    return `${item.slice(11, 16)} (expected ${formatMoney(drawn.expected[index], currency)}, observed ${formatMoney(drawn.observed[index], currency)})`;
  });
  return (
    <figure class="series-chart" data-testid="anomaly-chart">
      <figcaption>
        {title}. <span data-testid="anomaly-flagged">Flagged: {flagged.join('; ')}</span>; the
        flagged bars are orange and the expected spend a cross.
      </figcaption>
      <ChartView
        type="bar"
        label={`${title}: bars are the spend per hour; flagged ${flagged.join('; ')}`}
        labels={drawn.hours.map((item) => item.slice(11, 16))}
        datasets={[
          {
            type: 'bar',
            label: `Observed (${currency})`,
            data: drawn.observed.map(Number),
            backgroundColor: drawn.hours.map((item) =>
              drawn.flagged.includes(item) ? PALETTE[5] : PALETTE[0],
            ),
          },
          {
            type: 'line',
            label: `Expected at the flagged hours (${currency})`,
            data: drawn.expected.map((value) => (value === null ? null : Number(value))),
            borderColor: PALETTE[7],
            backgroundColor: PALETTE[7],
            showLine: false,
            pointStyle: 'crossRot',
            pointRadius: 8,
            pointBorderWidth: 3,
          },
        ]}
        series={{ currency, ...drawn }}
      />
    </figure>
  );
}

/** Hours whose spend per feature or team is far above its own baseline, in a range. */
export function AnomaliesPage({ run }: PageProps) {
  const [range, setRange] = useState<Range>(() => lastDays(7));
  const [currency, setCurrency] = useState('USD');
  const [chosen, setChosen] = useState<string | null>(null);
  const [by, setBy] = useState('');
  const answer = useQuery(run, Anomalies, { ...range, currency });
  const rows: Anomaly[] = (answer.data?.anomalies ?? []).map((item) => {
    const located = locate(item.dimensions);
    return {
      ...item,
      ...located,
      key: `${located.series.dimension}/${located.series.name ?? ''}/${located.hour ?? ''}`,
    };
  });
  const shown = by ? rows.filter((row) => row.series.dimension === by) : rows;
  const money = (value: string) => formatMoney(value, currency);
  const selected =
    shown.find((row) => row.key === chosen) ??
    [...shown].sort((a, b) => b.score - a.score || a.key.localeCompare(b.key))[0];
  const columns: Column<Anomaly>[] = [
    instantColumn('hour', 'Hour (UTC)', (row) => row.hour),
    { id: 'by', header: 'Series', value: (row) => row.series.dimension },
    { id: 'name', header: 'Name', value: (row) => row.series.name ?? '(none named)' },
    decimalColumn('expected', 'Expected', (row) => row.expected, money),
    decimalColumn('observed', 'Observed', (row) => row.observed, money),
    decimalColumn('excess', 'Excess', excess, (amount) => (
      <StatusBadge tone="bad" icon="▲">
        {money(amount)}
      </StatusBadge>
    )),
    {
      id: 'score',
      header: 'Score',
      kind: 'decimal',
      value: (row) => String(row.score),
      render: (row) => row.score.toFixed(2),
    },
    pickColumn('show', 'Chart', {
      label: 'Show',
      name: (row) => (
        <>
          {seriesText(row.series)} at {row.hour}
        </>
      ),
      pressed: (row) => selected?.key === row.key,
      pick: (row) => setChosen(row.key),
    }),
  ];
  return (
    <>
      <div class="controls">
        <RangePicker value={range} onChange={setRange} />
        <CurrencyInput value={currency} onChange={setCurrency} />
        <label>
          Series
          <select value={by} onChange={(event) => setBy(event.currentTarget.value)}>
            <option value="">features and teams</option>
            <option value="feature">features</option>
            <option value="team">teams</option>
          </select>
        </label>
        <span class="note">
          At most 31 days. Score ≥ 4 and an excess of 5 or more flag an hour.
        </span>
      </div>
      <QueryResult query={answer} what="anomalies">
        {(data) => (
          <>
            <DataTable
              caption="Anomalous hours per feature and team, by hour"
              columns={columns}
              rows={shown}
              rowKey={(row) => row.key}
              testId="anomalies-table"
              empty="No anomalies in the period."
            />
            {selected && (
              <SeriesChart
                key={selected.key}
                run={run}
                anomaly={selected}
                anomalies={data.anomalies}
                currency={currency}
              />
            )}
          </>
        )}
      </QueryResult>
    </>
  );
}

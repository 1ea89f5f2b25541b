import { useState } from 'preact/hooks';
import { type Column, DataTable, decimalColumn, pickColumn } from '../components/data-table';
import { ErrorMessage, Loading } from '../components/status';
import { Summary } from '../components/summary';
import { graphql } from '../gql';
import type { ChargebackDetailQuery, ChargebackQuery } from '../gql/graphql';
import { downloadWithKey } from '../lib/download';
import { formatMoney, formatScope, monthRange, utcMonth } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';

const Chargeback = graphql(`
  query Chargeback($from: DateTime!, $to: DateTime!) {
    chargeback(from: $from, to: $to) {
      currency
      total
      unallocated
      adjustmentsTotal
      frozenMonths
      rows {
        costCenter
        name
        level
        direct
        shared
        trueUp
        total
      }
    }
  }
`);

const ChargebackDetail = graphql(`
  query ChargebackDetail($costCenter: String!, $from: DateTime!, $to: DateTime!) {
    chargebackDetail(costCenter: $costCenter, from: $from, to: $to) {
      costCenter
      kind
      amount
      ruleName
      method
      dimensions
    }
  }
`);

type Row = ChargebackQuery['chargeback']['rows'][number];
type Line = ChargebackDetailQuery['chargebackDetail'][number];

function Detail({
  run,
  costCenter,
  range,
  currency,
}: Pick<PageProps, 'run'> & {
  costCenter: string;
  range: { from: string; to: string };
  currency: string;
}) {
  const detail = useQuery(run, ChargebackDetail, { costCenter, ...range });
  if (detail.error) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return <Loading what={`the lines of ${costCenter}`} />;
  const columns: Column<Line>[] = [
    { id: 'kind', header: 'Kind', value: (row) => row.kind.toLowerCase() },
    { id: 'rule', header: 'Rule', value: (row) => row.ruleName ?? '—' },
    { id: 'method', header: 'Method', value: (row) => row.method?.toLowerCase() ?? '—' },
    { id: 'dimensions', header: 'Usage', value: (row) => formatScope(row.dimensions) },
    decimalColumn(
      'amount',
      'Amount',
      (row) => row.amount,
      (amount) => formatMoney(amount, currency),
    ),
  ];
  return (
    <DataTable
      caption={`What brought ${costCenter} its cost`}
      columns={columns}
      rows={detail.data.chargebackDetail}
      initialSort={[{ id: 'amount', desc: true }]}
      testId="chargeback-detail"
      empty="No lines."
    />
  );
}

/** Cost per cost center for a month, a drill-down, and the month's statements as CSV. */
export function ChargebackPage({ run, apiKey }: PageProps) {
  const [month, setMonth] = useState(() => utcMonth(new Date()));
  const [selected, setSelected] = useState<string | null>(null);
  const [download, setDownload] = useState<{ error: boolean; text: string } | null>(null);
  const range = monthRange(month);
  const report = useQuery(run, Chargeback, range ?? { from: '', to: '' }, !range);
  const data = report.data?.chargeback;
  const money = (value: string) => formatMoney(value, data?.currency);
  const columns: Column<Row>[] = [
    { id: 'costCenter', header: 'Cost center', value: (row) => row.costCenter },
    { id: 'name', header: 'Name', value: (row) => row.name },
    decimalColumn('direct', 'Direct', (row) => row.direct, money),
    decimalColumn('shared', 'Shared', (row) => row.shared, money),
    decimalColumn('trueUp', 'True-up', (row) => row.trueUp, money),
    decimalColumn('total', 'Total', (row) => row.total, money),
    pickColumn('detail', 'Lines', {
      label: 'Drill down',
      name: (row) => `into ${row.costCenter}`,
      pressed: (row) => selected === row.costCenter,
      pick: (row) => setSelected(row.costCenter),
    }),
  ];
  const downloadCsv = async () => {
    setDownload(null);
    try {
      const name = await downloadWithKey(
        apiKey,
        `/v1/exports/chargeback?month=${encodeURIComponent(month)}`,
        `chargeback-${month}.csv`,
      );
      setDownload({ error: false, text: `Downloaded ${name}.` });
    } catch (failure) {
      setDownload({
        error: true,
        text: failure instanceof Error ? failure.message : String(failure),
      });
    }
  };
  return (
    <>
      <div class="controls">
        <label>
          Month
          <input
            type="month"
            value={month}
            onChange={(event) => {
              setMonth(event.currentTarget.value);
              setSelected(null);
            }}
          />
        </label>
        <button type="button" onClick={downloadCsv} disabled={!range}>
          Download CSV
        </button>
        {download && (
          <span
            role={download.error ? 'alert' : 'status'}
            class={download.error ? 'error' : 'note'}
          >
            {download.text}
          </span>
        )}
      </div>
      {!range && <ErrorMessage error="Pick a month (YYYY-MM)." />}
      {report.error && <ErrorMessage error={report.error} />}
      {range && !data && !report.error && <Loading what="the chargeback" />}
      {data && range && (
        <>
          <Summary
            items={[
              { label: 'Total', value: money(data.total), testId: 'chargeback-total' },
              { label: 'Unallocated', value: money(data.unallocated) },
              { label: 'Adjustments', value: money(data.adjustmentsTotal) },
              ...(data.frozenMonths.length > 0
                ? [{ label: 'Closed months', value: data.frozenMonths.join(', ') }]
                : []),
            ]}
          />
          <DataTable
            caption={`Chargeback for ${month} by cost center`}
            columns={columns}
            rows={data.rows}
            initialSort={[{ id: 'total', desc: true }]}
            rowKey={(row) => row.costCenter}
            testId="chargeback-table"
            empty="No cost centers."
          />
          {selected && (
            <Detail
              key={selected}
              run={run}
              costCenter={selected}
              range={range}
              currency={data.currency}
            />
          )}
        </>
      )}
    </>
  );
}

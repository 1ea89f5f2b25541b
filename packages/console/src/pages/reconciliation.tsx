import { useState } from 'preact/hooks';
import { type Column, DataTable, decimalColumn } from '../components/data-table';
import { lastDays, type Range, RangePicker } from '../components/range-picker';
import { QueryResult, StatusBadge } from '../components/status';
import { Summary } from '../components/summary';
import { graphql } from '../gql';
import type { ReconciliationQuery, ReconciliationStatus } from '../gql/graphql';
import { formatMoney, jsonText } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';

const Reconciliation = graphql(`
  query Reconciliation($provider: String!, $from: DateTime!, $to: DateTime!) {
    reconciliation(provider: $provider, from: $from, to: $to, groupBy: [DAY, MODEL]) {
      currency
      billed
      estimated
      delta
      rows {
        dimensions
        billed
        estimated
        delta
        deltaPercent
        status
        likelyCauses
      }
    }
  }
`);

type Row = ReconciliationQuery['reconciliation']['rows'][number];

/** Each status by colour, symbol and words. */
export const STATUS: Record<
  ReconciliationStatus,
  { tone: 'good' | 'warn' | 'bad' | 'info'; icon: string; text: string }
> = {
  MATCHED: { tone: 'good', icon: '✓', text: 'matched' },
  OVER: { tone: 'warn', icon: '▲', text: 'over (estimated more)' },
  UNDER: { tone: 'bad', icon: '▼', text: 'under (billed more)' },
  MISSING_INTERNAL: { tone: 'bad', icon: '?', text: 'no usage in Purser' },
  MISSING_PROVIDER: { tone: 'info', icon: '∅', text: 'not billed' },
};

const PROVIDERS = ['openai', 'anthropic', 'google', 'azure-openai', 'bedrock', 'mistral'];

/** Purser's priced usage against the provider's bill, per UTC day and model. */
export function ReconciliationPage({ run }: PageProps) {
  const [range, setRange] = useState<Range>(() => lastDays(30));
  const [provider, setProvider] = useState('openai');
  const report = useQuery(run, Reconciliation, { provider, ...range });
  const data = report.data?.reconciliation;
  const money = (value: string) => formatMoney(value, data?.currency);
  const columns: Column<Row>[] = [
    { id: 'day', header: 'Day', value: (row) => jsonText(row.dimensions.day ?? '') },
    { id: 'model', header: 'Model', value: (row) => jsonText(row.dimensions.model ?? '—') },
    decimalColumn('estimated', 'Estimated', (row) => row.estimated, money),
    decimalColumn('billed', 'Billed', (row) => row.billed, money),
    decimalColumn('delta', 'Variance', (row) => row.delta, money),
    decimalColumn(
      'deltaPercent',
      'Variance %',
      (row) => row.deltaPercent,
      (percent) => (percent ? `${Number(percent).toFixed(2)} %` : '—'),
    ),
    {
      id: 'status',
      header: 'Status',
      value: (row) => row.status,
      render: (row) => (
        <StatusBadge tone={STATUS[row.status].tone} icon={STATUS[row.status].icon}>
          {STATUS[row.status].text}
        </StatusBadge>
      ),
    },
    {
      id: 'causes',
      header: 'Likely causes',
      value: (row) => row.likelyCauses.join(', ').replace(/_/g, ' '),
    },
  ];
  return (
    <>
      <div class="controls">
        <RangePicker value={range} onChange={setRange} />
        <label>
          Provider
          <input
            list="providers"
            value={provider}
            onChange={(event) => setProvider(event.currentTarget.value.trim() || 'openai')}
          />
          <datalist id="providers">
            {PROVIDERS.map((item) => (
              <option key={item} value={item} />
            ))}
          </datalist>
        </label>
      </div>
      <QueryResult query={report} what="the reconciliation">
        {({ reconciliation }) => (
          <>
            <Summary
              items={[
                { label: 'Estimated by Purser', value: money(reconciliation.estimated) },
                { label: 'Billed', value: money(reconciliation.billed) },
                {
                  label: 'Variance',
                  value: money(reconciliation.delta),
                  testId: 'reconciliation-delta',
                },
              ]}
            />
            <DataTable
              caption={`Variance by day and model (${provider})`}
              columns={columns}
              rows={reconciliation.rows}
              initialSort={[{ id: 'day', desc: false }]}
              rowKey={(row) => `${jsonText(row.dimensions.day)}/${jsonText(row.dimensions.model)}`}
              testId="reconciliation-table"
              empty="Nothing billed or used in the period."
            />
          </>
        )}
      </QueryResult>
    </>
  );
}

import { useState } from 'preact/hooks';
import { CurrencyInput } from '../components/currency-input';
import { type Column, DataTable, decimalColumn } from '../components/data-table';
import { lastDays, type Range, RangePicker } from '../components/range-picker';
import { QueryResult, StatusBadge } from '../components/status';
import { Summary } from '../components/summary';
import { graphql } from '../gql';
import type { WasteReportQuery } from '../gql/graphql';
import { formatScope } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';
import { CATEGORIES, categoryLabel, evidenceLines, wasteMoney } from '../lib/waste';

const WasteReport = graphql(`
  query WasteReport($from: DateTime!, $to: DateTime!, $limit: Int, $currency: String) {
    wasteReport(from: $from, to: $to, limit: $limit, currency: $currency) {
      category
      scope
      spend
      recoverable
      currency
      estimate
      evidence
      fix
    }
  }
`);

type Finding = WasteReportQuery['wasteReport'][number] & { rank: number };

/** The findings asked for: the service's most, so a range is shown whole. */
const LIMIT = 500;

function Category({ finding }: { finding: Finding }) {
  const label = categoryLabel(finding.category, finding.evidence);
  return (
    <>
      <StatusBadge tone={label.tone} icon={label.icon}>
        {label.text}
      </StatusBadge>
      <div class="note">{label.meaning}</div>
    </>
  );
}

function Evidence({ finding }: { finding: Finding }) {
  const lines = evidenceLines(finding.evidence);
  if (!lines.length) return <span class="note">none</span>;
  return (
    <details>
      <summary>{lines.length} facts</summary>
      <dl class="evidence">
        {lines.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Waste findings in a range, ranked by recoverable dollars, with evidence and the fix. */
export function WastePage({ run }: PageProps) {
  const [range, setRange] = useState<Range>(() => lastDays(30));
  const [category, setCategory] = useState('');
  const [currency, setCurrency] = useState('USD');
  const report = useQuery(run, WasteReport, { ...range, limit: LIMIT, currency });
  const all: Finding[] = (report.data?.wasteReport ?? []).map((finding, index) => ({
    ...finding,
    rank: index + 1,
  }));
  const shown = category ? all.filter((finding) => finding.category === category) : all;
  const money = (value: string, row: Finding) => wasteMoney(value, row.currency);
  const columns: Column<Finding>[] = [
    { id: 'rank', header: 'Rank', value: (row) => row.rank },
    {
      id: 'category',
      header: 'Category',
      value: (row) => categoryLabel(row.category).text,
      render: (row) => <Category finding={row} />,
    },
    { id: 'scope', header: 'Scope', value: (row) => formatScope(row.scope) },
    decimalColumn('spend', 'Spend', (row) => row.spend, money),
    decimalColumn('recoverable', 'Recoverable', (row) => row.recoverable, money),
    { id: 'estimate', header: 'How it was estimated', value: (row) => row.estimate },
    {
      id: 'evidence',
      header: 'Evidence',
      sortable: false,
      value: () => null,
      render: (row) => <Evidence finding={row} />,
    },
    { id: 'fix', header: 'Fix', value: (row) => row.fix ?? '—' },
  ];
  const currencies = [...new Set(all.map((finding) => finding.currency))];
  return (
    <>
      <div class="controls">
        <RangePicker value={range} onChange={setRange} />
        <label>
          Category
          <select value={category} onChange={(event) => setCategory(event.currentTarget.value)}>
            <option value="">all</option>
            {Object.entries(CATEGORIES).map(([code, label]) => (
              <option key={code} value={code}>
                {label.text}
              </option>
            ))}
          </select>
        </label>
        <CurrencyInput value={currency} onChange={setCurrency} />
      </div>
      <QueryResult query={report} what="the waste report">
        {() => (
          <>
            <Summary
              items={[
                { label: 'Findings', value: all.length, testId: 'waste-count' },
                {
                  label: 'Largest recoverable',
                  value: all.length ? wasteMoney(all[0].recoverable, all[0].currency) : '—',
                  testId: 'waste-top',
                },
              ]}
            />
            <p class="note">
              Ranked by recoverable dollars, then spend
              {currencies.length ? ` (${currencies.join(', ')})` : ''}. Categories may overlap (a
              failed call on a premium model is in two), so the amounts are not added up.
            </p>
            <div class="waste">
              <DataTable
                caption="Waste findings, most recoverable dollars first"
                columns={columns}
                rows={shown}
                rowKey={(row) => `${row.category}/${JSON.stringify(row.scope)}/${row.rank}`}
                testId="waste-table"
                empty="No waste found in the period."
              />
            </div>
          </>
        )}
      </QueryResult>
    </>
  );
}

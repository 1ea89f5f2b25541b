import { useState } from 'preact/hooks';
import { type Column, DataTable, decimalColumn, instantColumn } from '../components/data-table';
import { QueryResult, StatusBadge } from '../components/status';
import { graphql } from '../gql';
import type { DecisionAction, DecisionsQuery } from '../gql/graphql';
import { formatMoney, formatScope } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';

const Decisions = graphql(`
  query Decisions($filter: DecisionFilter, $first: Int) {
    decisions(filter: $filter, first: $first) {
      edges {
        node {
          decisionId
          createdAt
          action
          provider
          model
          requestedModel
          estimatedCost
          attribution
          latencyMs
          reasons {
            code
            message
          }
        }
      }
    }
  }
`);

type Decision = DecisionsQuery['decisions']['edges'][number]['node'];

const ACTIONS: DecisionAction[] = ['ALLOW', 'WARN', 'DOWNGRADE', 'DENY'];
const TONES: Record<DecisionAction, ['good' | 'warn' | 'bad' | 'info', string]> = {
  ALLOW: ['good', '✓'],
  WARN: ['warn', '⚠'],
  DOWNGRADE: ['info', '↓'],
  DENY: ['bad', '✖'],
};
/** The newest decisions read; the reason filter applies to them. */
const PAGE = 200;

/** The decisions log, filtered by action (on the server) and reason code (on these rows). */
export function DecisionsPage({ run }: PageProps) {
  const [action, setAction] = useState<DecisionAction | ''>('');
  const [reason, setReason] = useState('');
  const decisions = useQuery(run, Decisions, { filter: action ? { action } : null, first: PAGE });
  const nodes = decisions.data?.decisions.edges.map((edge) => edge.node) ?? [];
  const codes = [...new Set(nodes.flatMap((node) => node.reasons.map((item) => item.code)))].sort();
  const shown = reason
    ? nodes.filter((node) => node.reasons.some((item) => item.code === reason))
    : nodes;
  const columns: Column<Decision>[] = [
    instantColumn('createdAt', 'When', (row) => row.createdAt),
    {
      id: 'action',
      header: 'Action',
      value: (row) => row.action,
      render: (row) => (
        <StatusBadge tone={TONES[row.action][0]} icon={TONES[row.action][1]}>
          {row.action.toLowerCase()}
        </StatusBadge>
      ),
    },
    {
      id: 'model',
      header: 'Model',
      value: (row) =>
        row.model === row.requestedModel
          ? `${row.provider}/${row.model}`
          : `${row.provider}/${row.requestedModel} → ${row.model}`,
    },
    { id: 'attribution', header: 'Attribution', value: (row) => formatScope(row.attribution) },
    {
      id: 'reasons',
      header: 'Reasons',
      value: (row) => row.reasons.map((item) => item.code).join(', '),
      render: (row) =>
        row.reasons.map((item) => (
          <div key={item.code} title={item.message}>
            {item.code}
          </div>
        )),
    },
    decimalColumn(
      'estimatedCost',
      'Worst case',
      (row) => row.estimatedCost,
      (cost) => formatMoney(cost),
    ),
  ];
  return (
    <>
      <div class="controls">
        <label>
          Action
          <select
            value={action}
            onChange={(event) => {
              setAction(event.currentTarget.value as DecisionAction | '');
              setReason('');
            }}
          >
            <option value="">all</option>
            {ACTIONS.map((item) => (
              <option key={item} value={item}>
                {item.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <select value={reason} onChange={(event) => setReason(event.currentTarget.value)}>
            <option value="">all</option>
            {codes.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </label>
        <span class="note">
          The newest {PAGE} decisions{action ? ` with action ${action.toLowerCase()}` : ''}.
        </span>
      </div>
      <QueryResult query={decisions} what="decisions">
        {() => (
          <DataTable
            caption="Decisions, newest first"
            columns={columns}
            rows={shown}
            rowKey={(row) => row.decisionId}
            testId="decisions-table"
            empty="No decisions match."
          />
        )}
      </QueryResult>
    </>
  );
}

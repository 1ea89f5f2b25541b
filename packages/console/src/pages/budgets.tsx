import { useState } from 'preact/hooks';
import { ChartView, PALETTE } from '../components/chart';
import { PeriodForecast } from '../components/forecast';
import {
  type Column,
  DataTable,
  decimalColumn,
  instantColumn,
  pickColumn,
} from '../components/data-table';
import { ErrorMessage, Loading, StatusBadge } from '../components/status';
import { graphql } from '../gql';
import type { BudgetsQuery } from '../gql/graphql';
import { burnDown, scopeToFilter } from '../lib/burn-down';
import { compareDecimals } from '../lib/decimal';
import { formatMoney, formatScope } from '../lib/format';
import type { PageProps } from '../lib/page';
import { can } from '../lib/permissions';
import { useQuery } from '../lib/use-query';
import { BudgetForm } from './budget-form';

const Budgets = graphql(`
  query Budgets {
    budgets(first: 100) {
      edges {
        node {
          id
          name
          currency
          limit
          spent
          reserved
          remaining
          forecast
          period
          mode
          scope
          currentWindow {
            start
            end
          }
        }
      }
    }
    budgetAlerts(first: 50) {
      id
      budgetId
      kind
      threshold
      spent
      limit
      currency
      createdAt
    }
  }
`);

const BudgetSpend = graphql(`
  query BudgetSpend($from: DateTime!, $to: DateTime!, $filter: SpendFilter, $currency: String!) {
    spend(from: $from, to: $to, groupBy: [DAY], filter: $filter, currency: $currency) {
      rows {
        cost
        dimensions
      }
    }
  }
`);

type Budget = BudgetsQuery['budgets']['edges'][number]['node'];
type Alert = BudgetsQuery['budgetAlerts'][number];

/** Spent and held as parts of the limit, by width and by words. */
function Meter({ budget }: { budget: Budget }) {
  const limit = Number(budget.limit) || 1;
  const spent = Math.min(100, (Number(budget.spent) / limit) * 100);
  const held = Math.min(100 - spent, (Number(budget.reserved) / limit) * 100);
  const over = compareDecimals(budget.remaining, '0') <= 0;
  return (
    <span class="meter-cell">
      <span class="meter" aria-hidden="true">
        <span class="spent" style={{ width: `${spent}%` }} />
        <span class="held" style={{ width: `${held}%` }} />
      </span>
      {over ? (
        <StatusBadge tone="bad" icon="✖">
          exhausted
        </StatusBadge>
      ) : (
        <span class="note">{Math.round(spent)}% spent</span>
      )}
    </span>
  );
}

function BurnDownChart({ budget, run }: { budget: Budget } & Pick<PageProps, 'run'>) {
  const scope = scopeToFilter(budget.scope);
  const now = new Date();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const spend = useQuery(
    run,
    BudgetSpend,
    {
      from: budget.currentWindow.start,
      to: to.toISOString(),
      filter: 'filter' in scope ? scope.filter : null,
      currency: budget.currency,
    },
    'unsupported' in scope,
  );
  // The forecast query's projection and 80 % interval (Budget.forecast when it fails).
  const projection = useQuery(run, PeriodForecast, { scope: { budgetId: budget.id } });
  if ('unsupported' in scope) {
    return (
      <p class="note">
        No burn-down: the spend report cannot filter on {scope.unsupported.join(', ')}.
      </p>
    );
  }
  if (spend.error) return <ErrorMessage error={spend.error} />;
  if (!spend.data || (!projection.data && !projection.error)) {
    return <Loading what="the burn-down" />;
  }
  const projected = projection.data?.forecast;
  const chart = burnDown({
    limit: budget.limit,
    reserved: budget.reserved,
    forecast: projected?.projected ?? budget.forecast ?? null,
    interval: projected ? { low: projected.low, high: projected.high } : null,
    windowStart: budget.currentWindow.start,
    windowEnd: budget.currentWindow.end ?? null,
    now,
    rows: spend.data.spend.rows,
  });
  const last = chart.days.length - 1;
  const holds = chart.days.map((_, index) =>
    index === chart.today ? Number(chart.afterHolds) : null,
  );
  const forecast = chart.days.map((_, index) =>
    chart.forecastRemaining === null
      ? null
      : index === chart.today
        ? Number(chart.remaining[chart.today])
        : index === last
          ? Number(chart.forecastRemaining)
          : null,
  );
  const atEnd = (value: string | undefined) =>
    chart.days.map((_, index) => (index === last && value !== undefined ? Number(value) : null));
  return (
    <>
      <h2 id="burn-down">Burn-down: {budget.name}</h2>
      <ChartView
        type="line"
        label={`Remaining of ${budget.name}'s limit per day, with holds and forecast`}
        labels={chart.days}
        series={chart}
        datasets={[
          {
            label: 'Remaining',
            data: chart.remaining.map((value) => (value === null ? null : Number(value))),
            borderColor: PALETTE[0],
            backgroundColor: PALETTE[0],
          },
          {
            label: 'Remaining after holds',
            data: holds,
            borderColor: PALETTE[1],
            backgroundColor: PALETTE[1],
            pointRadius: 6,
            pointStyle: 'triangle',
          },
          {
            label: 'Forecast at window end',
            data: forecast,
            borderColor: PALETTE[5],
            backgroundColor: PALETTE[5],
            borderDash: [6, 4],
            spanGaps: true,
          },
          {
            label: '80 % interval (high spend)',
            data: atEnd(chart.intervalRemaining?.atHigh),
            borderColor: PALETTE[3],
            backgroundColor: PALETTE[3],
            pointStyle: 'line',
            pointRadius: 10,
            showLine: false,
          },
          {
            label: '80 % interval (low spend)',
            data: atEnd(chart.intervalRemaining?.atLow),
            borderColor: PALETTE[4],
            backgroundColor: PALETTE[4],
            pointStyle: 'line',
            pointRadius: 10,
            showLine: false,
          },
        ]}
      />
      <p class="note">
        Remaining {formatMoney(chart.remaining[chart.today] ?? budget.limit, budget.currency)},
        after holds {formatMoney(chart.afterHolds, budget.currency)}
        {chart.forecastRemaining !== null &&
          `, at the window's end at this rate ${formatMoney(chart.forecastRemaining, budget.currency)}`}
        {chart.intervalRemaining &&
          ` (80 %: ${formatMoney(chart.intervalRemaining.atHigh, budget.currency)} to ${formatMoney(chart.intervalRemaining.atLow, budget.currency)})`}
        .
      </p>
    </>
  );
}

/** Budgets with their spend, holds and forecast; a burn-down; threshold alerts. */
export function BudgetsPage({ me, run }: PageProps) {
  const budgets = useQuery(run, Budgets, {});
  const [selected, setSelected] = useState<string | null>(null);
  if (budgets.error) return <ErrorMessage error={budgets.error} />;
  if (!budgets.data) return <Loading what="budgets" />;
  const nodes = budgets.data.budgets.edges.map((edge) => edge.node);
  const names = new Map(nodes.map((node) => [node.id, node.name]));
  const chosen = nodes.find((node) => node.id === selected) ?? nodes[0];
  const money = (value: string | null | undefined, row: { currency: string }) =>
    formatMoney(value, row.currency);
  const columns: Column<Budget>[] = [
    { id: 'name', header: 'Budget', value: (row) => row.name },
    { id: 'scope', header: 'Scope', value: (row) => formatScope(row.scope) },
    { id: 'period', header: 'Period', value: (row) => row.period.toLowerCase() },
    { id: 'mode', header: 'Mode', value: (row) => row.mode.toLowerCase().replace('_', ' ') },
    decimalColumn('limit', 'Limit', (row) => row.limit, money),
    decimalColumn('spent', 'Spent', (row) => row.spent, money),
    decimalColumn('reserved', 'Held', (row) => row.reserved, money),
    decimalColumn('remaining', 'Remaining', (row) => row.remaining, money),
    decimalColumn('forecast', 'Forecast', (row) => row.forecast, money),
    {
      id: 'use',
      header: 'Use',
      sortable: false,
      value: () => null,
      render: (row) => <Meter budget={row} />,
    },
    pickColumn('show', 'Burn-down', {
      label: 'Show',
      name: (row) => row.name,
      pressed: (row) => row.id === chosen?.id,
      pick: (row) => setSelected(row.id),
    }),
  ];
  const alertColumns: Column<Alert>[] = [
    instantColumn('createdAt', 'When', (row) => row.createdAt),
    { id: 'budget', header: 'Budget', value: (row) => names.get(row.budgetId) ?? row.budgetId },
    {
      id: 'kind',
      header: 'Alert',
      value: (row) => row.kind,
      render: (row) => (
        <StatusBadge
          tone={row.threshold >= 1 ? 'bad' : 'warn'}
          icon={row.threshold >= 1 ? '✖' : '⚠'}
        >
          {row.kind} {Math.round(row.threshold * 100)}%
        </StatusBadge>
      ),
    },
    decimalColumn('spent', 'Spent', (row) => row.spent, money),
    decimalColumn('limit', 'Limit', (row) => row.limit, money),
  ];
  return (
    <>
      {can(me, 'budgets.write') && <BudgetForm run={run} onCreated={budgets.reload} />}
      <DataTable
        caption="Budgets (current window)"
        columns={columns}
        rows={nodes}
        rowKey={(row) => row.id}
        testId="budgets-table"
        empty="No budgets yet."
      />
      {chosen && <BurnDownChart key={chosen.id} budget={chosen} run={run} />}
      <DataTable
        caption="Threshold alerts, newest first"
        columns={alertColumns}
        rows={budgets.data.budgetAlerts}
        rowKey={(row) => row.id}
        testId="alerts-table"
        empty="No alerts."
      />
    </>
  );
}

import { useState } from 'preact/hooks';
import { graphql } from '../gql';
import type { BudgetMode, BudgetPeriod } from '../gql/graphql';
import type { PageProps } from '../lib/page';

const CreateBudget = graphql(`
  mutation CreateBudget($input: CreateBudgetInput!) {
    createBudget(input: $input) {
      id
      name
    }
  }
`);

/** Creates a budget (roles with budgets.write only; the page does not render it otherwise). */
export function BudgetForm({ run, onCreated }: Pick<PageProps, 'run'> & { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [period, setPeriod] = useState<BudgetPeriod>('MONTHLY');
  const [mode, setMode] = useState<BudgetMode>('ALERT_ONLY');
  const [team, setTeam] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) return setMessage({ error: true, text: 'Name the budget.' });
    if (!/^\d+(\.\d+)?$/.test(limit.trim()))
      return setMessage({
        error: true,
        text: 'The limit is a positive decimal amount, like 1500 or 99.50.',
      });
    try {
      const answer = await run(CreateBudget, {
        input: {
          name: name.trim(),
          limit: limit.trim(),
          period,
          mode,
          scope: team.trim() ? { team: team.trim() } : {},
        },
      });
      setMessage({ error: false, text: `Created ${answer.createBudget.name}.` });
      setName('');
      setLimit('');
      onCreated();
    } catch (failure) {
      setMessage({
        error: true,
        text: failure instanceof Error ? failure.message : String(failure),
      });
    }
  };
  return (
    <form class="inline" aria-label="New budget" data-testid="budget-form" onSubmit={submit}>
      <label>
        Name <input value={name} onInput={(event) => setName(event.currentTarget.value)} />
      </label>
      <label>
        Limit (USD){' '}
        <input
          inputMode="decimal"
          value={limit}
          onInput={(event) => setLimit(event.currentTarget.value)}
        />
      </label>
      <label>
        Period
        <select
          value={period}
          onChange={(event) => setPeriod(event.currentTarget.value as BudgetPeriod)}
        >
          <option value="DAILY">daily</option>
          <option value="WEEKLY">weekly</option>
          <option value="MONTHLY">monthly</option>
          <option value="TOTAL">total</option>
        </select>
      </label>
      <label>
        Mode
        <select value={mode} onChange={(event) => setMode(event.currentTarget.value as BudgetMode)}>
          <option value="ALERT_ONLY">alert only</option>
          <option value="DOWNGRADE">downgrade</option>
          <option value="BLOCK">block</option>
        </select>
      </label>
      <label>
        Team (optional){' '}
        <input value={team} onInput={(event) => setTeam(event.currentTarget.value)} />
      </label>
      <button type="submit" class="primary">
        Create budget
      </button>
      {message && (
        <span role={message.error ? 'alert' : 'status'} class={message.error ? 'error' : 'note'}>
          {message.text}
        </span>
      )}
    </form>
  );
}

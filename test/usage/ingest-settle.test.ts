// While no budget exists and no event names a decision, ingest writes each batch as a single
// statement (settlement has nothing to do). That must stop the moment a budget exists: usage
// from then on counts toward it, in the transaction that stores it.
import { makeUsageEvent } from '@purser/adapters/testing';
import { budgetState, createBudget, priceModel, unique, PENNY } from '../support/decisions';
import { postUsage, servePurser } from '../support/purser';

const MODEL = 't-penny-settle';

describe('ingest and budgets', () => {
  const served = servePurser('gateway', {
    prepare: (service) => priceModel(service, MODEL, PENNY),
  });

  const post = (events: unknown[]) => postUsage(served.service, served.key, events);
  const usage = (team: string, inputTokens: number) =>
    makeUsageEvent({
      id: unique('evt'),
      provider: 'openai',
      model: MODEL,
      timestamp: new Date(Date.now() - 1000).toISOString(),
      usage: { input_tokens: inputTokens, output_tokens: 0 },
      attribution: { team },
    });

  it('should store usage while no budget exists and count usage toward a budget as soon as it exists', async () => {
    const team = unique('team');
    expect(await post([usage(team, 1000), usage(team, 2000)])).toMatchObject({
      accepted: 2,
      rejected: 0,
    });
    const budget = await createBudget(served.service, {
      name: 'from now on',
      scope: { team },
      period: 'TOTAL',
      limit: '1',
      mode: 'BLOCK',
    });
    expect(budget.spent).toBe('0');
    expect(await post([usage(team, 500), usage(unique('other'), 700)])).toMatchObject({
      accepted: 2,
    });
    // Spend counts from the budget's creation on: 500 tokens at $10 per 1M.
    expect(await budgetState(served.service, budget.id)).toMatchObject({
      spent: '0.005',
      remaining: '0.995',
    });
    const [row] = await served.service.purser.dataSource.query(
      `SELECT count(*)::int AS events, sum(cost)::text AS cost FROM usage_events WHERE team = $1`,
      [team],
    );
    expect(row).toEqual({ events: 3, cost: '0.035' });
  });
});

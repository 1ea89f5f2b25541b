// What unit tests cannot catch: holds placed by many requests at once, on one replica and on
// two replicas sharing a database. The row locks must admit exactly as many $0.01 holds as
// a $1.00 budget covers — never one more, never one fewer.
import { randomBytes } from 'node:crypto';
import { hasPostgres } from '../support/database';
import {
  authorize,
  budgetState,
  createBudget,
  pennyRequest,
  priceModel,
  PENNY,
} from '../support/decisions';
import { servePurser, serveReplicas } from '../support/purser';

const CALLS = 200;

const request = (team: string) => pennyRequest(team);

function tally(decisions: { allow: boolean; action: string; reasons: { code: string }[] }[]) {
  const allowed = decisions.filter((decision) => decision.allow);
  const denied = decisions.filter((decision) => !decision.allow);
  return {
    allowed: allowed.length,
    denied: denied.length,
    deniedCodes: [...new Set(denied.flatMap((decision) => decision.reasons.map((r) => r.code)))],
    deniedActions: [...new Set(denied.map((decision) => decision.action))],
  };
}

describe('concurrent authorize', () => {
  const served = servePurser('gateway', {
    prepare: (service) => priceModel(service, 'penny-model', PENNY),
  });

  it('should admit exactly 100 of 200 concurrent $0.01 holds on a $1.00 BLOCK budget', async () => {
    const team = `t-${randomBytes(5).toString('hex')}`;
    const budget = await createBudget(served.service, {
      name: 'one dollar',
      scope: { team },
      period: 'TOTAL',
      limit: '1',
      mode: 'BLOCK',
    });
    const decisions = await Promise.all(
      Array.from({ length: CALLS }, () => authorize(served.service, request(team), served.key)),
    );
    expect(tally(decisions)).toEqual({
      allowed: 100,
      denied: 100,
      deniedCodes: ['budget_exceeded'],
      deniedActions: ['DENY'],
    });
    for (const decision of decisions.filter((d) => d.allow)) {
      expect(decision.reservation).toMatchObject({ amount: '0.01', currency: 'USD' });
    }
    expect(await budgetState(served.service, budget.id)).toMatchObject({
      limit: '1',
      spent: '0',
      reserved: '1',
      remaining: '0',
    });
    const holds = await served.service.purser.dataSource.query(
      `SELECT count(*)::int AS n, sum(amount)::text AS total FROM reservation_holds WHERE budget_id = $1`,
      [budget.id],
    );
    expect(holds).toEqual([{ n: 100, total: '1.00' }]);
  });
});

describe('concurrent authorize on two replicas sharing one database', () => {
  if (!hasPostgres) {
    it.skip('needs a Postgres server (two instances cannot share one in-memory PGlite)', () => {});
    return;
  }
  const served = serveReplicas({
    prepare: ({ first }) => priceModel(first, 'penny-model', PENNY),
  });

  it('should admit exactly 100 holds in total when 200 calls are split between the replicas', async () => {
    const { first, second } = served.replicas;
    const [firstKey, secondKey] = served.keys;
    const team = `t-${randomBytes(5).toString('hex')}`;
    const budget = await createBudget(first, {
      name: 'one dollar, two replicas',
      scope: { team },
      period: 'TOTAL',
      limit: '1.00',
      mode: 'BLOCK',
    });
    const decisions = await Promise.all(
      Array.from({ length: CALLS }, (_, index) =>
        index % 2 === 0
          ? authorize(first, request(team), firstKey)
          : authorize(second, request(team), secondKey),
      ),
    );
    expect(tally(decisions)).toEqual({
      allowed: 100,
      denied: 100,
      deniedCodes: ['budget_exceeded'],
      deniedActions: ['DENY'],
    });
    // Both replicas granted some: the race really crossed processes.
    const grantedByFirst = decisions.filter((d, index) => index % 2 === 0 && d.allow).length;
    expect(grantedByFirst).toBeGreaterThan(0);
    expect(grantedByFirst).toBeLessThan(100);
    expect(await budgetState(second, budget.id)).toMatchObject({ reserved: '1', remaining: '0' });
  });
});

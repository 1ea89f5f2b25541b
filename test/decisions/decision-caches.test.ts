// What unit tests cannot catch: each replica decides on budgets and velocity limits cached in
// memory. A definition changed on one replica must reach the others through LISTEN/NOTIFY
// (`purser_definitions`) well before the definitions' TTL; counters moved outside this
// replica must be read again when the staleness bound is 0; and a settlement through this
// replica's own ingest must be seen by its very next decision.
import { hasPostgres } from '../support/database';
import {
  authorize,
  createBudget,
  pennyAsk,
  priceModel,
  type DecisionAnswer,
  postUsageJson,
  recentUsage,
  unique,
  PENNY,
} from '../support/decisions';
import { type Replicas, startPurser, startReplicas, type RunningPurser } from '../support/purser';

const MODEL = 't-penny';

const ask = (attribution: Record<string, string>) => pennyAsk(MODEL, attribution);

/** How long budget definitions are kept without a notification (`DEFINITIONS_TTL_MS`). */
const DEFINITIONS_TTL_MS = 5_000;

/** How long a change on another replica may take to arrive (far below the TTLs). */
const PROPAGATION_MS = 1_000;

/**
 * Authorizes until `done` holds for the answer or PROPAGATION_MS has passed; answers the
 * last decision and how long it took. The first call is made at once.
 */
async function authorizeUntil(
  service: RunningPurser,
  request: Record<string, unknown>,
  token: string,
  done: (answer: DecisionAnswer) => boolean,
): Promise<{ answer: DecisionAnswer; elapsed: number; calls: number }> {
  const started = Date.now();
  for (let calls = 1; ; calls += 1) {
    const answer = await authorize(service, request, token);
    const elapsed = Date.now() - started;
    if (done(answer) || elapsed >= PROPAGATION_MS) return { answer, elapsed, calls };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('definitions cached per replica, on two replicas sharing one database', () => {
  if (!hasPostgres) {
    it.skip('needs a Postgres server (two instances cannot share one in-memory PGlite)', () => {});
    return;
  }
  let replicas: Replicas;
  let first: RunningPurser;
  let second: RunningPurser;
  let secondKey: string;
  beforeAll(async () => {
    replicas = await startReplicas();
    ({ first, second } = replicas);
    secondKey = await second.keyFor('gateway');
    await priceModel(first, MODEL, PENNY);
    // A budget elsewhere, so each replica holds definitions a change has to drop.
    await createBudget(first, {
      name: 'bystander',
      scope: { team: unique('bystander') },
      period: 'TOTAL',
      limit: '1000',
      mode: 'BLOCK',
    });
  });
  afterAll(async () => {
    await replicas?.stop();
  });

  /** Drops the second replica's caches, so that its next decision loads them afresh. */
  const reloadSecond = () => {
    second.purser.services.budgetCache.invalidate();
    second.purser.services.velocity.invalidate();
  };

  it('should hold on a budget created on the other replica from its next decision on', async () => {
    const team = unique('t');
    reloadSecond();
    // The second replica loads its definitions now: without a notification it would keep
    // them (and not know the budget below) for DEFINITIONS_TTL_MS.
    const before = await authorize(second, ask({ team }), secondKey);
    expect(before).toMatchObject({ allow: true, budgets: [] });

    const budget = await createBudget(first, {
      name: 'created on the first replica',
      scope: { team },
      period: 'TOTAL',
      limit: '1',
      mode: 'BLOCK',
    });
    const { answer, elapsed } = await authorizeUntil(second, ask({ team }), secondKey, (a) =>
      a.budgets.some((b) => b.id === budget.id),
    );
    expect(answer).toMatchObject({
      allow: true,
      budgets: [{ id: budget.id, limit: '1', reserved: '0.01' }],
      reservation: { amount: '0.01' },
    });
    expect(elapsed).toBeLessThan(DEFINITIONS_TTL_MS / 2);
  });

  it('should stop applying a budget deleted on the other replica from its next decision on', async () => {
    const team = unique('t');
    const budget = await createBudget(first, {
      name: 'deleted on the first replica',
      scope: { team },
      period: 'TOTAL',
      limit: '1',
      mode: 'BLOCK',
    });
    reloadSecond();
    const before = await authorize(second, ask({ team }), secondKey);
    expect(before).toMatchObject({ allow: true, budgets: [{ id: budget.id, reserved: '0.01' }] });

    const deleted = await first.graphql<{ deleteBudget: boolean }>(
      'mutation($id: ID!) { deleteBudget(id: $id) }',
      { id: budget.id },
    );
    expect(deleted.data?.deleteBudget).toBe(true);
    // An allowed decision is not read again: only the notification drops the budget.
    const { answer, elapsed } = await authorizeUntil(
      second,
      ask({ team }),
      secondKey,
      (a) => a.budgets.length === 0,
    );
    expect(answer).toMatchObject({ allow: true, budgets: [], reservation: { amount: '0.01' } });
    expect(elapsed).toBeLessThan(DEFINITIONS_TTL_MS / 2);
    const [holds] = await second.purser.dataSource.query(
      `SELECT count(*)::int AS n FROM reservation_holds h JOIN reservations r ON r.id = h.reservation_id
       WHERE h.budget_id = $1 AND r.decision_id = $2`,
      [budget.id, answer.decisionId],
    );
    expect(holds).toEqual({ n: 0 });
  });

  it('should apply a budget whose scope was changed on the other replica', async () => {
    const team = unique('t');
    const other = unique('t');
    const budget = await createBudget(first, {
      name: 'moved between teams',
      scope: { team: other },
      period: 'TOTAL',
      limit: '0',
      mode: 'BLOCK',
    });
    reloadSecond();
    expect(await authorize(second, ask({ team }), secondKey)).toMatchObject({ allow: true });

    const updated = await first.graphql(
      'mutation($id: ID!, $input: UpdateBudgetInput!) { updateBudget(id: $id, input: $input) { id } }',
      { id: budget.id, input: { scope: { team } } },
    );
    expect(updated.errors).toBeUndefined();
    const { answer } = await authorizeUntil(second, ask({ team }), secondKey, (a) => !a.allow);
    expect(answer).toMatchObject({
      allow: false,
      reasons: [expect.objectContaining({ code: 'budget_exceeded', budgetId: budget.id })],
    });
  });

  it('should count a velocity limit created on the other replica from its next decision on', async () => {
    const session = unique('s');
    reloadSecond();
    // Loads the second replica's velocity limits (kept 2 s without a notification).
    expect(await authorize(second, ask({ session }), secondKey)).toMatchObject({ allow: true });

    const created = await first.graphql<{ createVelocityLimit: { id: string } }>(
      `mutation($input: CreateVelocityLimitInput!) { createVelocityLimit(input: $input) { id } }`,
      {
        input: {
          name: unique('one a day'),
          scope: 'session',
          metric: 'REQUESTS',
          limit: '1',
          windowSeconds: 86_400,
        },
      },
    );
    expect(created.errors).toBeUndefined();
    try {
      // Once the limit is known, the first call is counted and the next one refused.
      const { answer, elapsed } = await authorizeUntil(
        second,
        ask({ session }),
        secondKey,
        (a) => !a.allow,
      );
      expect(answer).toMatchObject({
        allow: false,
        reasons: [expect.objectContaining({ code: 'rate_limited' })],
      });
      expect(elapsed).toBeLessThan(PROPAGATION_MS);
    } finally {
      await first.graphql('mutation($id: ID!) { deleteVelocityLimit(id: $id) }', {
        id: created.data!.createVelocityLimit.id,
      });
    }
  });
});

describe('counters moved outside the decision path', () => {
  let service: RunningPurser;
  let gateway: string;

  afterEach(() => service?.stop());

  const start = async (env: Record<string, string>) => {
    service = await startPurser({ env });
    gateway = await service.keyFor('gateway');
    await priceModel(service, MODEL, PENNY);
  };

  /** A $1 budget on a new team that warns at half, and a first decision on it, allowed. */
  const firstOnHalfWarned = async (name: string) => {
    const team = unique('t');
    const budget = await createBudget(service, {
      name,
      scope: { team },
      period: 'TOTAL',
      limit: '1',
      mode: 'BLOCK',
      softThresholds: [0.5],
    });
    const first = await authorize(service, ask({ team }), gateway);
    expect(first).toMatchObject({ allow: true, action: 'ALLOW', reasons: [] });
    return { team, budget, first };
  };

  /** Spend recorded by another replica's settlement: straight into the window row. */
  const spendElsewhere = async (budgetId: string, spent: string) => {
    await service.purser.dataSource.query(
      `UPDATE budget_windows SET spent = $2::numeric WHERE budget_id = $1`,
      [budgetId, spent],
    );
    expect(
      await service.purser.dataSource.query(
        `SELECT count(*)::int AS n FROM budget_windows WHERE budget_id = $1 AND spent = $2::numeric`,
        [budgetId, spent],
      ),
    ).toEqual([{ n: 1 }]);
  };

  /** The next decision on `team` warns: its budget at 0.6 spent with two $0.01 holds. */
  const expectWarnedAtSixtyCents = async (team: string, budgetId: string) => {
    const warned = await authorize(service, ask({ team }), gateway);
    expect(warned).toMatchObject({ allow: true, action: 'WARN' });
    expect(warned.reasons).toEqual([
      expect.objectContaining({ code: 'budget_threshold', budgetId }),
    ]);
    expect(warned.budgets).toEqual([
      expect.objectContaining({ id: budgetId, spent: '0.6', reserved: '0.02' }),
    ]);
  };

  it('should see spend written to budget_windows by SQL at the next decision with PURSER_COUNTER_STALENESS_MS=0', async () => {
    await start({ PURSER_COUNTER_STALENESS_MS: '0' });
    const { team, budget } = await firstOnHalfWarned('filled elsewhere');

    // Past the soft threshold: only a decision on fresh counters warns (a hold re-checks the
    // limit under lock, but not the thresholds).
    await spendElsewhere(budget.id, '0.6');
    await expectWarnedAtSixtyCents(team, budget.id);

    // Filled: denied.
    await spendElsewhere(budget.id, '1');
    const denied = await authorize(service, ask({ team }), gateway);
    expect(denied).toMatchObject({ allow: false, action: 'DENY', reservation: null });
    expect(denied.reasons).toEqual([
      expect.objectContaining({ code: 'budget_exceeded', budgetId: budget.id }),
    ]);
    expect(denied.budgets).toEqual([expect.objectContaining({ id: budget.id, spent: '1' })]);
  });

  it("should see a settlement through this replica's own ingest at the next decision", async () => {
    // The bound at its longest: nothing but the settlement itself can make the next decision
    // read the counters again (with the default 500 ms the same holds, but a slow run would
    // pass without it).
    await start({ PURSER_COUNTER_STALENESS_MS: '60000' });
    const { team, budget, first } = await firstOnHalfWarned('settled here');
    // A second decision, settled below.
    const second = await authorize(service, ask({ team }), gateway);
    expect(second).toMatchObject({ allow: true, action: 'ALLOW', reasons: [] });

    // The call behind the first decision cost $0.60 (60k input tokens): its hold settles.
    const response = await postUsageJson(service, gateway, [
      recentUsage(MODEL, { team }, 60_000, { decision_id: first.decisionId }),
    ]);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1, rejected: 0 });

    // Spent 0.6; the second hold and this one reserved.
    await expectWarnedAtSixtyCents(team, budget.id);

    // A settlement that fills the budget: the next decision is denied by the policy.
    await postUsageJson(service, gateway, [
      recentUsage(MODEL, { team }, 40_000, { decision_id: second.decisionId }),
    ]);
    const denied = await authorize(service, ask({ team }), gateway);
    expect(denied).toMatchObject({ allow: false, action: 'DENY', reservation: null });
    expect(denied.reasons).toEqual([
      expect.objectContaining({ code: 'budget_exceeded', budgetId: budget.id }),
    ]);
    expect(denied.budgets).toEqual([
      expect.objectContaining({ id: budget.id, spent: '1', reserved: '0.01' }),
    ]);
  });
});

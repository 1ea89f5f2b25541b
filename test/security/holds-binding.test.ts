// What unit tests cannot catch: holds bound to the API key that placed them, on a
// production-mode instance, whether the hold went through the batched statement or was
// placed in memory within an allowance and written behind. Another gateway key can neither
// release it nor settle it with usage naming its decision (the usage is stored and counted,
// the hold stays); the placing key and an admin can.
import {
  authorize,
  budgetState,
  createBudget,
  pennyRequest,
  priceModel,
  PENNY,
  postUsageJson,
  recentUsage,
  unique,
} from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const RELEASE = 'mutation($id: ID!) { releaseReservation(id: $id) }';

describe('holds bound to the key that placed them', () => {
  let service: RunningPurser;
  let owner: string;
  let other: string;
  beforeAll(async () => {
    service = await startPurser({
      // Allowances start after a second of 5 holds/s, so holds are also placed in memory.
      env: {
        NODE_ENV: 'production',
        PURSER_HOLD_ALLOWANCE_MIN_RATE: '5',
        PURSER_HOLD_ALLOWANCE_SHARE: '0.5',
      },
    });
    owner = await service.keyFor('gateway');
    other = await service.keyFor('gateway');
    await priceModel(service, 'penny-model', PENNY);
  });
  afterAll(() => service.stop());

  const teamBudget = async () => {
    const team = unique('t');
    const budget = await createBudget(service, {
      name: 'bound',
      scope: { team },
      period: 'TOTAL',
      limit: '10',
      mode: 'BLOCK',
    });
    return { team, budget };
  };

  const postUsage = async (token: string, team: string, decisionId: string) => {
    // $0.006 at $10 per 1M input tokens.
    const response = await postUsageJson(
      service,
      token,
      recentUsage('penny-model', { team }, 600, { decision_id: decisionId }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1 });
  };

  const status = async (decisionId: string) => {
    await service.purser.services.allowances?.flush();
    const rows: { status: string }[] = await service.purser.dataSource.query(
      `SELECT status FROM reservations WHERE decision_id = $1`,
      [decisionId],
    );
    return rows[0]?.status;
  };

  it('should refuse another gateway key a release, by reservation or decision id, and let the owner and an admin release', async () => {
    const { team, budget } = await teamBudget();
    const first = await authorize(service, pennyRequest(team), owner);
    const second = await authorize(service, pennyRequest(team), owner);
    for (const id of [first.reservation!.id, first.decisionId]) {
      const refused = await service.graphql(RELEASE, { id }, other);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.errors?.[0]?.message).toContain('another API key');
    }
    expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0.02' });
    expect((await service.graphql(RELEASE, { id: first.decisionId }, owner)).data).toEqual({
      releaseReservation: true,
    });
    expect((await service.graphql(RELEASE, { id: second.reservation!.id })).data).toEqual({
      releaseReservation: true,
    });
    expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0' });
  });

  it("should store usage naming another key's decision without settling its hold, and settle it for the owner", async () => {
    const { team, budget } = await teamBudget();
    const decision = await authorize(service, pennyRequest(team), owner);
    await postUsage(other, team, decision.decisionId);
    expect(await status(decision.decisionId)).toBe('held');
    // The usage counts (nothing is lost); the hold is still there.
    expect(await budgetState(service, budget.id)).toMatchObject({
      spent: '0.006',
      reserved: '0.01',
    });
    await postUsage(owner, team, decision.decisionId);
    expect(await status(decision.decisionId)).toBe('settled');
    expect(await budgetState(service, budget.id)).toMatchObject({
      spent: '0.012',
      reserved: '0',
    });
  });

  it('should bind holds placed in memory within allowances as well', async () => {
    const { team } = await teamBudget();
    const allowances = service.purser.services.allowances!;
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      await authorize(service, pennyRequest(team), owner);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = allowances.placedInMemory;
    const decisions = await Promise.all(
      Array.from({ length: 10 }, () => authorize(service, pennyRequest(team), owner)),
    );
    expect(allowances.placedInMemory).toBeGreaterThan(before);
    for (const decision of decisions) {
      const refused = await service.graphql(RELEASE, { id: decision.decisionId }, other);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    await postUsage(other, team, decisions[0]!.decisionId);
    expect(await status(decisions[0]!.decisionId)).toBe('held');
    await postUsage(owner, team, decisions[0]!.decisionId);
    expect(await status(decisions[0]!.decisionId)).toBe('settled');
    expect((await service.graphql(RELEASE, { id: decisions[1]!.decisionId }, owner)).data).toEqual({
      releaseReservation: true,
    });
  });
});

// What unit tests cannot catch: which budgets a usage event that settles a hold is charged
// to, on a production-mode instance. The rule (docs/0006): the usage is stored with its own
// attribution, completed by the decision's (keys the event leaves out) and overridden by what
// the decision's virtual key binds; that stored attribution is what every budget is charged
// by, and the hold is released from wherever it was placed. So a budget's spent always equals
// the spend report for its scope.
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

const SPEND = `query($from: DateTime!, $to: DateTime!, $filter: SpendFilter) {
  spend(from: $from, to: $to, filter: $filter) { total requests }
}`;

describe('settlement charges the budgets of the stored attribution', () => {
  let service: RunningPurser;
  let gateway: string;
  const from = new Date(Date.now() - 3_600_000).toISOString();
  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    gateway = await service.keyFor('gateway');
    await priceModel(service, 'penny-model', PENNY);
  });
  afterAll(() => service.stop());

  const budgetOn = (scope: Record<string, string>) =>
    createBudget(service, { name: 'scope', scope, period: 'TOTAL', limit: '10', mode: 'BLOCK' });

  const postUsage = async (attribution: Record<string, string>, decisionId: string) => {
    const response = await postUsageJson(
      service,
      gateway,
      recentUsage('penny-model', attribution, 600, { decision_id: decisionId }),
    );
    expect(await response.json()).toMatchObject({ accepted: 1 });
  };

  const spendOf = async (filter: Record<string, string>) => {
    const result = await service.graphql<{ spend: { total: string; requests: number } }>(SPEND, {
      from,
      to: new Date(Date.now() + 60_000).toISOString(),
      filter,
    });
    return result.data!.spend;
  };

  it('should charge the team the usage names, not the team the hold was placed on', async () => {
    const held = unique('t');
    const named = unique('t');
    const heldBudget = await budgetOn({ team: held });
    const namedBudget = await budgetOn({ team: named });
    const decision = await authorize(service, pennyRequest(held), gateway);
    expect(await budgetState(service, heldBudget.id)).toMatchObject({ reserved: '0.01' });
    await postUsage({ team: named }, decision.decisionId);
    expect(await budgetState(service, heldBudget.id)).toMatchObject({ spent: '0', reserved: '0' });
    expect(await budgetState(service, namedBudget.id)).toMatchObject({
      spent: '0.006',
      reserved: '0',
    });
    expect(await spendOf({ team: held })).toMatchObject({ total: '0', requests: 0 });
    expect(await spendOf({ team: named })).toMatchObject({ total: '0.006', requests: 1 });
  });

  it('should complete what the usage leaves out from the decision, and store it so', async () => {
    const team = unique('t');
    const feature = unique('f');
    const budget = await budgetOn({ team, feature });
    const decision = await authorize(
      service,
      { ...pennyRequest(team), attribution: { team, feature } },
      gateway,
    );
    await postUsage({}, decision.decisionId);
    expect(await budgetState(service, budget.id)).toMatchObject({ spent: '0.006', reserved: '0' });
    expect(await spendOf({ team, feature })).toMatchObject({ total: '0.006', requests: 1 });
  });

  it("should charge what the decision's virtual key binds, whatever the usage claims", async () => {
    const keyTeam = unique('t');
    const claimed = unique('t');
    const keyTeamBudget = await budgetOn({ team: keyTeam });
    const claimedBudget = await budgetOn({ team: claimed });
    const created = await service.graphql<{
      createVirtualKey: { id: string; secret: string; budgets: { id: string }[] };
    }>(
      `mutation($input: CreateVirtualKeyInput!) {
        createVirtualKey(input: $input) { id secret budgets { id } }
      }`,
      {
        input: {
          name: unique('vk'),
          attribution: { team: keyTeam },
          budgets: [{ period: 'TOTAL', limit: '1' }],
        },
      },
    );
    const key = created.data!.createVirtualKey;
    const decision = await authorize(
      service,
      { ...pennyRequest(claimed), virtualKey: key.secret },
      gateway,
    );
    expect(decision.allow).toBe(true);
    await postUsage({ team: claimed }, decision.decisionId);
    expect(await budgetState(service, keyTeamBudget.id)).toMatchObject({
      spent: '0.006',
      reserved: '0',
    });
    expect(await budgetState(service, key.budgets[0]!.id)).toMatchObject({
      spent: '0.006',
      reserved: '0',
    });
    expect(await budgetState(service, claimedBudget.id)).toMatchObject({ spent: '0' });
    expect(await spendOf({ team: keyTeam })).toMatchObject({ total: '0.006', requests: 1 });
    expect(await spendOf({ team: claimed })).toMatchObject({ total: '0', requests: 0 });
  });
});

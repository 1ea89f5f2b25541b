// What unit tests cannot catch: the chargeback's SQL against a real database (rollup rows for
// whole hours, events for the partial ones and for tag rules), effective-dated versions read
// back, and the report tying out to `spend` to the last decimal — through the GraphQL API.
import { Money } from '@purser/pricing';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  byCenter,
  chargeback,
  createCenters,
  createRule,
  gql,
  ingest,
  priceModels,
  REPORT_FIELDS,
  SPEND_TOTAL,
  UPDATE_RULE,
  type Report,
} from './allocation-support';

const DAY = { from: '2026-11-10T00:00:00Z', to: '2026-11-11T00:00:00Z' };
const FROM_NOVEMBER = '2026-11-01T00:00:00Z';
const CHANGE = '2026-11-10T13:00:00Z';

const RULES = {
  everyKey: {
    name: 'every match key',
    priority: 1,
    match: {
      provider: 'openai',
      model: 'alloc-model',
      environment: 'prod',
      customer: 'acme',
      project: 'p1',
      user: 'ana',
      agent: 'bot-1',
    },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-ATTR' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  bot: {
    name: 'bot by tag',
    priority: 5,
    match: { tags: { app: 'bot' } },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-PLAT' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  search: {
    name: 'search',
    priority: 10,
    match: { team: 'search' },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-SEARCH' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  ads: {
    name: 'ads',
    priority: 20,
    match: { team: 'ads' },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-ADS' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  evals: {
    name: 'platform evals',
    priority: 30,
    match: { team: 'platform', feature: 'evals' },
    method: 'FIXED',
    targets: [
      { costCenter: 'CC-SEARCH', weight: '70' },
      { costCenter: 'CC-ADS', weight: '30' },
    ],
    effectiveFrom: FROM_NOVEMBER,
  },
  platform: {
    name: 'platform rest',
    priority: 40,
    match: { team: 'platform' },
    method: 'EVEN',
    targets: [{ costCenter: 'CC-SEARCH' }, { costCenter: 'CC-ADS' }, { costCenter: 'CC-PLAT' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  shared: {
    name: 'shared by direct cost',
    priority: 50,
    match: { team: 'shared' },
    method: 'PROPORTIONAL',
    targets: [{ costCenter: 'CC-SEARCH' }, { costCenter: 'CC-ADS' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  zero: {
    name: 'proportional with no direct cost',
    priority: 60,
    match: { feature: 'zero' },
    method: 'PROPORTIONAL',
    targets: [{ costCenter: 'CC-OPS-A' }, { costCenter: 'CC-OPS-B' }],
    effectiveFrom: FROM_NOVEMBER,
  },
  shadowed: {
    name: 'never reached (search is taken at 10)',
    priority: 70,
    match: { team: 'search' },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-OPS-A' }],
    effectiveFrom: FROM_NOVEMBER,
  },
};

describe('chargeback', () => {
  let service: RunningPurser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    service = await startPurser();
    await priceModels(service);
    await priceModels(service, ['alloc-euro'], 'EUR');
    await createCenters(service, [
      { code: 'CC-ORG', glAccount: '6000' },
      { code: 'CC-ENG', parentCode: 'CC-ORG' },
      { code: 'CC-SEARCH', parentCode: 'CC-ENG', glAccount: '6100' },
      { code: 'CC-ADS', parentCode: 'CC-ENG', glAccount: '6200' },
      { code: 'CC-SEARCH2', parentCode: 'CC-ENG' },
      { code: 'CC-PLAT', parentCode: 'CC-ORG' },
      { code: 'CC-OPS-A' },
      { code: 'CC-OPS-B' },
      { code: 'CC-ATTR' },
    ]);
    for (const [key, input] of Object.entries(RULES))
      ids[key] = (await createRule(service, input)).id;
    // From 13:00 the search team is charged to CC-SEARCH2.
    await gql(service, UPDATE_RULE, {
      id: ids.search,
      input: { ...RULES.search, targets: [{ costCenter: 'CC-SEARCH2' }], effectiveFrom: CHANGE },
    });
    const gateway = await service.keyFor('gateway');
    await ingest(service, gateway, [
      { id: 'u1', at: '2026-11-10T09:30:00Z', input: 10, attribution: { team: 'search' } },
      { id: 'u2', at: '2026-11-10T10:15:00Z', input: 6, attribution: { team: 'ads' } },
      {
        id: 'u3',
        at: '2026-11-10T10:45:00Z',
        input: 7,
        output: 1,
        attribution: { team: 'platform', feature: 'evals' },
      },
      {
        id: 'u4',
        at: '2026-11-10T11:20:00Z',
        input: 1,
        attribution: { team: 'platform', feature: 'chat' },
      },
      { id: 'u5', at: '2026-11-10T12:05:00Z', input: 3, attribution: { team: 'ops' } },
      { id: 'u6', at: '2026-11-10T13:10:00Z', input: 5, attribution: { team: 'search' } },
      {
        id: 'u7',
        at: '2026-11-10T11:40:00Z',
        input: 9,
        attribution: { team: 'platform' },
        tags: { app: 'bot' },
      },
      { id: 'u8', at: '2026-11-10T12:30:00Z', input: 4, attribution: { team: 'shared' } },
      {
        id: 'eur1',
        at: '2026-11-10T10:30:00Z',
        input: 2,
        output: 5,
        model: 'alloc-euro',
        attribution: { team: 'search' },
      },
      {
        id: 'u10',
        at: '2026-11-10T15:00:00Z',
        input: 2,
        attribution: {
          environment: 'prod',
          customer: 'acme',
          project: 'p1',
          user: 'ana',
          agent: 'bot-1',
        },
      },
      {
        // One key differs (user): not the every-key rule's, and no other rule's.
        id: 'u11',
        at: '2026-11-10T15:10:00Z',
        input: 1,
        attribution: {
          environment: 'prod',
          customer: 'acme',
          project: 'p1',
          user: 'bob',
          agent: 'bot-1',
        },
      },
      {
        id: 'u9',
        at: '2026-11-10T10:20:00Z',
        input: 1,
        attribution: { team: 'nobody', feature: 'zero' },
      },
    ]);
  });
  afterAll(() => service.stop());

  it('charges every method by priority and effective date, the rest unallocated', async () => {
    const report = await chargeback(service, DAY.from, DAY.to);
    expect(byCenter(report)).toEqual({
      // direct 10 (before 13:00); FIXED 70 % of 7.000001; EVEN third + the leftover unit;
      // PROPORTIONAL 4 × 10/16
      'CC-SEARCH': ['10', '7.733334033334', '17.733334033334'],
      'CC-ADS': ['6', '3.933333633333', '9.933333633333'],
      'CC-PLAT': ['9', '0.333333333333', '9.333333333333'],
      'CC-SEARCH2': ['5', '0', '5'],
      // no direct cost for either: even
      'CC-OPS-A': ['0', '0.5', '0.5'],
      'CC-OPS-B': ['0', '0.5', '0.5'],
      // provider, model and every attribution key matched (user is stored as user_id)
      'CC-ATTR': ['2', '0', '2'],
    });
    expect(report.unallocated).toBe('4');
    expect(report.total).toBe('49.000001');
    expect(report.currency).toBe('USD');
    expect(report.rows.find((row) => row.costCenter === 'CC-SEARCH')).toMatchObject({
      glAccount: '6100',
      trueUp: '0',
      level: 2,
      parentCode: 'CC-ENG',
    });
  });

  it('ties out to spend to the last decimal over ranges with partial hours and rule changes', async () => {
    const ranges = [
      [DAY.from, DAY.to],
      ['2026-11-10T10:17:00Z', '2026-11-10T12:45:00Z'],
      ['2026-11-10T10:16:59.999Z', '2026-11-10T11:00:00Z'],
      ['2026-11-10T11:30:00Z', '2026-11-10T11:50:00Z'],
      ['2026-11-10T12:00:00Z', '2026-11-10T14:00:00Z'],
      ['2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'],
    ];
    for (const [from, to] of ranges) {
      const report = await chargeback(service, from, to);
      const { spend } = await gql<{ spend: { total: string } }>(service, SPEND_TOTAL, { from, to });
      const sum = report.rows
        .filter((row) => !row.rolledUp)
        .reduce((total, row) => total.plus(row.total), new Money(report.unallocated));
      expect([from, to, report.total]).toEqual([from, to, new Money(spend.total).toFixed()]);
      expect(sum.toFixed()).toBe(report.total);
    }
  });

  it('charges each currency on its own (default USD), without conversion', async () => {
    const { chargeback: euro } = await gql<{ chargeback: Report }>(
      service,
      `query($from: DateTime!, $to: DateTime!) {
        chargeback(from: $from, to: $to, currency: "eur") { ${REPORT_FIELDS} }
      }`,
      DAY,
    );
    expect(byCenter(euro)).toEqual({ 'CC-SEARCH': ['2.000005', '0', '2.000005'] });
    expect([euro.currency, euro.total, euro.unallocated]).toEqual(['EUR', '2.000005', '0']);
  });

  it('reads the versions in force at an instant and a rule history', async () => {
    const at = async (instant: string) =>
      (
        await gql<{ allocationRules: { name: string; version: number }[] }>(
          service,
          `query($at: DateTime) { allocationRules(at: $at) { name version } }`,
          { at: instant },
        )
      ).allocationRules;
    expect((await at('2026-11-10T12:59:59Z')).find((rule) => rule.name === 'search')).toEqual({
      name: 'search',
      version: 1,
    });
    expect((await at(CHANGE)).find((rule) => rule.name === 'search')).toEqual({
      name: 'search',
      version: 2,
    });
    expect(await at('2026-10-01T00:00:00Z')).toEqual([]);
    const { allocationRuleHistory } = await gql<{
      allocationRuleHistory: {
        version: number;
        effectiveTo: string | null;
        targets: { costCenter: string }[];
      }[];
    }>(
      service,
      `query($id: ID!) { allocationRuleHistory(id: $id) { version effectiveTo targets { costCenter } } }`,
      { id: ids.search },
    );
    expect(allocationRuleHistory).toEqual([
      {
        version: 1,
        effectiveTo: '2026-11-10T13:00:00.000Z',
        targets: [{ costCenter: 'CC-SEARCH' }],
      },
      { version: 2, effectiveTo: null, targets: [{ costCenter: 'CC-SEARCH2' }] },
    ]);
  });

  it('rolls up to parents in marked rows that the total leaves out', async () => {
    const report = await chargeback(service, DAY.from, DAY.to, true);
    const rolled = Object.fromEntries(
      report.rows.filter((row) => row.rolledUp).map((row) => [row.costCenter, row.total]),
    );
    expect(rolled).toEqual({ 'CC-ENG': '32.666667666667', 'CC-ORG': '42.000001' });
    expect(report.total).toBe('49.000001');
    expect(report.rows.find((row) => row.costCenter === 'CC-ORG')).toMatchObject({
      level: 0,
      glAccount: '6000',
      rolledUp: true,
    });
  });

  it('drills down from a cost center to the rules and usage that brought its cost', async () => {
    const { chargebackDetail } = await gql<{
      chargebackDetail: {
        ruleName: string;
        ruleVersion: number;
        kind: string;
        method: string;
        dimensions: Record<string, unknown>;
        amount: string;
      }[];
    }>(
      service,
      `query($from: DateTime!, $to: DateTime!) {
        chargebackDetail(costCenter: "CC-PLAT", from: $from, to: $to) {
          ruleName ruleVersion kind method dimensions amount
        }
      }`,
      DAY,
    );
    expect(chargebackDetail).toEqual([
      {
        ruleName: 'bot by tag',
        ruleVersion: 1,
        kind: 'DIRECT',
        method: 'DIRECT',
        dimensions: expect.objectContaining({
          team: 'platform',
          model: 'alloc-model',
          tags: { app: 'bot' },
        }),
        amount: '9',
      },
      {
        ruleName: 'platform rest',
        ruleVersion: 1,
        kind: 'SHARED',
        method: 'EVEN',
        dimensions: expect.objectContaining({ team: 'platform', feature: 'chat' }),
        amount: '0.333333333333',
      },
    ]);
  });

  it('previews a draft rule set as saving it would charge, and saves nothing', async () => {
    const before = { from: DAY.from, to: CHANGE };
    const saved = await chargeback(service, before.from, before.to);
    const preview = async (rules: unknown[]) =>
      (
        await gql<{ previewAllocation: Report }>(
          service,
          `query($rules: [AllocationRuleInput!]!, $from: DateTime!, $to: DateTime!) {
            previewAllocation(rules: $rules, from: $from, to: $to) { ${REPORT_FIELDS} }
          }`,
          { rules, ...before },
        )
      ).previewAllocation;
    expect(await preview(Object.values(RULES))).toEqual(saved);
    // A draft without the ads rule: its 6 falls to unallocated; the stored rules stay.
    const draft = await preview(Object.values(RULES).filter((rule) => rule.name !== 'ads'));
    expect(new Money(draft.unallocated).minus(saved.unallocated).toFixed()).toBe('6');
    expect(draft.total).toBe(saved.total);
    expect(await chargeback(service, before.from, before.to)).toEqual(saved);
  });

  it('lists cost centers flat and as a tree, and a deactivated one keeps its history', async () => {
    await createCenters(service, [{ code: 'CC-OLD', parentCode: 'CC-ORG' }]);
    await gql(service, `mutation { deactivateCostCenter(code: "CC-OLD") { active } }`);
    const { costCenters } = await gql<{ costCenters: { code: string }[] }>(
      service,
      `{ costCenters { code } }`,
    );
    expect(costCenters.map((center) => center.code)).not.toContain('CC-OLD');
    const all = await gql<{ costCenters: { code: string; active: boolean }[] }>(
      service,
      `{ costCenters(includeInactive: true) { code active } }`,
    );
    expect(all.costCenters).toContainEqual({ code: 'CC-OLD', active: false });
    const { costCenterTree } = await gql<{
      costCenterTree: {
        code: string;
        children: { code: string; children: { code: string }[] }[];
      }[];
    }>(service, `{ costCenterTree { code children { code children { code } } } }`);
    expect(costCenterTree.map((node) => node.code)).toEqual([
      'CC-ATTR',
      'CC-OPS-A',
      'CC-OPS-B',
      'CC-ORG',
    ]);
    const org = costCenterTree.find((node) => node.code === 'CC-ORG')!;
    expect(org.children.map((node) => node.code)).toEqual(['CC-ENG', 'CC-PLAT']);
    expect(org.children[0].children.map((node) => node.code)).toEqual([
      'CC-ADS',
      'CC-SEARCH',
      'CC-SEARCH2',
    ]);
    const updated = await gql<{ updateCostCenter: { glAccount: string | null; owner: string } }>(
      service,
      `mutation { updateCostCenter(code: "CC-PLAT", input: { owner: "ana", glAccount: null }) { glAccount owner } }`,
    );
    expect(updated.updateCostCenter).toEqual({ glAccount: null, owner: 'ana' });
  });
});

// The console suite's data, seeded through the real API of a running instance: priced usage on
// the last three UTC days (whose costs are known by hand), cost centers and rules, budgets with
// a hold and an alert, decisions, an unpriced model, a dead letter, and a reconciliation of the
// OpenAI billing fixtures (July 2026) against usage that matches one of their days.
import { makeUsageEvent } from '@purser/adapters/testing';
import {
  gql,
  ingest,
  MODEL,
  priceModels,
  type UsageFixture,
} from '../allocation/allocation-support';
import { openaiCostsAnswer, priceOpenaiFixtureModels } from '../billing/fixtures';
import { startReplay, type Replay } from '../billing/replay';
import { postUsage, type RunningPurser } from '../support/purser';

const DAY_MS = 86_400_000;
/** A UTC day `back` days before today, YYYY-MM-DD. */
export const dayBefore = (back: number, now = new Date()) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - back * DAY_MS)
    .toISOString()
    .slice(0, 10);

/** MODEL costs $1 per input token and $0.000001 per output token (allocation-support). */
export function usageFixtures(now = new Date()): (UsageFixture & { cost: string })[] {
  const [d0, d1, d2] = [dayBefore(2, now), dayBefore(1, now), dayBefore(0, now)];
  // Three weeks of history before those days, so the overview has a shape to draw.
  const teams = ['search', 'ads', 'platform'];
  const features = ['chat', 'summarize', 'search'];
  const history = Array.from({ length: 18 }, (_, index) => index + 3).flatMap((back) =>
    teams.map((team, teamIndex) => {
      const input = ((back * 7 + teamIndex * 3) % 9) + 1;
      return {
        id: `c-h-${back}-${team}`,
        at: `${dayBefore(back, now)}T00:00:05Z`,
        input,
        attribution: { team, feature: features[(back + teamIndex) % 3] },
        cost: String(input),
      };
    }),
  );
  return [
    ...history,
    { id: 'c-s1', at: `${d0}T00:00:05Z`, input: 3, attribution: { team: 'search' }, cost: '3' },
    {
      id: 'c-s2',
      at: `${d1}T00:00:05Z`,
      input: 2,
      output: 500_000,
      attribution: { team: 'search', feature: 'chat' },
      cost: '2.5',
    },
    { id: 'c-a1', at: `${d2}T00:00:05Z`, input: 10, attribution: { team: 'ads' }, cost: '10' },
    { id: 'c-a2', at: `${d2}T00:00:06Z`, input: 5, attribution: { team: 'ads' }, cost: '5' },
    { id: 'c-u1', at: `${d2}T00:00:07Z`, input: 1, attribution: {}, cost: '1' },
  ];
}

export const UNPRICED_MODEL = 'mystery-model-x1';

export interface Seeded {
  days: string[];
  fixtures: (UsageFixture & { cost: string })[];
  searchBudgetId: string;
  adsBudgetId: string;
  replay: Replay;
}

const CREATE_BUDGET = `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }`;
const AUTHORIZE = `mutation($request: AuthorizeInput!) { authorize(request: $request) { action allow reasons { code } } }`;

export async function seedConsole(service: RunningPurser): Promise<Seeded> {
  const now = new Date();
  await priceModels(service);
  for (const code of ['CC-SEARCH', 'CC-ADS']) {
    await gql(
      service,
      `mutation($input: CostCenterInput!) { createCostCenter(input: $input) { id } }`,
      {
        input: { code, name: code === 'CC-SEARCH' ? 'Search' : 'Ads' },
      },
    );
  }
  const from = `${dayBefore(40, now).slice(0, 7)}-01T00:00:00Z`;
  for (const [team, costCenter, priority] of [
    ['search', 'CC-SEARCH', 10],
    ['ads', 'CC-ADS', 20],
  ] as const) {
    await gql(
      service,
      `mutation($input: AllocationRuleInput!) { createAllocationRule(input: $input) { id } }`,
      {
        input: {
          name: team,
          priority,
          match: { team },
          method: 'DIRECT',
          targets: [{ costCenter }],
          effectiveFrom: from,
        },
      },
    );
  }
  const search = await gql<{ createBudget: { id: string } }>(service, CREATE_BUDGET, {
    input: {
      name: 'Search monthly',
      scope: { team: 'search' },
      period: 'MONTHLY',
      limit: '1000',
      mode: 'ALERT_ONLY',
    },
  });
  const ads = await gql<{ createBudget: { id: string } }>(service, CREATE_BUDGET, {
    input: {
      name: 'Ads daily cap',
      scope: { team: 'ads' },
      period: 'DAILY',
      limit: '20',
      mode: 'BLOCK',
      softThresholds: [0.5],
    },
  });
  const gateway = await service.keyFor('gateway');
  const fixtures = usageFixtures(now);
  await ingest(service, gateway, fixtures);
  // An unpriced model and an event the parser refuses (a dead letter).
  const answer = await postUsage(service, gateway, [
    makeUsageEvent({
      id: 'c-unpriced',
      timestamp: `${dayBefore(0, now)}T00:00:08Z`,
      model: UNPRICED_MODEL,
      usage: { input_tokens: 7, output_tokens: 1 },
      attribution: { team: 'search' },
    }),
    { id: 'c-broken', source: 'console-test', provider: 'openai' },
  ]);
  expect(answer).toMatchObject({ accepted: 1, rejected: 1 });
  // Decisions: search is allowed (and holds its worst case), ads is past its cap and denied.
  for (const [team, tokens, action] of [
    ['search', 1, 'ALLOW'],
    ['ads', 10, 'DENY'],
  ] as const) {
    const decision = await gql<{ authorize: { action: string } }>(service, AUTHORIZE, {
      request: {
        provider: 'openai',
        model: MODEL,
        attribution: { team },
        estimatedInputTokens: tokens,
        maxOutputTokens: 10,
      },
    });
    expect(decision.authorize.action).toBe(action);
  }
  // The decision log is written behind: wait until both are readable.
  for (let waited = 0; ; waited += 1) {
    const logged = await gql<{ decisions: { edges: unknown[] } }>(
      service,
      `query { decisions(first: 10) { edges { cursor } } }`,
    );
    if (logged.decisions.edges.length === 2) break;
    if (waited > 100) throw new Error('The two decisions were never logged');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await service.purser.maintenance!.tick();
  const replay = await seedReconciliation(service);
  return {
    days: [dayBefore(2, now), dayBefore(1, now), dayBefore(0, now)],
    fixtures,
    searchBudgetId: search.createBudget.id,
    adsBudgetId: ads.createBudget.id,
    replay,
  };
}

/** The OpenAI cost fixtures (2026-07-01 and 02) against usage matching gpt-4.1 on 07-01. */
async function seedReconciliation(service: RunningPurser): Promise<Replay> {
  const replay = await startReplay(openaiCostsAnswer);
  await priceOpenaiFixtureModels(service);
  const created = await gql<{ createBillingSource: { id: string } }>(
    service,
    `mutation($input: BillingSourceInput!) { createBillingSource(input: $input) { id } }`,
    {
      input: { provider: 'openai', name: 'openai-org', baseUrl: replay.url, apiKey: 'sk-admin-x' },
    },
  );
  await gql(
    service,
    `mutation($id: ID!) { syncBillingSource(id: $id, from: "2026-07-01T00:00:00Z", to: "2026-07-04T00:00:00Z") { linesImported } }`,
    { id: created.createBillingSource.id },
  );
  const project = 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF';
  const events = [
    ['recon-1', '2026-07-01T10:00:00Z', 3_000_000, 1_227_904, 400_000],
    ['recon-2', '2026-07-01T14:30:00Z', 104_522, 0, 12_877],
  ].map(([id, timestamp, input, cached, output]) =>
    makeUsageEvent({
      id,
      timestamp,
      provider: 'openai',
      model: 'gpt-4.1',
      usage: { input_tokens: input, cache_read_tokens: cached, output_tokens: output },
      attribution: { project },
    }),
  );
  const ingested = await gql<{ ingestUsage: { accepted: number } }>(
    service,
    `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }`,
    { events },
  );
  expect(ingested.ingestUsage.accepted).toBe(2);
  return replay;
}

// End to end against real Postgres, the whole of billing in one chain: usage ingested through
// the real path, allocated to cost centers by rules, two billing sources (OpenAI and Anthropic)
// synced from the local replay server, reconciled day by day and model by model, the variance
// trued up, and then the chargeback's total is the replayed bill to the last decimal, and the
// FOCUS export of the same range sums to it too (its true-up rows carry the variance per cost
// center) and passes every applicable Static rule of the validator's 1.2 rule model.
import { Money } from '@purser/pricing';
import { makeUsageEvent } from '@purser/adapters/testing';
import { upsertPrice } from '../support/decisions';
import { postUsage, type RunningPurser, startPurser } from '../support/purser';
import { chargeback, createCenters, createRule, gql } from '../allocation/allocation-support';
import { getExport, rowsOf, readCsv, sumOf } from '../allocation/exports-support';
import { tableOf } from '../focus/validator/validator';
import { failedRules, staticResults } from '../focus/validator/purser-profile';
import { anthropicCosts, openaiCosts } from './fixtures';
import { startReplay, type Replay } from './replay';

/** The fixtures' per-day totals (fixtures/README-providers.md), 2026-07-01 and 2026-07-02. */
const OPENAI_BILL = ['14.9982688', '5.48354335', '15.5027192', '3.48350955'];
const ANTHROPIC_BILL = ['26.9119953', '2.134911', '27.9752178', '1.937025'];
const BILL = sumOf([...OPENAI_BILL, ...ANTHROPIC_BILL]).toFixed();
const FROM = '2026-07-01T00:00:00Z';
const TO = '2026-07-03T00:00:00Z';
const R8K = 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF';

let sequence = 0;
const call = (
  provider: string,
  model: string,
  timestamp: string,
  usage: Record<string, number>,
  attribution: Record<string, string>,
) =>
  makeUsageEvent({ id: `e2e-${(sequence += 1)}`, provider, model, timestamp, usage, attribution });

describe('from usage to the bill to FOCUS', () => {
  let service: RunningPurser;
  let replay: Replay;

  beforeAll(async () => {
    replay = await startReplay((request) => {
      if (request.query.has('page')) {
        return { body: { object: 'page', data: [], has_more: false, next_page: null } };
      }
      if (request.path.endsWith('/organization/costs')) return { body: openaiCosts() };
      if (request.path.endsWith('/organizations/cost_report')) return { body: anthropicCosts() };
      return { status: 404, body: { error: 'no such fixture' } };
    });
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'bill-to-focus-test-secret-of-32-characters' },
    });
    // List prices in force on the fixtures' days (per million tokens).
    for (const [provider, model, prices] of [
      ['openai', 'gpt-4.1', { inputTokens: '2', cacheReadTokens: '0.5', outputTokens: '8' }],
      [
        'openai',
        'gpt-4.1-mini',
        { inputTokens: '0.4', cacheReadTokens: '0.1', outputTokens: '1.6' },
      ],
      ['anthropic', 'claude-sonnet-4-5-20250929', { inputTokens: '3', outputTokens: '15' }],
      ['anthropic', 'claude-haiku-4-5-20251001', { inputTokens: '1', outputTokens: '5' }],
    ] as const) {
      await upsertPrice(service, {
        provider,
        model,
        prices,
        effectiveFrom: '2026-06-01T00:00:00Z',
      });
    }
    await createCenters(service, [
      { code: 'SEARCH', glAccount: '6100' },
      { code: 'CHAT', glAccount: '6200' },
    ]);
    // search → SEARCH; platform split evenly between SEARCH and CHAT; chat → CHAT.
    for (const [priority, team, method, centers] of [
      [10, 'search', 'DIRECT', ['SEARCH']],
      [20, 'platform', 'EVEN', ['SEARCH', 'CHAT']],
      [30, 'chat', 'DIRECT', ['CHAT']],
    ] as const) {
      await createRule(service, {
        name: team,
        priority,
        match: { team },
        method,
        targets: centers.map((costCenter) => ({ costCenter })),
        effectiveFrom: '2026-06-01T00:00:00Z',
      });
    }
    const events = [];
    for (const day of ['2026-07-01', '2026-07-02']) {
      events.push(
        call(
          'openai',
          'gpt-4.1',
          `${day}T09:00:00Z`,
          { input_tokens: 2_500_000, cache_read_tokens: 1_000_000, output_tokens: 350_000 },
          { team: 'search', project: R8K },
        ),
        call(
          'openai',
          'gpt-4.1-mini',
          `${day}T10:00:00Z`,
          { input_tokens: 5_000_000, output_tokens: 1_000_000 },
          { team: 'platform', project: R8K },
        ),
        call(
          'openai',
          'gpt-4.1',
          `${day}T23:59:59Z`,
          { input_tokens: 100_000, output_tokens: 10_000 },
          {},
        ),
        call(
          'anthropic',
          'claude-sonnet-4-5-20250929',
          `${day}T11:00:00Z`,
          { input_tokens: 2_000_000, output_tokens: 400_000 },
          { team: 'chat' },
        ),
        call(
          'anthropic',
          'claude-haiku-4-5-20251001',
          `${day}T12:00:00Z`,
          { input_tokens: 4_000_000, output_tokens: 900_000 },
          { team: 'platform' },
        ),
      );
    }
    // Outside the range: must change nothing below.
    events.push(
      call(
        'openai',
        'gpt-4.1',
        '2026-07-03T00:00:00Z',
        { input_tokens: 9_000_000 },
        { team: 'search' },
      ),
    );
    expect((await postUsage(service, service.adminToken, events)).accepted).toBe(events.length);

    for (const [provider, apiKey] of [
      ['openai', 'sk-admin-e2e'],
      ['anthropic', 'sk-ant-admin-e2e'],
    ]) {
      const { createBillingSource } = await gql<{ createBillingSource: { id: string } }>(
        service,
        `mutation($input: BillingSourceInput!) { createBillingSource(input: $input) { id } }`,
        { input: { provider, name: `${provider}-org`, baseUrl: replay.url, apiKey } },
      );
      const synced = await gql<{ syncBillingSource: { linesImported: number } }>(
        service,
        `mutation($id: ID!) { syncBillingSource(id: $id, from: "${FROM}", to: "${TO}") { linesImported } }`,
        { id: createBillingSource.id },
      );
      expect(synced.syncBillingSource.linesImported).toBeGreaterThan(0);
    }
  });
  afterAll(async () => {
    await service?.stop();
    await replay?.close();
  });

  it('reconciles each provider: billed is the replayed bill, estimated the priced usage', async () => {
    const spend = await gql<{ spend: { total: string } }>(
      service,
      `query($from: DateTime!, $to: DateTime!) { spend(from: $from, to: $to) { total } }`,
      { from: FROM, to: TO },
    );
    let estimated = new Money(0);
    for (const [provider, bill] of [
      ['openai', OPENAI_BILL],
      ['anthropic', ANTHROPIC_BILL],
    ] as const) {
      const { reconciliation } = await gql<{
        reconciliation: {
          billed: string;
          estimated: string;
          rows: { status: string }[];
          nonTokenCharges: { amount: string }[];
        };
      }>(
        service,
        `query($provider: String!, $from: DateTime!, $to: DateTime!) {
          reconciliation(provider: $provider, from: $from, to: $to) {
            billed estimated rows { status } nonTokenCharges { amount }
          }
        }`,
        { provider, from: FROM, to: TO },
      );
      // The billed token lines and the non-token charges (web search) reported apart: the bill.
      const charges = reconciliation.nonTokenCharges.map((charge) => charge.amount);
      expect(charges.length).toBeGreaterThan(0);
      expect(sumOf([reconciliation.billed, ...charges]).toFixed()).toBe(sumOf(bill).toFixed());
      expect(reconciliation.rows.some((row) => row.status !== 'MATCHED')).toBe(true);
      estimated = estimated.plus(reconciliation.estimated);
    }
    expect(estimated.toFixed()).toBe(new Money(spend.spend.total).toFixed());
    expect(estimated.toFixed()).not.toBe(BILL);
  });

  it('charges back exactly the bill, the variance as true-up', async () => {
    const report = await chargeback(service, FROM, TO);
    expect(new Money(report.total).toFixed()).toBe(BILL);
    const leaves = report.rows.filter((row) => !row.rolledUp);
    const trueUp = sumOf(leaves.map((row) => row.trueUp));
    expect(trueUp.isZero()).toBe(false);
    // Direct + shared + true-up of the cost centers, plus the unallocated, is the bill.
    expect(sumOf([...leaves.map((row) => row.total), report.unallocated]).toFixed()).toBe(BILL);
  });

  it('exports FOCUS that sums to the bill, per cost center as charged back, and validates', async () => {
    const report = await chargeback(service, FROM, TO);
    for (const version of ['1.2', '1.3']) {
      const answer = await getExport(
        service,
        `focus?from=2026-07-01&to=2026-07-03&version=${version}`,
      );
      expect(answer.status).toBe(200);
      const rows = rowsOf(readCsv(answer.text));
      expect(sumOf(rows.map((row) => row.BilledCost)).toFixed()).toBe(BILL);
      expect(sumOf(rows.map((row) => row.EffectiveCost)).toFixed()).toBe(BILL);
      const adjustments = rows.filter((row) => row.ChargeCategory === 'Adjustment');
      expect(adjustments.length).toBeGreaterThan(0);
      expect(new Set(adjustments.map((row) => row.x_CostSource))).toEqual(new Set(['true-up']));
      // Each cost center's rows sum to its chargeback total (within 10⁻¹² a row: the export
      // rounds each row's tokens, the chargeback each combination's cost).
      for (const center of report.rows.filter((row) => !row.rolledUp)) {
        const own = rows.filter((row) => row.x_CostCenter === center.costCenter);
        const gap = sumOf(own.map((row) => row.BilledCost))
          .minus(center.total)
          .abs();
        expect(gap.lte(new Money(own.length).times('1e-12'))).toBe(true);
        const trueUp = sumOf(
          own.filter((row) => row.ChargeCategory === 'Adjustment').map((row) => row.BilledCost),
        );
        expect(trueUp.toFixed()).toBe(new Money(center.trueUp).toFixed());
      }
      if (version === '1.2') expect(failedRules(staticResults(tableOf(answer.text)))).toEqual([]);
    }
  });
});

// Reconciliation against real Postgres: the billed side is the OpenAI fixtures' cost lines
// (synced from the replay server; their per-day totals are in fixtures/README-providers.md),
// the estimate is seeded usage priced by the default catalog. Each status, a missing
// provider day, model matching through the catalog (a used `openai/gpt-4.1` meets a billed
// `gpt-4.1-2025-04-14`), per project and per token type, likely causes, non-token charges.
import { RECONCILIATION_SUBJECT, reconciliationVarianceSchema } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, eventually } from '../support/nats';
import { Money } from '@purser/pricing';
import { postUsage, type RunningPurser, startPurser } from '../support/purser';
import { openaiCostsAnswer, priceOpenaiFixtureModels } from './fixtures';
import { startReplay, type Replay } from './replay';

type Row = {
  dimensions: Record<string, string | null>;
  estimated: string;
  billed: string;
  delta: string;
  deltaPercent: string | null;
  status: string;
  likelyCauses: string[];
};
type Report = {
  rows: Row[];
  estimated: string;
  billed: string;
  delta: string;
  currency: string;
  nonTokenCharges: { day: string; costType: string; amount: string; project: string | null }[];
};

const RECONCILIATION = `query($provider: String!, $from: DateTime!, $to: DateTime!,
    $groupBy: [ReconciliationDimension!], $tolerancePercent: Decimal) {
  reconciliation(provider: $provider, from: $from, to: $to, groupBy: $groupBy,
      tolerancePercent: $tolerancePercent) {
    rows { dimensions estimated billed delta deltaPercent status likelyCauses }
    estimated billed delta currency
    nonTokenCharges { day costType amount project }
  }
}`;

const R8K = 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF';
let sequence = 0;
/** One OpenAI call; `input_tokens` is the uncached input (cache reads apart). */
const call = (
  timestamp: string,
  model: string,
  tokens: { input: number; cached?: number; output: number },
  project = R8K,
) =>
  makeUsageEvent({
    id: `recon-${(sequence += 1)}`,
    provider: 'openai',
    model,
    timestamp,
    usage: {
      input_tokens: tokens.input,
      cache_read_tokens: tokens.cached ?? 0,
      output_tokens: tokens.output,
    },
    attribution: { project },
  });

describe('reconciliation', () => {
  let service: RunningPurser;
  let replay: Replay;
  let nats: NatsConnection;
  const variances: unknown[] = [];
  let sourceId = '';

  beforeAll(async () => {
    nats = await connectNats();
    nats.subscribe(RECONCILIATION_SUBJECT, {
      callback: (_error, message) => {
        variances.push(message.json());
      },
    });
    replay = await startReplay(openaiCostsAnswer);
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'reconciliation-test-secret-of-32-characters' },
      nats: true,
    });
    await priceOpenaiFixtureModels(service);
    const created = await service.graphql<{ createBillingSource: { id: string } }>(
      `mutation($input: BillingSourceInput!) { createBillingSource(input: $input) { id } }`,
      {
        input: {
          provider: 'openai',
          name: 'openai-org',
          baseUrl: replay.url,
          apiKey: 'sk-admin-x',
        },
      },
    );
    const synced = await service.graphql(
      `mutation($id: ID!) { syncBillingSource(id: $id, from: "2026-07-01T00:00:00Z", to: "2026-07-04T00:00:00Z") { linesImported } }`,
      { id: (sourceId = created.data!.createBillingSource.id) },
    );
    expect(synced.errors).toBeUndefined();
    const events = [
      // 2026-07-01 gpt-4.1: exactly what was billed, in two calls, one by a routed name.
      call('2026-07-01T10:00:00Z', 'gpt-4.1', {
        input: 3_000_000,
        cached: 1_227_904,
        output: 400_000,
      }),
      call('2026-07-01T14:30:00Z', 'openai/gpt-4.1', { input: 104_522, output: 12_877 }),
      // 2026-07-01 gpt-4.1-mini: twice the output billed → OVER.
      call('2026-07-01T09:00:00Z', 'gpt-4.1-mini', {
        input: 6_880_410,
        cached: 2_956_032,
        output: 2_280_612,
      }),
      // 2026-07-02 gpt-4.1: half of the input only → UNDER.
      call('2026-07-02T08:00:00Z', 'gpt-4.1', {
        input: 1_678_009,
        cached: 1_318_656,
        output: 438_102,
      }),
      // 2026-07-02 gpt-4o-mini: no price in force that day → unpriced, UNDER.
      call(
        '2026-07-02T11:00:00Z',
        'gpt-4o-mini',
        { input: 14_608_301, cached: 512_000, output: 2_089_774 },
        'proj_L2mP7sT9vX1zC4bN6hJ8kQ0w',
      ),
      // 2026-07-03: the provider billed nothing (a missing day) → MISSING_PROVIDER.
      call('2026-07-03T08:00:00Z', 'gpt-4.1', { input: 1_000_000, output: 0 }),
    ];
    expect((await postUsage(service, service.adminToken, events)).accepted).toBe(events.length);
  });
  afterAll(async () => {
    await nats?.close();
    await service?.stop();
    await replay?.close();
  });

  const reconcile = async (variables: Record<string, unknown>, token?: string) =>
    service.graphql<{ reconciliation: Report }>(
      RECONCILIATION,
      {
        provider: 'openai',
        from: '2026-07-01T00:00:00Z',
        to: '2026-07-04T00:00:00Z',
        ...variables,
      },
      token,
    );

  it('should give each day x model its status, delta and likely causes', async () => {
    const { data, errors } = await reconcile({});
    expect(errors).toBeUndefined();
    const report = data!.reconciliation;
    const rows = report.rows.map((row) => [
      row.dimensions.day,
      row.dimensions.model,
      row.status,
      row.estimated,
      row.billed,
      row.delta,
    ]);
    expect(rows).toEqual([
      ['2026-07-01', 'gpt-4.1', 'MATCHED', '10.126012', '10.126012', '0'],
      ['2026-07-01', 'gpt-4.1-mini', 'OVER', '6.6967464', '4.8722568', '1.8244896'],
      ['2026-07-01', 'gpt-4o-mini', 'MISSING_INTERNAL', '0', '3.34354335', '-3.34354335'],
      ['2026-07-02', 'gpt-4.1', 'UNDER', '7.520162', '10.87618', '-3.356018'],
      ['2026-07-02', 'gpt-4.1-mini', 'MISSING_INTERNAL', '0', '4.6265392', '-4.6265392'],
      ['2026-07-02', 'gpt-4o-mini', 'UNDER', '0', '3.48350955', '-3.48350955'],
      ['2026-07-03', 'gpt-4.1', 'MISSING_PROVIDER', '2', '0', '2'],
    ]);
    const byKey = new Map(
      report.rows.map((row) => [`${row.dimensions.day} ${row.dimensions.model}`, row]),
    );
    expect(byKey.get('2026-07-01 gpt-4.1')!.deltaPercent).toBe('0');
    expect(byKey.get('2026-07-01 gpt-4.1-mini')!.deltaPercent).toBe('37.446499');
    expect(byKey.get('2026-07-03 gpt-4.1')!.deltaPercent).toBeNull();
    expect(byKey.get('2026-07-01 gpt-4o-mini')!.likelyCauses).toEqual([]);
    expect(byKey.get('2026-07-02 gpt-4o-mini')!.likelyCauses).toEqual([
      'unpriced_usage',
      'hours_without_usage',
    ]);
    expect(byKey.get('2026-07-02 gpt-4.1-mini')!.likelyCauses).toEqual([]);
    expect(byKey.get('2026-07-02 gpt-4.1')!.likelyCauses).toEqual(['hours_without_usage']);
    expect(byKey.get('2026-07-01 gpt-4.1')!.likelyCauses).toEqual([]);

    // The billed side is the fixtures' per-day totals, web search reported apart.
    const readmeTotal = ['14.9982688', '5.48354335', '15.5027192', '3.48350955'].reduce(
      (sum, total) => sum.plus(total),
      new Money(0),
    );
    expect(report.nonTokenCharges).toEqual([
      {
        day: '2026-07-01',
        costType: 'web_search',
        amount: '2.14',
        project: 'proj_L2mP7sT9vX1zC4bN6hJ8kQ0w',
      },
    ]);
    expect(new Money(report.billed).plus('2.14').toFixed()).toBe(readmeTotal.toFixed());
    expect(report.estimated).toBe('26.3429204');
    expect(report.delta).toBe(new Money(report.estimated).minus(report.billed).toFixed());
    expect(report.currency).toBe('USD');
  });

  it('should publish each day past the tolerance after the sync', async () => {
    // The sync ran before any usage was stored: both billed days had no estimate.
    // Other suites may sync at the same time: only this suite's source counts.
    const ours = () =>
      variances
        .map((message) => reconciliationVarianceSchema.parse(message))
        .filter((variance) => variance.billing_source_id === sourceId);
    await eventually(() => expect(ours().length).toBe(2));
    const parsed = ours();
    expect(parsed.map((variance) => [variance.day, variance.status, variance.billed])).toEqual([
      ['2026-07-01', 'MISSING_INTERNAL', '18.34181215'],
      ['2026-07-02', 'MISSING_INTERNAL', '18.98622875'],
    ]);
  });

  it('should split by token type and project', async () => {
    const { data, errors } = await reconcile({
      from: '2026-07-01T00:00:00Z',
      to: '2026-07-02T00:00:00Z',
      groupBy: ['MODEL', 'PROJECT', 'TOKEN_TYPE'],
    });
    expect(errors).toBeUndefined();
    const rows = data!.reconciliation.rows.filter((row) => row.dimensions.model === 'gpt-4.1');
    expect(
      rows.map((row) => [
        row.dimensions.project,
        row.dimensions.token_type,
        row.status,
        row.billed,
      ]),
    ).toEqual([
      [R8K, 'cache_read_tokens', 'MATCHED', '0.613952'],
      [R8K, 'input_tokens', 'MATCHED', '6.209044'],
      [R8K, 'output_tokens', 'MATCHED', '3.303016'],
    ]);
    const miniOutput = data!.reconciliation.rows.find(
      (row) =>
        row.dimensions.model === 'gpt-4.1-mini' && row.dimensions.token_type === 'output_tokens',
    )!;
    expect(miniOutput.status).toBe('OVER');
    // Twice the tokens at the same price: the unit price agrees, the quantity does not.
    expect(miniOutput.likelyCauses).toEqual([]);
  });

  it('should widen the tolerance on request and check its input', async () => {
    const { data } = await reconcile({ tolerancePercent: '40' });
    const mini = data!.reconciliation.rows.find(
      (row) => row.dimensions.day === '2026-07-01' && row.dimensions.model === 'gpt-4.1-mini',
    )!;
    expect(mini.status).toBe('MATCHED');
    const bad = await reconcile({ tolerancePercent: '101' });
    expect(bad.errors?.[0]?.message).toMatch(/tolerancePercent/);
    const backwards = await reconcile({ from: '2026-07-03T00:00:00Z', to: '2026-07-01T00:00:00Z' });
    expect(backwards.errors?.[0]?.message).toMatch(/to must be later than from/);
  });

  it('should let finance and viewers read it, not a gateway', async () => {
    expect((await reconcile({}, await service.keyFor('viewer'))).errors).toBeUndefined();
    const refused = await reconcile({}, await service.keyFor('gateway'));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

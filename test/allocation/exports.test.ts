// What unit tests cannot catch: the statement and journal exports of a running service on
// real Postgres — the month's chargeback stated line by line (rules and attribution from the
// drill-down), every statement's rounded lines summing to its rounded total, the whole file
// tying out to `spend` to the last decimal, the journal balancing exactly and rounded, a
// closed month stated from its frozen rows and late usage as a prior-period adjustment, and
// who may read them.
import { Money } from '@purser/pricing';
import { postUsage as postUsageOf, startPurser, type RunningPurser } from '../support/purser';
import { gql } from './allocation-support';
import { createExportRules, exportUsage, getExport, rowsOf, sumOf } from './exports-support';

type Json = Record<string, unknown>;

const SPEND = `query($from: DateTime!, $to: DateTime!) { spend(from: $from, to: $to, groupBy: [PROVIDER]) { total rows { dimensions cost } } }`;
const NOVEMBER = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };

/** Every statement of a file: its lines and its total record, by cost center. */
function statements(rows: Record<string, string>[]) {
  const byCostCenter = new Map<
    string,
    { lines: Record<string, string>[]; total?: Record<string, string> }
  >();
  for (const row of rows) {
    const entry = byCostCenter.get(row.cost_center) ?? { lines: [] };
    if (row.kind === 'total') entry.total = row;
    else entry.lines.push(row);
    byCostCenter.set(row.cost_center, entry);
  }
  return byCostCenter;
}

describe('chargeback and journal exports', () => {
  let service: RunningPurser;
  let gateway: string;

  const graphql = (query: string, variables: Json) => gql(service, query, variables);
  const postUsage = async (events: unknown[]) =>
    expect((await postUsageOf(service, gateway, events)).accepted).toBe(events.length);

  beforeAll(async () => {
    service = await startPurser();
    gateway = await service.keyFor('gateway');
    await createExportRules(service, [
      { code: 'CC-ORG', name: 'Acme, Inc.', glAccount: '6000' },
      { code: 'CC-SEARCH', name: 'Search "core"', parentCode: 'CC-ORG', glAccount: '6100' },
      { code: 'CC-ADS', name: 'Ads', parentCode: 'CC-ORG' },
      { code: 'CC-IDLE', name: '=cmd|idle', parentCode: 'CC-ORG', glAccount: '6300' },
    ]);
    await postUsage([
      exportUsage(
        'n1',
        '2026-11-03T10:15:00Z',
        { team: 'search', feature: 'autocomplete' },
        12_345_678,
      ),
      exportUsage(
        'n2',
        '2026-11-04T11:00:00Z',
        { team: 'search', feature: 'ranking' },
        70_001_003,
        'anthropic',
      ),
      exportUsage('n3', '2026-11-05T12:30:00Z', { team: 'platform', feature: 'evals' }, 33_333_333),
      exportUsage(
        'n4',
        '2026-11-06T13:45:00Z',
        { team: 'platform', feature: 'evals' },
        1_001_001,
        'anthropic',
      ),
      exportUsage('n5', '2026-11-07T09:00:00Z', { team: 'other' }, 5_555_555),
      exportUsage('o1', '2026-10-31T23:59:00Z', { team: 'search' }, 1_000_000),
      exportUsage('d1', '2026-12-01T00:00:00Z', { team: 'search' }, 1_000_000),
    ]);
  });
  afterAll(() => service?.stop());

  it('should state every cost center of the month, tying out to spend to the last decimal', async () => {
    const answer = await getExport(service, 'chargeback?month=2026-11');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/csv; charset=utf-8; header=present');
    expect(answer.records[0]).toEqual([
      'month',
      'currency',
      'cost_center',
      'cost_center_name',
      'gl_account',
      'kind',
      'prior_period',
      'rule',
      'attribution',
      'amount',
      'amount_rounded',
    ]);
    const rows = rowsOf(answer.records);
    const byCostCenter = statements(rows);
    expect([...byCostCenter.keys()]).toEqual(['CC-ADS', 'CC-IDLE', 'CC-ORG', 'CC-SEARCH', '']);
    for (const [, statement] of byCostCenter) {
      expect(statement.total).toBeDefined();
      expect(
        sumOf(statement.lines.map((line) => line.amount)).equals(statement.total!.amount),
      ).toBe(true);
      expect(
        sumOf(statement.lines.map((line) => line.amount_rounded)).equals(
          statement.total!.amount_rounded,
        ),
      ).toBe(true);
      expect(statement.total!.amount_rounded).toMatch(/^-?\d+\.\d{2}$/);
    }
    const search = byCostCenter.get('CC-SEARCH')!;
    expect(
      search.lines.map((line) => [line.kind, line.rule, JSON.parse(line.attribution).team]),
    ).toEqual([
      ['direct', 'search team', 'search'],
      ['direct', 'search team', 'search'],
      ['shared', 'evals, shared', 'platform'],
      ['shared', 'evals, shared', 'platform'],
    ]);
    expect(search.total!.cost_center_name).toBe('Search "core"');
    expect(search.total!.gl_account).toBe('6100');
    expect(byCostCenter.get('CC-IDLE')!.total!.cost_center_name).toBe("'=cmd|idle");
    expect(byCostCenter.get('CC-IDLE')!.total!.amount).toBe('0');
    expect(byCostCenter.get('')!.lines.map((line) => line.kind)).toEqual(['unallocated']);

    const spend = (await graphql(SPEND, NOVEMBER)) as { spend: { total: string } };
    const fileTotal = sumOf([...byCostCenter.values()].map((statement) => statement.total!.amount));
    expect(fileTotal.toFixed()).toBe(new Money(spend.spend.total).toFixed());
    expect(fileTotal.isZero()).toBe(false);
  });

  it('should state the same totals without the drill-down (detail=none)', async () => {
    const totals = async (query: string) =>
      rowsOf((await getExport(service, `chargeback?month=2026-11${query}`)).records)
        .filter((row) => row.kind === 'total')
        .map((row) => [row.cost_center, row.amount, row.amount_rounded]);
    const summary = rowsOf(
      (await getExport(service, 'chargeback?month=2026-11&detail=none')).records,
    );
    expect(summary.every((row) => row.rule === '')).toBe(true);
    expect(await totals('&detail=none')).toEqual(await totals(''));
  });

  it('should state one cost center alone, without unallocated cost', async () => {
    const answer = await getExport(
      service,
      'chargeback?month=2026-11&costCenter=CC-ADS&currency=usd',
    );
    expect(answer.status).toBe(200);
    const rows = rowsOf(answer.records);
    expect(new Set(rows.map((row) => row.cost_center))).toEqual(new Set(['CC-ADS']));
    expect(rows.map((row) => row.kind)).toEqual(['shared', 'shared', 'total']);
    expect(rows.every((row) => row.currency === 'USD')).toBe(true);
  });

  it.each([
    ['chargeback?month=2026-13', 400, 'month: must be a UTC calendar month such as 2026-11'],
    ['chargeback?month=2026-1', 400, 'month: must be'],
    ['chargeback', 400, 'month: required'],
    ['chargeback?month=2026-11&month=2026-10', 400, 'month: give it once'],
    ['chargeback?month=2026-11&monht=1', 400, '"monht": unknown query parameter'],
    ['chargeback?month=2026-11&costCenter=CC-NOPE', 404, 'cost center "CC-NOPE" was not found'],
    ['chargeback?month=2026-11&costCenter=a%20b', 400, 'costCenter: a cost center code'],
    ['chargeback?month=2026-11&currency=dollars', 400, 'currency: a three-letter ISO 4217 code'],
    [
      'journal?month=2026-11&providerAccounts=openai',
      400,
      'providerAccounts: each entry is provider:account',
    ],
    ['journal?month=2026-11&costCenter=CC-ADS', 400, '"costCenter": unknown query parameter'],
  ])('should answer %s with %i naming the parameter', async (path, status, message) => {
    const answer = await getExport(service, path);
    expect(answer.status).toBe(status);
    expect((JSON.parse(answer.text) as { message: string }).message).toContain(message);
  });

  it('should let admin, finance and viewer keys read the exports, and no one else', async () => {
    for (const role of ['finance', 'viewer']) {
      const token = await service.keyFor(role);
      expect((await getExport(service, 'chargeback?month=2026-11', token)).status).toBe(200);
      expect((await getExport(service, 'journal?month=2026-11', token)).status).toBe(200);
    }
    const refused = await getExport(service, 'journal?month=2026-11', gateway);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('FORBIDDEN');
    expect((await getExport(service, 'chargeback?month=2026-11', null)).status).toBe(401);
  });

  it('should write the journal: debits to GL accounts, credits per provider, balanced exactly and rounded', async () => {
    const answer = await getExport(
      service,
      'journal?month=2026-11&providerAccounts=openai:2101,anthropic:2102&unallocatedAccount=9999',
    );
    expect(answer.status).toBe(200);
    const rows = rowsOf(answer.records);
    expect(sumOf(rows.map((row) => row.debit)).equals(sumOf(rows.map((row) => row.credit)))).toBe(
      true,
    );
    expect(
      sumOf(rows.map((row) => row.debit_rounded)).equals(
        sumOf(rows.map((row) => row.credit_rounded)),
      ),
    ).toBe(true);
    expect(rows.filter((row) => row.debit).map((row) => [row.account, row.cost_center])).toEqual([
      ['6000', 'CC-ORG'],
      ['6100', 'CC-SEARCH'],
      ['6900', 'CC-ADS'],
      ['9999', ''],
    ]);
    const spend = (await graphql(SPEND, NOVEMBER)) as {
      spend: { rows: { dimensions: { provider: string }; cost: string }[] };
    };
    expect(
      rows.filter((row) => row.credit).map((row) => [row.account, row.provider, row.credit]),
    ).toEqual(
      [
        [
          '2101',
          'openai',
          spend.spend.rows.find((row) => row.dimensions.provider === 'openai')!.cost,
        ],
        [
          '2102',
          'anthropic',
          spend.spend.rows.find((row) => row.dimensions.provider === 'anthropic')!.cost,
        ],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
  });

  it('should state a closed month from its frozen rows, and its late usage in the next month', async () => {
    const before = rowsOf((await getExport(service, 'chargeback?month=2026-11')).records);
    expect(
      (await service.graphql(`mutation { closePeriod(month: "2026-11") }`)).errors,
    ).toBeUndefined();
    const frozen = rowsOf((await getExport(service, 'chargeback?month=2026-11')).records);
    const totals = (rows: Record<string, string>[]) =>
      rows.filter((row) => row.kind === 'total').map((row) => [row.cost_center, row.amount]);
    // Closed and nothing late: the same statements, rules and attribution included.
    expect(frozen).toEqual(before);
    // Late usage for the closed month: November's statement does not move.
    await postUsage([
      exportUsage('late1', '2026-11-20T10:00:00Z', { team: 'search' }, 250_000_000),
    ]);
    const late = rowsOf((await getExport(service, 'chargeback?month=2026-11')).records);
    expect(totals(late)).toEqual(totals(before));
    // CC-SEARCH's drill-down now holds the late usage: its frozen row is stated without rules.
    expect(
      late.filter((row) => row.cost_center === 'CC-SEARCH').map((row) => [row.kind, row.rule]),
    ).toEqual([
      ['direct', ''],
      ['shared', ''],
      ['total', ''],
    ]);
    const december = rowsOf((await getExport(service, 'chargeback?month=2026-12')).records);
    const adjustment = december.find((row) => row.kind === 'prior-period-adjustment');
    expect(adjustment).toMatchObject({ cost_center: 'CC-SEARCH', prior_period: '2026-11' });
    expect(new Money(adjustment!.amount).isPositive()).toBe(true);
    // December's journal still balances: the adjustment has no provider in the chargeback.
    const journal = rowsOf((await getExport(service, 'journal?month=2026-12')).records);
    expect(
      sumOf(journal.map((row) => row.debit)).equals(sumOf(journal.map((row) => row.credit))),
    ).toBe(true);
    expect(journal.some((row) => row.credit && row.provider === '')).toBe(true);
  });
});

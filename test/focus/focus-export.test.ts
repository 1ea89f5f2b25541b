// The FOCUS export of a running service on real Postgres: the file's BilledCost sums to
// `spend` for the range to the last decimal, each cost center's rows to its chargeback
// total, quantities to the tokens sent; the header is the version's FOCUS columns; only admin
// and finance may read it; a bad parameter answers 400 naming it (also on generated query
// strings); and `pnpm purser export focus` writes the same file as the route.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { runCli } from '../support/cli';
import { postUsage, startPurser, type RunningPurser } from '../support/purser';
import { gql } from '../allocation/allocation-support';
import {
  createExportRules,
  exportUsage,
  getExport,
  rowsOf,
  sumOf,
} from '../allocation/exports-support';

const columnsOf = (file: string) =>
  (
    JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8')) as {
      name: string;
    }[]
  ).map((column) => column.name);
const columns13 = columnsOf('columns.json');
const columns12 = columnsOf('columns-1.2.json');

type Json = Record<string, unknown>;

const SPEND = `query($from: DateTime!, $to: DateTime!) { spend(from: $from, to: $to) { total } }`;
const CHARGEBACK = `query($from: DateTime!, $to: DateTime!) { chargeback(from: $from, to: $to) { total unallocated rows { costCenter total rolledUp } } }`;
const NOVEMBER = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
const PURSER_COLUMNS = [
  'x_CostCenter',
  'x_CostSource',
  'x_PriceCardId',
  'x_Requests',
  'x_TokenType',
  'x_Model',
];

describe('FOCUS export', () => {
  let service: RunningPurser;
  let gateway: string;
  const sent = { input: 0, output: 0, cacheRead: 0 };

  const graphql = (query: string, variables: Json) => gql(service, query, variables);
  /** An export suite's usage event, its tokens counted in `sent` when it falls in November. */
  const event = (...args: Parameters<typeof exportUsage>) => {
    const [, timestamp, , input, , cacheRead = 0] = args;
    if (timestamp >= NOVEMBER.from && timestamp < NOVEMBER.to) {
      sent.input += input;
      sent.output += 7;
      sent.cacheRead += cacheRead;
    }
    return exportUsage(...args);
  };

  beforeAll(async () => {
    service = await startPurser();
    gateway = await service.keyFor('gateway');
    await createExportRules(service, [
      { code: 'CC-SEARCH', name: 'Search' },
      { code: 'CC-ADS', name: 'Ads' },
      { code: 'CC-ORG', name: 'Org, "shared"' },
    ]);
    const events = [
      event(
        'n1',
        '2026-11-03T10:15:00Z',
        { team: 'search', project: 'p-1' },
        12_345_678,
        'openai',
        1_000,
      ),
      event('n1b', '2026-11-03T22:15:00Z', { team: 'search', project: 'p-1' }, 5, 'openai', 3),
      event('n2', '2026-11-04T11:00:00Z', { team: 'search' }, 70_001_003, 'anthropic'),
      event('n3', '2026-11-05T12:30:00Z', { team: 'platform', feature: 'evals' }, 33_333_333),
      event(
        'n4',
        '2026-11-06T13:45:00Z',
        { team: 'platform', feature: 'evals' },
        1_001_001,
        'anthropic',
      ),
      event('n5', '2026-11-07T09:00:00Z', { team: 'other, "quoted"' }, 5_555_555),
      event('n6', '2026-11-30T23:59:59Z', {}, 101),
      event('o1', '2026-10-31T23:59:00Z', { team: 'search' }, 1_000_000),
      event('d1', '2026-12-01T00:00:00Z', { team: 'search' }, 1_000_000),
    ];
    expect((await postUsage(service, gateway, events)).accepted).toBe(events.length);
  });
  afterAll(() => service?.stop());

  it('should tie out to spend and to the chargeback exactly, with token quantities', async () => {
    const answer = await getExport(service, 'focus?from=2026-11-01&to=2026-12-01&version=1.3');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/csv; charset=utf-8; header=present');
    expect(answer.records[0]).toEqual([...columns13, ...PURSER_COLUMNS]);
    const rows = rowsOf(answer.records);
    const spend = (await graphql(SPEND, NOVEMBER)).spend as { total: string };
    expect(new Money(spend.total).isZero()).toBe(false);
    expect(sumOf(rows.map((row) => row.BilledCost)).toFixed()).toBe(
      new Money(spend.total).toFixed(),
    );
    expect(sumOf(rows.map((row) => row.EffectiveCost)).equals(spend.total)).toBe(true);
    // Per cost center: the chargeback's totals. A DIRECT cost center and the unallocated
    // rest are exact; a split row's parts are its tokens split (12 places) × the unit price,
    // so an EVEN split by three may differ from the chargeback's own rounding by less than
    // 10^-12 per row — the file's total stays exact.
    const report = (await graphql(CHARGEBACK, NOVEMBER)).chargeback as {
      unallocated: string;
      rows: { costCenter: string; total: string; rolledUp: boolean }[];
    };
    for (const center of report.rows.filter((row) => !row.rolledUp)) {
      const mine = rows.filter((row) => row.x_CostCenter === center.costCenter);
      const difference = sumOf(mine.map((row) => row.BilledCost))
        .minus(center.total)
        .abs();
      expect([
        center.costCenter,
        difference.toFixed(),
        difference.lte(new Money('1e-12').times(mine.length)),
      ]).toEqual([center.costCenter, difference.toFixed(), true]);
    }
    const search = report.rows.find((row) => row.costCenter === 'CC-SEARCH');
    const unallocated = rows.filter((row) => row.x_CostCenter === '');
    expect(sumOf(unallocated.map((row) => row.BilledCost)).equals(report.unallocated)).toBe(true);
    expect(search).toBeDefined();
    // Tokens: every token sent in the range, per token type.
    const tokens = (type: string) =>
      sumOf(rows.filter((row) => row.x_TokenType === type).map((row) => row.ConsumedQuantity));
    expect(tokens('input').toFixed()).toBe(String(sent.input));
    expect(tokens('output').toFixed()).toBe(String(sent.output));
    expect(tokens('cache_read').toFixed()).toBe(String(sent.cacheRead));
    for (const row of rows) {
      expect(row).toMatchObject({
        ChargeCategory: 'Usage',
        ServiceCategory: 'AI and Machine Learning',
        ServiceSubcategory: 'Generative AI',
        ConsumedUnit: 'Tokens',
        PricingUnit: '1000000 Tokens',
        BillingCurrency: 'USD',
        BillingPeriodStart: '2026-11-01T00:00:00Z',
        BillingPeriodEnd: '2026-12-01T00:00:00Z',
        x_CostSource: 'estimate',
      });
      expect(row.ChargePeriodStart >= '2026-11-01T00:00:00Z').toBe(true);
      expect(row.ChargePeriodEnd <= '2026-12-01T00:00:00Z').toBe(true);
      expect(row.SkuPriceId.startsWith(`${row.SkuId}/`)).toBe(true);
      expect(new Money(row.ListUnitPrice).times(row.PricingQuantity).equals(row.ListCost)).toBe(
        true,
      );
      const tags = JSON.parse(row.Tags) as Record<string, string>;
      expect(tags.cost_center ?? '').toBe(row.x_CostCenter);
    }
    // One row per day × provider × model × token type × attribution × cost center: the two
    // search events of Nov 3 make one input row, the evals event three (EVEN by three).
    const nov3 = rows.filter(
      (row) => row.ChargePeriodStart === '2026-11-03T00:00:00Z' && row.x_TokenType === 'input',
    );
    expect(nov3.map((row) => [row.x_CostCenter, row.ConsumedQuantity, row.x_Requests])).toEqual([
      ['CC-SEARCH', '12345683', '2'],
    ]);
    expect(JSON.parse(nov3[0].Tags)).toEqual({
      team: 'search',
      project: 'p-1',
      cost_center: 'CC-SEARCH',
    });
    expect(nov3[0]).toMatchObject({ SubAccountId: 'p-1', SubAccountType: 'Project' });
    const evals = rows.filter(
      (row) => row.ChargePeriodStart === '2026-11-05T00:00:00Z' && row.x_TokenType === 'input',
    );
    expect(evals.map((row) => row.x_CostCenter)).toEqual(['CC-ADS', 'CC-ORG', 'CC-SEARCH']);
    expect(sumOf(evals.map((row) => row.ConsumedQuantity)).toFixed()).toBe('33333333');
  });

  it('should write the 1.2 columns for version 1.2', async () => {
    const answer = await getExport(service, 'focus?from=2026-11-01&to=2026-12-01&version=1.2');
    expect(answer.status).toBe(200);
    expect(answer.records[0]).toEqual([...columns12, ...PURSER_COLUMNS]);
    expect(answer.records[0]).not.toContain('ServiceProviderName');
  });

  it('should let admin and finance read it, and refuse viewer, gateway and no key', async () => {
    const query = 'focus?from=2026-11-01&to=2026-11-02';
    expect((await getExport(service, query, await service.keyFor('finance'))).status).toBe(200);
    expect((await getExport(service, query, await service.keyFor('viewer'))).status).toBe(403);
    expect((await getExport(service, query, gateway)).status).toBe(403);
    expect((await getExport(service, query, null)).status).toBe(401);
  });

  it('should answer 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['focus?to=2026-12-01', 'from'],
      ['focus?from=2026-11-01', 'to'],
      ['focus?from=2026-11-01T10:00:00Z&to=2026-12-01', 'from'],
      ['focus?from=2026-11-31&to=2026-12-01', 'from'],
      ['focus?from=2026-12-01&to=2026-11-01', 'to'],
      ['focus?from=2026-11-01&to=2026-12-01&version=1.1', 'version'],
      ['focus?from=2026-11-01&to=2026-12-01&currency=dollars', 'currency'],
      ['focus?from=2026-11-01&to=2026-12-01&from=2026-11-02', 'from'],
      ['focus?from=2026-11-01&to=2026-12-01&month=2026-11', '"month"'],
    ];
    for (const [query, name] of cases) {
      const answer = await getExport(service, query);
      expect([query, answer.status]).toEqual([query, 400]);
      const body = JSON.parse(answer.text) as { code: string; message: string };
      expect([query, body.code, body.message.startsWith(`${name}:`)]).toEqual([
        query,
        'BAD_USER_INPUT',
        true,
      ]);
    }
  });

  it('should answer generated query strings with 200 or 400, never a 5xx', async () => {
    const part = fc.oneof(
      fc.constantFrom('from', 'to', 'version', 'currency', 'x', 'from[]', 'to[a]'),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.oneof(
      fc.constantFrom('2026-11-01', '2026-11-02', '1.2', '1.3', 'usd', '2026-11-01T00:00:00Z'),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(part, value), { maxLength: 5 }), async (pairs) => {
        const query = pairs
          .map(([name, text]) => `${encodeURIComponent(name)}=${encodeURIComponent(text)}`)
          .join('&');
        const answer = await getExport(service, `focus?${query}`);
        expect([200, 400]).toContain(answer.status);
      }),
      { numRuns: 60 },
    );
  });

  it('should write the same file from the CLI as from the route', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-focus-'));
    const file = path.join(directory, 'focus.csv');
    try {
      const args = ['export', 'focus', '--from', '2026-11-01', '--to', '2026-12-01'];
      const run = await runCli([...args, '--version', '1.3', '--out', file], service.database.url);
      expect(run).toEqual({ code: 0, stderr: '' });
      const answer = await getExport(service, 'focus?from=2026-11-01&to=2026-12-01&version=1.3');
      expect(fs.readFileSync(file, 'utf8')).toBe(answer.text);
      const bad = await runCli(
        ['export', 'focus', '--from', '2026-11-01', '--to', 'soon'],
        undefined,
      );
      expect(bad.code).toBe(64);
      expect(bad.stderr.startsWith('--to: must be a UTC day')).toBe(true);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

// The monthly report of a running service on real Postgres, for a month seeded with known
// spend: the CSV's sums equal the known totals and tie to spend, chargeback and
// reconciliation; the PDF read back with pdf.js has the totals, a cost center's name and the
// page count its footer says; the HTML has the figures and escapes a hostile feature name;
// viewer and finance may read it, a gateway key and no key may not; a bad month or format
// answers 400 naming it (also on generated query strings); the CLI writes the route's bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { createBudget } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { gql, ingest, priceModels, MODEL } from '../allocation/allocation-support';
import { readCsv, rowsOf, sumOf } from '../allocation/exports-support';
import { runCli } from '../support/cli';
import { getReport, pdfPages } from './monthly-report-support';

const HOSTILE = '<script>alert("pwn")</script> & <b>';
const NOVEMBER = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };

describe('monthly report', () => {
  let service: RunningPurser;
  let gateway: string;

  beforeAll(async () => {
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'report-test-secret-of-at-least-32-chars' },
    });
    gateway = await service.keyFor('gateway');
    await priceModels(service);
    for (const input of [
      { code: 'CC-SEARCH', name: 'Search & Discovery' },
      { code: 'CC-SUPPORT', name: 'Support' },
    ]) {
      await gql(
        service,
        `mutation($input: CostCenterInput!) { createCostCenter(input: $input) { code } }`,
        { input },
      );
    }
    for (const [priority, team, costCenter] of [
      [10, 'search', 'CC-SEARCH'],
      [20, 'support', 'CC-SUPPORT'],
    ] as const) {
      await gql(
        service,
        `mutation($input: AllocationRuleInput!) { createAllocationRule(input: $input) { id } }`,
        {
          input: {
            name: `${team} team`,
            priority,
            match: { team },
            method: 'DIRECT',
            targets: [{ costCenter }],
            effectiveFrom: '2026-01-01T00:00:00Z',
          },
        },
      );
    }
    await createBudget(service, {
      name: 'search monthly',
      scope: { team: 'search' },
      period: 'MONTHLY',
      limit: '5',
      mode: 'ALERT_ONLY',
      softThresholds: [0.5],
    });
    // MODEL: input tokens $1 each, output tokens $0.000001 each.
    await ingest(service, gateway, [
      {
        id: 'o1',
        at: '2026-10-20T09:00:00Z',
        input: 4,
        attribution: { team: 'search', feature: 'chat' },
      },
      {
        id: 'n1',
        at: '2026-11-03T10:00:00Z',
        input: 3,
        attribution: { team: 'search', feature: 'chat' },
      },
      {
        id: 'n2',
        at: '2026-11-03T11:30:00Z',
        input: 3,
        output: 250_000,
        attribution: { team: 'search', feature: 'chat' },
      },
      {
        id: 'n3',
        at: '2026-11-15T08:00:00Z',
        input: 2,
        output: 7,
        attribution: { team: 'support', feature: HOSTILE },
      },
      { id: 'n4', at: '2026-11-30T23:59:59Z', input: 1 },
      {
        id: 'd1',
        at: '2026-12-01T00:00:00Z',
        input: 100,
        attribution: { team: 'search', feature: 'chat' },
      },
    ]);
    // The provider's bill: 6.5 on Nov 3 (estimate 6.25: UNDER), 2.000007 on Nov 15 (MATCHED).
    const source = await gql<{ createBillingSource: { id: string } }>(
      service,
      `mutation { createBillingSource(input: { provider: "focus", name: "bills" }) { id } }`,
    );
    for (const [key, day, amount] of [
      ['line-1', '2026-11-03', '6.5'],
      ['line-2', '2026-11-15', '2.000007'],
    ]) {
      await service.purser.dataSource.query(
        `INSERT INTO provider_cost_lines (source_id, line_key, day, provider, model, line_item, cost_type, amount, currency)
         VALUES ($1, $2, $3, 'openai', $4, 'tokens', 'tokens', $5, 'USD')`,
        [source.createBillingSource.id, key, day, MODEL, amount],
      );
    }
    const metrics = await fetch(`${service.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
      body: JSON.stringify([{ name: 'tickets', timestamp: '2026-11-10T00:00:00Z', value: 4 }]),
    });
    expect(metrics.status).toBe(200);
  });
  afterAll(() => service?.stop());

  it('should answer the month as CSV whose sums are the known totals and tie to the services', async () => {
    const answer = await getReport(service, 'month=2026-11&format=csv');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/csv; charset=utf-8; header=present');
    expect(answer.headers.get('content-disposition')).toBe(
      'attachment; filename="purser-report-2026-11.csv"',
    );
    const rows = rowsOf(readCsv(answer.body.toString('utf8')));
    const values = (section: string, measure: string) =>
      rows.filter((row) => row.section === section && row.measure === measure);
    const value = (section: string, item: string, measure: string) =>
      values(section, measure).find((row) => row.item === item)?.value;

    // 3 + 3.25 + 2.000007 + 1: the days and the features each add up to it.
    expect(value('summary', '2026-11', 'total')).toBe('9.250007');
    expect(value('summary', '2026-11', 'requests')).toBe('4');
    expect(values('daily', 'cost')).toHaveLength(30);
    expect(sumOf(values('daily', 'cost').map((row) => row.value)).toFixed()).toBe('9.250007');
    expect(value('daily', '2026-11-03', 'cost')).toBe('6.25');
    expect(sumOf(values('feature', 'cost').map((row) => row.value)).toFixed()).toBe('9.250007');
    expect(value('feature', 'chat', 'cost')).toBe('6.25');
    expect(value('feature', HOSTILE, 'cost')).toBe('2.000007');
    expect(value('feature', '', 'cost')).toBe('1');
    expect(value('month', '2026-10', 'total')).toBe('4');

    // The chargeback: cost centers + unallocated + adjustments = its total, = the service's.
    const { chargeback } = await gql<{
      chargeback: { total: string; rows: { costCenter: string; total: string }[] };
    }>(
      service,
      `query($from: DateTime!, $to: DateTime!) { chargeback(from: $from, to: $to) { total rows { costCenter total } } }`,
      NOVEMBER,
    );
    const charged = [...values('cost_center', 'total'), ...values('chargeback', 'total')];
    expect(sumOf(charged.map((row) => row.value)).toFixed()).toBe(
      value('summary', '2026-11', 'chargeback_total'),
    );
    expect(
      new Money(value('summary', '2026-11', 'chargeback_total')!).equals(chargeback.total),
    ).toBe(true);
    expect(value('cost_center', 'CC-SEARCH', 'total')).toBe(
      chargeback.rows.find((row) => row.costCenter === 'CC-SEARCH')!.total,
    );
    expect(values('cost_center', 'total').find((row) => row.item === 'CC-SEARCH')?.name).toBe(
      'Search & Discovery',
    );

    // Variance: the month's estimate (9.250007) against the bill (8.500007): Nov 3 estimated
    // under the bill, Nov 15 matched, Nov 30 not billed.
    expect(value('variance', 'openai', 'billed')).toBe('8.500007');
    expect(value('variance', 'openai', 'estimated')).toBe('9.250007');
    expect(value('variance', 'openai', 'delta')).toBe('0.75');
    expect(value('variance', 'openai', 'rows_under')).toBe('1');
    expect(value('variance', 'openai', 'rows_matched')).toBe('1');
    expect(value('variance', 'openai', 'rows_missing_provider')).toBe('1');

    // Unit economics: 9.250007 / 4 tickets; the budget: 6.25 of 5 in November, 0.5 and 1 crossed.
    expect(value('unit_economics', 'tickets', 'cost_per_unit')).toBe('2.31250175');
    const budget = (measure: string) => values('budget', measure)[0]?.value;
    expect(values('budget', 'spent')[0]?.name).toBe('search monthly');
    expect([budget('limit'), budget('spent'), budget('peak_percent')]).toEqual([
      '5',
      '6.25',
      '125.0',
    ]);
    expect([budget('windows'), budget('over_limit'), budget('alerts')]).toEqual([
      '1',
      '1',
      '0.5;1',
    ]);

    // Waste: the month's findings of wasteReport, summed per category.
    const { wasteReport } = await gql<{
      wasteReport: { category: string; spend: string; recoverable: string }[];
    }>(
      service,
      `query($from: DateTime!, $to: DateTime!) { wasteReport(from: $from, to: $to, limit: 500) { category spend recoverable } }`,
      NOVEMBER,
    );
    expect(wasteReport.length).toBeGreaterThan(0);
    const categories = new Set(wasteReport.map((finding) => finding.category));
    expect(
      values('waste', 'spend')
        .map((row) => row.item)
        .sort(),
    ).toEqual([...categories].sort());
    for (const category of categories) {
      const findings = wasteReport.filter((finding) => finding.category === category);
      expect(value('waste', category, 'findings')).toBe(String(findings.length));
      expect(value('waste', category, 'spend')).toBe(sumOf(findings.map((f) => f.spend)).toFixed());
      expect(value('waste', category, 'recoverable')).toBe(
        sumOf(findings.map((f) => f.recoverable)).toFixed(),
      );
    }
  });

  it('should render a PDF with real text: totals, a cost center, every page numbered', async () => {
    const answer = await getReport(service, 'month=2026-11');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/pdf');
    const pages = await pdfPages(answer.body);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const text = pages.join('\n');
    for (const expected of [
      'Purser monthly report: November 2026',
      '9.250007 USD',
      'October 2026',
      'Search & Discovery',
      'CC-SUPPORT',
      '6.25',
      '2.31250175',
      'search monthly',
      '50 %, 100 %',
      '8.82 %',
    ]) {
      expect(text).toContain(expected);
    }
    pages.forEach((page, index) => expect(page).toContain(`page ${index + 1} of ${pages.length}`));
  });

  it('should render one self-contained HTML page with the figures and the hostile name escaped', async () => {
    const answer = await getReport(service, 'month=2026-11&format=html');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = answer.body.toString('utf8');
    expect(html).not.toMatch(/<script|src=|href=/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt; &amp; &lt;b&gt;');
    for (const expected of ['9.250007 USD', 'Search &amp; Discovery', '8.500007', '125.0 %']) {
      expect(html).toContain(expected);
    }
  });

  it('should let admin, finance and viewer read it, not a gateway key or no key', async () => {
    for (const role of ['finance', 'viewer']) {
      const answer = await getReport(
        service,
        'month=2026-11&format=csv',
        await service.keyFor(role),
      );
      expect(answer.status).toBe(200);
    }
    const refused = await getReport(service, 'month=2026-11&format=csv', gateway);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body.toString('utf8'))).toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = await getReport(service, 'month=2026-11', null);
    expect(anonymous.status).toBe(401);
  });

  it('should answer a bad month or format with 400 naming it', async () => {
    for (const [query, start] of [
      ['month=2026-13', 'month: '],
      ['format=csv', 'month: required'],
      ['month=2026-11&format=docx', 'format: '],
      ['month=2026-11&format=csv&format=pdf', 'format: give it once'],
      ['month=2026-11&months=2', '"months": unknown query parameter'],
    ]) {
      const answer = await getReport(service, query);
      expect(answer.status).toBe(400);
      const body = JSON.parse(answer.body.toString('utf8')) as { code: string; message: string };
      expect(body.code).toBe('BAD_USER_INPUT');
      expect(body.message.startsWith(start)).toBe(true);
    }
  });

  it('should answer generated query strings with a report or a 400 naming a parameter, never a 500', async () => {
    const value = fc.oneof(
      fc.constantFrom('2026-11', '2026-02', '1970-01', 'pdf', 'html', 'csv', '', '2026-1', '%00'),
      fc.string({ maxLength: 12 }),
    );
    const key = fc.oneof(
      fc.constantFrom('month', 'format', 'month[]', 'format[a]'),
      fc.string({ maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 3 }), async (pairs) => {
        const query = pairs
          .map(([name, text]) => `${encodeURIComponent(name)}=${encodeURIComponent(text)}`)
          .join('&');
        const answer = await getReport(service, query);
        if (answer.status === 200) return;
        expect(answer.status).toBe(400);
        const body = JSON.parse(answer.body.toString('utf8')) as { code: string; message: string };
        expect(body.code).toBe('BAD_USER_INPUT');
        expect(body.message).toMatch(/^(month|format|"[^]*"): /);
      }),
      { numRuns: 60 },
    );
  });

  it('should write the same bytes from the CLI as the route answers', async () => {
    if (!service.database.url) {
      console.warn(
        'skipped: the CLI and the service cannot share an embedded database (set DATABASE_URL)',
      );
      return;
    }
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-report-'));
    try {
      for (const format of ['pdf', 'csv', 'html']) {
        const file = path.join(directory, `report.${format}`);
        const run = await runCli(
          ['report', 'monthly', '--month', '2026-11', '--format', format, '--out', file],
          service.database.url,
        );
        expect(run).toEqual({ code: 0, stderr: '' });
        const answer = await getReport(service, `month=2026-11&format=${format}`);
        expect(fs.readFileSync(file).equals(answer.body)).toBe(true);
      }
      const bad = await runCli(['report', 'monthly', '--month', 'soon'], undefined);
      expect(bad.code).toBe(64);
      expect(bad.stderr.startsWith('--month: must be a UTC calendar month')).toBe(true);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

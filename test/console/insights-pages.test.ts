// The console's waste and anomalies pages in a real headless Chromium, signed in with a viewer
// key, against a running Purser on Postgres seeded with the waste suite's usage
// (test/insights/waste-seed.ts: findings with amounts worked out by hand) and 8 weeks of one
// feature's spend with a known spike (as test/insights/anomalies.test.ts seeds it). The pages
// must show what the queries answer, with the right amounts; a screenshot of each page lands
// in test/artifacts/console/.
import { Money } from '@purser/pricing';
import type { Browser, Page } from 'puppeteer-core';
import { ingest, priceModels, type UsageFixture } from '../allocation/allocation-support';
import { RANGE, seedWaste, WASTE, type Finding } from '../insights/waste-seed';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  describeWithBrowser,
  launchBrowser,
  openPage,
  screenshot,
  signIn,
  tableRows,
  waitForRows,
  watchedPage,
} from './browser';

const DAY_MS = 86_400_000;
const dayAt = (day: number, hour: number) =>
  new Date(Date.UTC(2026, 8, 29) + day * DAY_MS + hour * 3_600_000).toISOString();
const FEATURE = 'assistant';
const TEAM = 'support';
const SPIKE = '2026-11-24T14:00:00.000Z';

/** 10.00 a day at 14:00 UTC from 2026-09-29 for 8 weeks, then 500 more on 2026-11-24 14:00. */
async function seedAnomaly(service: RunningPurser, gateway: string): Promise<void> {
  await priceModels(service);
  const attribution = { feature: FEATURE, team: TEAM };
  const events: UsageFixture[] = Array.from({ length: 58 }, (_, day) => ({
    id: `anomaly-day-${day}`,
    at: dayAt(day, 14),
    input: 10,
    attribution,
  }));
  events.push({ id: 'anomaly-spike', at: dayAt(56, 14), input: 500, attribution });
  await ingest(service, gateway, events);
}

/** A dollar amount as the waste page shows it: cents, or "< $0.01" above zero under a cent. */
const dollars = (value: string) => {
  const cents = new Money(value).toFixed(2, Money.ROUND_HALF_UP);
  return new Money(value).gt(0) && new Money(cents).isZero() ? '< $0.01' : `$${cents}`;
};

/** Sets the range picker's From and To days as a user would. */
async function setRange(page: Page, from: string, to: string): Promise<void> {
  const dates = await page.$$('main input[type="date"]');
  for (const [input, value] of [
    [dates[0], from],
    [dates[1], to],
  ] as const) {
    await input.evaluate((element, text) => {
      Object.assign(element, { value: text });
      element.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }
}

describeWithBrowser('console insights pages', () => {
  let service: RunningPurser;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  let viewer: string;
  let findings: Finding[];

  beforeAll(async () => {
    service = await startPurser({ env: { PURSER_ANOMALY_INTERVAL_SECONDS: '0' } });
    viewer = await service.keyFor('viewer');
    await seedWaste(service);
    await seedAnomaly(service, await service.keyFor('gateway'));
    browser = await launchBrowser();
    ({ page, problems } = await watchedPage(browser));
    await signIn(page, service.url, viewer);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('should show a viewer both pages in the navigation', async () => {
    expect(await page.$eval('[data-testid="role"]', (element) => element.textContent)).toBe(
      'viewer',
    );
    const nav = await page.$$eval('nav a', (links) => links.map((link) => link.textContent));
    expect(nav).toEqual(expect.arrayContaining(['Waste', 'Anomalies']));
  });

  it('should rank the waste findings by dollars with the amounts the report answers', async () => {
    await openPage(page, '/waste', 'Waste');
    await setRange(page, '2026-11-10', '2026-11-16');
    const answer = await service.graphql<{ wasteReport: Finding[] }>(
      WASTE,
      { ...RANGE, limit: 500 },
      viewer,
    );
    findings = answer.data!.wasteReport;
    expect(findings.length).toBeGreaterThanOrEqual(5);
    // Rank, Category, Scope, Spend, Recoverable, How it was estimated, Evidence, Fix.
    const rows = await waitForRows(
      page,
      'waste-table',
      (items) => items.length === findings.length,
    );
    expect(rows.map((row) => [row[0], row[3], row[4]])).toEqual(
      findings.map((finding, index) => [
        String(index + 1),
        dollars(finding.spend),
        dollars(finding.recoverable),
      ]),
    );
    expect(rows.map((row) => row[5])).toEqual(findings.map((finding) => finding.estimate));
    // The seed's largest: the same 10,000-token contract sent 20 times without a cache read
    // (spend 0.66, recoverable 19 × 10,000 × (3 − 0.3) / 1M = 0.513).
    const [top] = rows;
    expect(top[1]).toMatch(/^≡ Context bloat/);
    expect(top[2]).toBe(
      'feature=contract-review, team=search, provider=anthropic, model=claude-sonnet-4-5',
    );
    expect([top[3], top[4]]).toEqual(['$0.66', '$0.51']);
    expect(top[7]).toContain('cacheable');
    expect(await page.$eval('[data-testid="waste-top"]', (e) => e.textContent)).toBe('$0.51');
    // Its evidence, opened from the keyboard.
    await page.focus('[data-testid="waste-table"] tbody tr:first-child summary');
    await page.keyboard.press('Enter');
    const evidence = await page.$eval(
      '[data-testid="waste-table"] tbody tr:first-child dl.evidence',
      (list) => [...list.querySelectorAll('div')].map((item) => item.textContent),
    );
    expect(evidence).toEqual(expect.arrayContaining(['calls20', 'min input tokens10000']));
    // Every category in words, with its symbol; the ungoverned ones say which kind.
    const categories = rows.map((row) => row[1]);
    expect(categories.some((text) => /^⇣ Model mismatch/.test(text))).toBe(true);
    expect(categories.some((text) => /^↻ Retry waste/.test(text))).toBe(true);
    expect(categories.some((text) => /^○ Cache miss/.test(text))).toBe(true);
    expect(categories).toContain('⚑ Ungoverned spendan agent with no per-run cap');
    // Under a cent is not shown as nothing: the retries' 0.00108 of spend.
    const retry = rows.find((row) => /^↻ Retry waste/.test(row[1]))!;
    expect([retry[3], retry[4]]).toEqual(['< $0.01', '< $0.01']);
    await screenshot(page, 'waste');
  });

  it('should sort the findings by a column from the keyboard and filter by category', async () => {
    await page.focus('[data-testid="waste-table"] thead th:nth-child(5) button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="waste-table"] th[aria-sort="ascending"]');
    // Each row's exact recoverable, by its rank (the report's order).
    const ascending = (await tableRows(page, 'waste-table')).map(
      (row) => new Money(findings[Number(row[0]) - 1].recoverable),
    );
    for (let index = 1; index < ascending.length; index += 1) {
      expect(ascending[index - 1].lte(ascending[index])).toBe(true);
    }
    expect(ascending[0].lt(ascending[ascending.length - 1])).toBe(true);
    await page.select('main select', 'RETRY_WASTE');
    const retries = await waitForRows(page, 'waste-table', (items) => items.length === 1);
    expect(retries[0].slice(1, 3)).toEqual([
      '↻ Retry wastepaying for failed calls and their retries',
      'feature=agent-chat, team=search, provider=openai, model=gpt-4o-mini',
    ]);
    await page.select('main select', '');
    await waitForRows(page, 'waste-table', (items) => items.length === ascending.length);
    // Only usage priced in the currency asked: none of the seed is in EUR.
    await page.$eval('main .controls input:not([type])', (element) => {
      Object.assign(element, { value: 'eur' });
      element.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForRows(
      page,
      'waste-table',
      (items) => items[0]?.[0] === 'No waste found in the period.',
    );
  });

  it('should show the spike hour per feature and team with expected, observed and score', async () => {
    await openPage(page, '/anomalies', 'Anomalies');
    await setRange(page, '2026-11-18', '2026-11-25');
    // Hour, Series, Name, Expected, Observed, Excess, Score, Chart.
    const rows = await waitForRows(page, 'anomalies-table', (items) => items.length === 2);
    expect(rows.map((row) => row.slice(0, 7))).toEqual([
      ['2026-11-24 14:00 UTC', 'feature', FEATURE, '$10.00', '$510.00', '▲ $500.00', '500.00'],
      ['2026-11-24 14:00 UTC', 'team', TEAM, '$10.00', '$510.00', '▲ $500.00', '500.00'],
    ]);
    const answer = await service.graphql<{ anomalies: { observed: string }[] }>(
      `query { anomalies(from: "2026-11-18T00:00:00Z", to: "2026-11-26T00:00:00Z") { observed } }`,
      {},
      viewer,
    );
    expect(answer.data!.anomalies.map((item) => item.observed)).toEqual(['510', '510']);
  });

  it("should chart the flagged series' hours on its day against the expected spend", async () => {
    const series = async () => {
      await page.waitForSelector('[data-testid="anomaly-chart"] .chart canvas');
      return JSON.parse(
        await page.$eval('[data-testid="anomaly-chart"] .chart', (e) => e.dataset.series ?? ''),
      ) as {
        series: { dimension: string; name: string };
        hours: string[];
        observed: string[];
        expected: (string | null)[];
        flagged: string[];
      };
    };
    const drawn = await series();
    expect(drawn.series).toEqual({ dimension: 'feature', name: FEATURE });
    expect(drawn.hours).toHaveLength(24);
    expect(drawn.flagged).toEqual([SPIKE]);
    expect(drawn.observed).toEqual(drawn.hours.map((hour) => (hour === SPIKE ? '510' : '0')));
    expect(drawn.expected).toEqual(drawn.hours.map((hour) => (hour === SPIKE ? '10' : null)));
    expect(await page.$eval('[data-testid="anomaly-flagged"]', (e) => e.textContent)).toBe(
      'Flagged: 14:00 (expected $10.00, observed $510.00)',
    );
    await screenshot(page, 'anomalies');
    await page.click('[data-testid="anomalies-table"] button[aria-pressed="false"]');
    await page.waitForFunction(
      `JSON.parse(document.querySelector('[data-testid="anomaly-chart"] .chart')?.dataset.series ?? '{}').series?.dimension === 'team'`,
    );
    expect((await series()).observed[14]).toBe('510');
    // Only the features: the team's row leaves, and the chart follows the rows shown.
    await page.select('main select', 'feature');
    const features = await waitForRows(page, 'anomalies-table', (items) => items.length === 1);
    expect(features[0].slice(1, 3)).toEqual(['feature', FEATURE]);
    await page.waitForFunction(
      `JSON.parse(document.querySelector('[data-testid="anomaly-chart"] .chart')?.dataset.series ?? '{}').series?.dimension === 'feature'`,
    );
  });

  it('should name what is wrong with a range longer than anomalies cover', async () => {
    await setRange(page, '2026-10-01', '2026-11-25');
    await page.waitForFunction(
      `/anomalies cover at most 31 days/.test(document.querySelector('main [role="alert"]')?.textContent ?? '')`,
    );
  });

  it('should have raised no error in the app and no Content-Security-Policy violation', () => {
    expect(problems).toEqual([]);
  });
});

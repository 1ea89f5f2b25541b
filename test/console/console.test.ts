// The web console in a real headless Chromium against a running Purser with a seeded Postgres
// database: sign-in, every page's data, the overview chart's series, the chargeback CSV, the
// role-aware hiding of admin actions, keyboard access to the navigation. One browser for the
// file; a screenshot of each page lands in test/artifacts/console/ (not committed).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Money } from '@purser/pricing';
import type { Browser, Page } from 'puppeteer-core';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  ARTIFACTS,
  CONSOLE_DIST,
  describeWithBrowser,
  launchBrowser,
  openPage,
  screenshot,
  setInput,
  signIn,
  tableRows,
  waitForRows,
  watchedPage,
} from './browser';
import { seedConsole, type Seeded, UNPRICED_MODEL } from './console-seed';

interface ChartSeries {
  dimension: string;
  currency: string;
  days: string[];
  series: { name: string; values: string[]; total: string }[];
}

async function chartSeries(page: Page, selector: string): Promise<ChartSeries> {
  await page.waitForSelector(`${selector} .chart[data-series] canvas`);
  return JSON.parse(
    await page.$eval(`${selector} .chart`, (element) => element.getAttribute('data-series') ?? ''),
  ) as ChartSeries;
}

/** The exact sum of fixtures' costs, as the plain decimal the console writes ("2.5", "0"). */
const costOf = (items: { cost: string }[]) =>
  items.reduce((sum, item) => sum.plus(item.cost), new Money(0)).toFixed();

/** What a series should be: the fixtures' costs per day for one dimension value. */
function expectedValues(seeded: Seeded, match: (attribution: Record<string, string>) => boolean) {
  return seeded.days.map((day) =>
    costOf(
      seeded.fixtures.filter((item) => item.at.startsWith(day) && match(item.attribution ?? {})),
    ),
  );
}

describeWithBrowser('web console', () => {
  let service: RunningPurser;
  let seeded: Seeded;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'console-browser-test-secret-of-32-chars' },
    });
    seeded = await seedConsole(service);
    browser = await launchBrowser();
    ({ page, problems } = await watchedPage(browser));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await seeded?.replay.close();
    await service?.stop();
  });

  it('should serve the built app under /console with a strict CSP and a bundle under 300 KB', async () => {
    const index = await fetch(`${service.url}/console/budgets`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${service.url}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${service.url}/console/assets/missing-0000.js`)).status).toBe(404);
    const size = JSON.parse(readFileSync(path.join(CONSOLE_DIST, 'bundle-size.json'), 'utf8'));
    expect(size.gzip).toBeLessThan(300 * 1024);
  });

  it('should refuse a bad key, then sign in keeping the key for the tab only', async () => {
    await page.goto(`${service.url}/console/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#api-key');
    await page.type('#api-key', 'not-a-real-key-000000');
    await page.click('form button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    expect(await page.$eval('[role="alert"]', (element) => element.textContent)).toContain(
      'not valid',
    );
    await signIn(page, service.url, service.adminToken);
    expect(await page.$eval('[data-testid="role"]', (element) => element.textContent)).toBe(
      'admin',
    );
    const stored = await page.evaluate(
      '[sessionStorage.getItem("purser.apiKey"), localStorage.length, document.cookie]',
    );
    expect(stored).toEqual([service.adminToken, 0, '']);
    const nav = await page.$$eval('nav a', (links) => links.map((link) => link.textContent));
    expect(nav).toEqual([
      'Overview',
      'Budgets',
      'Chargeback',
      'Reconciliation',
      'Decisions',
      'Waste',
      'Anomalies',
      'Unpriced & dead letters',
    ]);
  });

  it('should reach the navigation from the keyboard and follow a link with Enter', async () => {
    await page.goto(`${service.url}/console/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('nav a');
    const focused = () => page.evaluate('document.activeElement.textContent');
    // A click on the (not focusable) brand puts the keyboard's starting point at the top.
    await page.click('.brand');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Sign out');
    await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    await page.keyboard.up('Shift');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('!!document.activeElement.closest("nav")')).toBe(true);
    expect(await focused()).toBe('Overview');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Budgets');
    await page.keyboard.press('Enter');
    await page.waitForFunction('location.pathname === "/console/budgets"');
    await page.waitForFunction('document.querySelector("main h1").textContent === "Budgets"');
  });

  it('should draw the overview stacked by the chosen dimension with the right series', async () => {
    await openPage(page, '/', 'Overview');
    const byTeam = await chartSeries(page, 'main');
    expect(byTeam.dimension).toBe('team');
    expect(byTeam.days.slice(-3)).toEqual(seeded.days);
    const series = Object.fromEntries(
      byTeam.series.map((item) => [item.name, item.values.slice(-3)]),
    );
    expect(Object.keys(series).sort()).toEqual(['(untagged)', 'ads', 'platform', 'search']);
    expect(series.search).toEqual(expectedValues(seeded, (a) => a.team === 'search'));
    expect(series.ads).toEqual(['0', '0', '15']);
    expect(series['(untagged)']).toEqual(['0', '0', '1']);
    expect(await page.$eval('[data-testid="spend-total"]', (element) => element.textContent)).toBe(
      `$${new Money(costOf(seeded.fixtures)).toFixed(2)}`,
    );
    // Every day of the range, not only the three checked above.
    const allDays = Object.fromEntries(byTeam.series.map((item) => [item.name, item.values]));
    for (const team of ['search', 'ads', 'platform']) {
      const cost = (day: string) =>
        costOf(
          seeded.fixtures.filter(
            (item) => item.at.startsWith(day) && item.attribution?.team === team,
          ),
        );
      expect(allDays[team]).toEqual(byTeam.days.map(cost));
    }
    const chartDatasets = await page.evaluate(
      `(() => { const canvas = document.querySelector('.chart canvas'); return canvas && canvas.getBoundingClientRect().height > 100; })()`,
    );
    expect(chartDatasets).toBe(true);
    // The month's forecast for the organisation, as the forecast query answers it.
    const org = await service.graphql<{ forecast: { projected: string } }>(
      `query { forecast(scope: { org: true }) { projected } }`,
    );
    await page.waitForSelector('[data-testid="forecast-projected"]');
    const shown = await page.$eval('[data-testid="forecast-projected"]', (e) => e.textContent);
    const projected = new Money(org.data!.forecast.projected);
    expect(new Money(String(shown).replace(/[$,]/g, '')).minus(projected).abs().lte('0.01')).toBe(
      true,
    );
    await screenshot(page, 'overview');
    await page.select('main select', 'feature');
    await page.waitForFunction(
      `JSON.parse(document.querySelector('.chart').dataset.series).dimension === 'feature'`,
    );
    const byFeature = await chartSeries(page, 'main');
    const features = new Set(seeded.fixtures.map((item) => item.attribution?.feature));
    expect(Object.fromEntries(byFeature.series.map((item) => [item.name, item.total]))).toEqual(
      Object.fromEntries(
        [...features].map((feature) => [
          feature ?? '(untagged)',
          costOf(seeded.fixtures.filter((item) => item.attribution?.feature === feature)),
        ]),
      ),
    );
  });

  it('should show budgets with holds, a burn-down and the threshold alert', async () => {
    await openPage(page, '/budgets', 'Budgets');
    const rows = await waitForRows(page, 'budgets-table', (items) => items.length === 2);
    const byName = Object.fromEntries(rows.map((row) => [row[0], row]));
    // Budget, Scope, Period, Mode, Limit, Spent, Held, Remaining, Forecast…
    expect(byName['Ads daily cap'].slice(0, 7)).toEqual([
      'Ads daily cap',
      'team=ads',
      'daily',
      'block',
      '$20.00',
      '$15.00',
      '$0.00',
    ]);
    expect(byName['Search monthly'][6]).toBe('$1.00');
    const alerts = await tableRows(page, 'alerts-table');
    expect(alerts.map((row) => [row[1], row[2]])).toEqual([
      ['Ads daily cap', '⚠ soft_threshold 50%'],
    ]);
    expect(await page.$('[data-testid="budget-form"]')).not.toBeNull();
    // The burn-down of the ads cap: today's window, $20 less the $15 spent today, no holds.
    await page.click('main button::-p-text(Show Ads daily cap)');
    await page.waitForFunction(
      `document.querySelector('#burn-down')?.textContent === 'Burn-down: Ads daily cap'`,
    );
    const burn = JSON.parse(
      await page.$eval('main .chart', (element) => element.getAttribute('data-series') ?? ''),
    ) as {
      days: string[];
      remaining: (string | null)[];
      today: number;
      afterHolds: string;
      forecastRemaining: string | null;
      intervalRemaining: { atHigh: string; atLow: string } | null;
    };
    expect(burn.days[burn.today]).toBe(seeded.days[2]);
    expect(burn.remaining[burn.today]).toBe('5');
    expect(burn.afterHolds).toBe('5');
    const adsForecast = await service.graphql<{
      forecast: { projected: string; low: string; high: string };
    }>(`query($id: ID!) { forecast(scope: { budgetId: $id }) { projected low high } }`, {
      id: seeded.adsBudgetId,
    });
    // The projection moves with the clock (today's part of the run rate): a cent apart at most.
    const { projected, low, high } = adsForecast.data!.forecast;
    const near = (shown: string | null | undefined, spend: string) =>
      new Money(shown ?? 'NaN').minus(new Money(20).minus(spend)).abs().lte('0.01');
    expect(near(burn.forecastRemaining, projected)).toBe(true);
    expect(near(burn.intervalRemaining?.atHigh, high)).toBe(true);
    expect(near(burn.intervalRemaining?.atLow, low)).toBe(true);
    // The search budget's: the month's search spend so far, then its open hold ($1.00001).
    await page.click('main button::-p-text(Show Search monthly)');
    await page.waitForFunction(
      `document.querySelector('#burn-down')?.textContent === 'Burn-down: Search monthly'`,
    );
    await page.waitForFunction(
      `!!document.querySelector('main .chart[data-series*="afterHolds"]')`,
    );
    const search = JSON.parse(
      await page.$eval('main .chart', (element) => element.getAttribute('data-series') ?? ''),
    ) as { remaining: (string | null)[]; today: number; afterHolds: string };
    const month = seeded.days[2].slice(0, 7);
    const spent = costOf(
      seeded.fixtures.filter(
        (item) => item.at.startsWith(month) && item.attribution?.team === 'search',
      ),
    );
    const left = new Money(1000).minus(spent);
    expect(search.remaining[search.today]).toBe(left.toFixed());
    expect(search.afterHolds).toBe(left.minus('1.00001').toFixed());
    await screenshot(page, 'budgets');
  });

  it('should show the chargeback by cost center, drill down and download the CSV', async () => {
    await openPage(page, '/chargeback', 'Chargeback');
    const month = seeded.days[2].slice(0, 7);
    await setInput(page, 'input[type="month"]', month);
    const inMonth = (team: string) =>
      seeded.fixtures
        .filter((item) => item.at.startsWith(month) && item.attribution?.team === team)
        .reduce((total, item) => total.plus(item.cost), new Money(0))
        .toFixed(2);
    const rows = await waitForRows(page, 'chargeback-table', (items) => items.length >= 2);
    const totals = Object.fromEntries(rows.map((row) => [row[0], row[5]]));
    expect(totals['CC-ADS']).toBe(`$${inMonth('ads')}`);
    expect(totals['CC-SEARCH']).toBe(`$${inMonth('search')}`);
    // The drill-down of CC-ADS: its lines add up to its total.
    await page.click('main button::-p-text(Drill down into CC-ADS)');
    const lines = await tableRows(page, 'chargeback-detail');
    const amount = (text: string) => new Money(text.replace(/[$,]/g, ''));
    const sum = lines.reduce((total, line) => total.plus(amount(line[4])), new Money(0));
    expect(sum.toFixed(2)).toBe(inMonth('ads'));
    const downloads = path.join(ARTIFACTS, 'downloads');
    rmSync(downloads, { recursive: true, force: true });
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('main .controls button');
    await page.waitForFunction(`!!document.querySelector('main .controls [role="status"]')`);
    const file = `chargeback-${month}-USD.csv`;
    for (let waited = 0; waited < 100 && !existsSync(path.join(downloads, file)); waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readdirSync(downloads)).toContain(file);
    const csv = readFileSync(path.join(downloads, file), 'utf8');
    const direct = await fetch(`${service.url}/v1/exports/chargeback?month=${month}`, {
      headers: { authorization: `Bearer ${service.adminToken}` },
    });
    expect(csv).toBe(await direct.text());
    expect(csv).toContain('CC-ADS');
    expect(csv).toContain('CC-SEARCH');
    await screenshot(page, 'chargeback');
  });

  it('should show the reconciliation by day and model with status in words and symbols', async () => {
    await openPage(page, '/reconciliation', 'Reconciliation');
    await setInput(page, 'input[type="date"]', '2026-07-01');
    const dates = await page.$$('input[type="date"]');
    await dates[1].evaluate((element) => {
      Object.assign(element, { value: '2026-07-02' });
      element.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const rows = await waitForRows(page, 'reconciliation-table', (items) =>
      items.some((row) => row[0] === '2026-07-02'),
    );
    const matched = rows.find((row) => row[0] === '2026-07-01' && /^gpt-4\.1(-20|$)/.test(row[1]));
    expect(matched?.[6]).toBe('✓ matched');
    expect(
      rows.filter((row) => row[0] === '2026-07-02').every((row) => row[6] !== '✓ matched'),
    ).toBe(true);
    await screenshot(page, 'reconciliation');
  });

  it('should list decisions and filter them by action and reason', async () => {
    await openPage(page, '/decisions', 'Decisions');
    const all = await waitForRows(page, 'decisions-table', (items) => items.length === 2);
    expect(all.map((row) => row[1]).sort()).toEqual(['✓ allow', '✖ deny']);
    await page.select('main select', 'DENY');
    const denied = await waitForRows(page, 'decisions-table', (items) => items.length === 1);
    expect(denied[0][1]).toBe('✖ deny');
    const reason = denied[0][4].split(/\s+/)[0];
    await page.select('main label:nth-of-type(2) select', reason);
    expect((await tableRows(page, 'decisions-table'))[0][4]).toContain(reason);
    await screenshot(page, 'decisions');
  });

  it('should list unpriced models and dead letters, and replay one as admin', async () => {
    await openPage(page, '/unpriced', 'Unpriced & dead letters');
    const unpriced = await tableRows(page, 'unpriced-table');
    expect(unpriced.map((row) => [row[0], row[1], row[2]])).toEqual([
      ['openai', UNPRICED_MODEL, '1'],
    ]);
    const letters = await tableRows(page, 'dead-letters-table');
    expect(letters).toHaveLength(1);
    // When, Reason, Origin, Event: the event without a timestamp, refused over HTTP.
    expect(letters[0].slice(1, 4)).toEqual(['timestamp: required', 'http', 'c-broken']);
    await screenshot(page, 'unpriced');
    await page.click('[data-testid="replay"]');
    await page.waitForFunction(
      `/Replay of .*: rejected/.test(document.querySelector('main').textContent)`,
    );
  });

  it('should show a viewer every report and no admin or write action', async () => {
    const viewer = await service.keyFor('viewer');
    await page.click('header button');
    await page.waitForSelector('#api-key');
    expect(await page.evaluate('sessionStorage.getItem("purser.apiKey")')).toBeNull();
    await signIn(page, service.url, viewer);
    expect(await page.$eval('[data-testid="role"]', (element) => element.textContent)).toBe(
      'viewer',
    );
    await openPage(page, '/budgets', 'Budgets');
    await waitForRows(page, 'budgets-table', (items) => items.length === 2);
    expect(await page.$('[data-testid="budget-form"]')).toBeNull();
    expect(await page.$('main form')).toBeNull();
    await openPage(page, '/unpriced', 'Unpriced & dead letters');
    const letters = await tableRows(page, 'dead-letters-table');
    expect(letters.length).toBeGreaterThanOrEqual(1);
    expect(await page.$('[data-testid="replay"]')).toBeNull();
    await screenshot(page, 'viewer-unpriced');
  });

  it('should have raised no error in the app and no Content-Security-Policy violation', () => {
    expect(problems).toEqual([]);
  });
});

// A headless Chromium for the console suites: Debian's `chromium` package (or PURSER_CHROMIUM),
// driven by puppeteer-core, which never downloads a browser. Without the executable the suite
// is skipped with a message, except under CI=true, where it fails.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.PURSER_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../artifacts/console');
export const CONSOLE_DIST = path.resolve(__dirname, '../../packages/console/dist');

/** `describe`, or `describe.skip` with a message when there is no browser outside CI. */
export function describeWithBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') {
    describe(name, body);
    return;
  }
  process.stderr.write(
    `${name}: skipped, no Chromium at ${CHROMIUM} (install Debian's chromium or set PURSER_CHROMIUM)\n`,
  );
  describe.skip(name, body);
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium or set PURSER_CHROMIUM`);
  }
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
    throw new Error(`The console is not built (${CONSOLE_DIST}): run pnpm build`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--font-render-hinting=none',
    ],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/**
 * A new page that records what must never happen: an uncaught error in the app and a
 * Content-Security-Policy violation (Chromium reports it as a console error). Expected
 * failures (a 401 on a bad key) are not recorded.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`);
  });
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(text)) {
      problems.push(`CSP: ${text}`);
    }
  });
  return { page, problems };
}

/** The text of each cell of each body row of the table with data-testid `id`. */
export async function tableRows(page: Page, id: string): Promise<string[][]> {
  await page.waitForSelector(`[data-testid="${id}"] tbody tr`);
  return page.$$eval(`[data-testid="${id}"] tbody tr`, (rows) =>
    rows.map((row) =>
      [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').trim()),
    ),
  );
}

/** Waits until the table's rows satisfy `check` (the page re-renders after each answer). */
export async function waitForRows(
  page: Page,
  id: string,
  check: (rows: string[][]) => boolean,
  timeoutMs = 10_000,
): Promise<string[][]> {
  const deadline = Date.now() + timeoutMs;
  let rows: string[][] = [];
  while (Date.now() < deadline) {
    rows = await tableRows(page, id);
    if (check(rows)) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${id} never matched; last rows: ${JSON.stringify(rows)}`);
}

/** Sets an input's value as a user would and fires its change event. */
export async function setInput(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (element, text) => {
      Object.assign(element, { value: text });
      element.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

/** Follows a navigation link by its path, as a click. */
export async function openPage(page: Page, path: string, heading: string): Promise<void> {
  await page.click(`nav a[href="/console${path === '/' ? '/' : path}"]`);
  await page.waitForFunction(
    `document.querySelector('main h1')?.textContent === ${JSON.stringify(heading)}`,
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/console/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#api-key');
  await page.type('#api-key', key);
  await page.click('form button[type="submit"]');
  await page.waitForSelector('nav[aria-label="Main"] a');
}

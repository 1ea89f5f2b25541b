import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { holdHeapGrowth, tuneHeapGrowth } from './heap';

/** The module as the service runs it: `pnpm test` builds dist before jest starts. */
const BUILT = join(__dirname, '..', '..', 'dist', 'runtime', 'heap.js');

/**
 * Full GCs in a fresh process that keeps a window of 100,000 objects alive while it replaces
 * them, so most are promoted and die in the old generation (as the decision path's
 * medium-lived objects do), after `tuneHeapGrowth(percent)`. It yields to the event loop now
 * and then, so the GC observer hears of every collection.
 */
function fullGcs(percent: number, hold?: { percent: number; release: boolean }): number {
  const script = `
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    const heap = require(${JSON.stringify(BUILT)});
    heap.tuneHeapGrowth(${percent});
    ${hold ? `const release = heap.holdHeapGrowth(${hold.percent});` : ''}
    ${hold?.release ? 'release(); release();' : ''}
    let major = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major += 1;
    }).observe({ entryTypes: ['gc'] });
    const window = new Array(100000);
    (async () => {
      for (let i = 0; i < 3000000; i += 1) {
        window[i % window.length] = { id: i, text: 'x'.repeat(64) + i, list: [i, i + 1, i + 2] };
        if (i % 10000 === 0) await new Promise(setImmediate);
      }
      setTimeout(() => process.stdout.write(String(major)), 10);
    })();
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
  return Number(child.stdout);
}

let roomyRuns: number | undefined;
/** Full GCs at the service's default growth, 400 % (run once, read by both suites). */
const roomyGcs = () => (roomyRuns ??= fullGcs(400));

describe('tuneHeapGrowth', () => {
  it('refuses what is not a whole percentage, naming it', () => {
    expect(() => tuneHeapGrowth(-1)).toThrow('heap growth must be a whole percentage ≥ 0 (got -1)');
    expect(() => tuneHeapGrowth(2.5)).toThrow('(got 2.5)');
  });

  it('lets the old generation grow further between full GCs', () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: \`pnpm test\` builds it first`);
    const tight = fullGcs(10);
    const roomy = roomyGcs();
    // Growing by 10 % at a time collects several times as often as growing by 400 %
    // (26 against 5 here).
    expect(tight).toBeGreaterThanOrEqual(10);
    expect(roomy * 3).toBeLessThanOrEqual(tight);
  });
});

describe('holdHeapGrowth', () => {
  it('refuses what is not a whole percentage, naming it', () => {
    expect(() => holdHeapGrowth(-5)).toThrow('heap growth must be a whole percentage ≥ 0 (got -5)');
  });

  it('holds the growth down while held, and gives the service its own back after', () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: \`pnpm test\` builds it first`);
    const roomy = roomyGcs();
    const held = fullGcs(400, { percent: 10, release: false });
    const released = fullGcs(400, { percent: 10, release: true });
    // Held at 10 %, the service set to 400 % collects as often as a service set to 10 %; once
    // released (twice: the second call does nothing), as rarely as before. A hold also starts
    // one full GC of its own at once.
    expect(held).toBeGreaterThanOrEqual(10);
    expect(roomy * 3).toBeLessThanOrEqual(held);
    expect(released).toBeLessThanOrEqual(roomy + 2);
    expect(released).toBeGreaterThanOrEqual(1);
  });
});

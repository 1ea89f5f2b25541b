import fc from 'fast-check';
import { escapeHtml, monthlyReportHtml } from './monthly-report-html';
import { sampleReport } from './monthly-report-testing';

describe('monthlyReportHtml', () => {
  it('should be one self-contained page: inline style, no script, no external resource', () => {
    const html = monthlyReportHtml(sampleReport());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
  });

  it('should show the figures of every section', () => {
    const html = monthlyReportHtml(sampleReport());
    for (const text of [
      'Purser monthly report: November 2026',
      '100.125001 USD',
      'October 2026',
      'Search &amp; Discovery',
      'CC-SEARCH',
      '70.00',
      'Chargeback total',
      'openai',
      '0.874999',
      'No bill imported for: anthropic.',
      'MODEL_MISMATCH',
      '30.50',
      'tickets',
      '2.503125025',
      'search team',
      '90.00 (112.5 %)',
      '80 %, 100 %',
      '(no feature)',
    ]) {
      expect(html).toContain(text);
    }
  });

  it('should draw a bar for each day with spend, in proportion, none for a day without', () => {
    const html = monthlyReportHtml(sampleReport());
    const widths = [...html.matchAll(/class="bar" style="width:([\d.]+)%"/g)].map((m) => m[1]);
    // Six months and November (May–Aug at 0 draw none), then the days: Nov 1 and a tiny Nov 2.
    expect(widths).toEqual(['12.0', '80.0', '100.0', '100.0', '0.5']);
  });

  it('should escape a hostile feature name', () => {
    const html = monthlyReportHtml(sampleReport());
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('should escape any text so it cannot open markup or end an attribute', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const html = escapeHtml(text);
        expect(html).not.toMatch(/[<>"']/);
        expect(html.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
    fc.assert(
      fc.property(fc.string(), (name) => {
        const html = monthlyReportHtml(
          sampleReport({ features: [{ feature: name, cost: '100.125001', requests: 1 }] }),
        );
        expect(html).not.toMatch(/<script/i);
        expect(html).toContain(escapeHtml(name));
      }),
      { numRuns: 50 },
    );
  });

  it('should say what is missing rather than show an empty table', () => {
    const html = monthlyReportHtml(
      sampleReport({
        waste: null,
        variance: [],
        unitEconomics: [],
        budgets: [],
        unbilledProviders: [],
      }),
    );
    expect(html).toContain('No waste analysis is configured.');
    expect(html).toContain('No provider bill covers this month.');
    expect(html).toContain('No business metric was recorded this month.');
    expect(html).toContain('No budget.');
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseReportArguments, runReportCommand } from './report-cli';
import { sampleReport } from './monthly-report-testing';
import { monthlyReportCsv } from './monthly-report-csv';

describe('report CLI', () => {
  it('should read report monthly with its options', () => {
    const parsed = parseReportArguments([
      'monthly',
      '--month',
      '2026-11',
      '--format',
      'csv',
      '--out',
      'r.csv',
    ]);
    expect(parsed).toMatchObject({
      query: { format: 'csv', range: { month: '2026-11' } },
      out: 'r.csv',
    });
    expect(parseReportArguments(['monthly', '--month', '2026-11', '--out', '-'])).toMatchObject({
      query: { format: 'pdf' },
      out: null,
    });
  });

  it.each([
    [['weekly'], /^report weekly: unknown/],
    [['monthly'], /^--month: required/],
    [['monthly', '--month'], /^--month: needs a value/],
    [['monthly', '--month', '2026-11', '--month', '2026-10'], /^--month: give it once/],
    [['monthly', '--month', 'nov'], /^--month: must be/],
    [['monthly', '--month', '2026-11', '--format', 'xls'], /^--format: one of pdf, html, csv/],
    [['monthly', '--month', '2026-11', '--currency', 'EUR'], /^--currency: unknown option/],
  ])('should refuse %j naming the option', (argv, problem) => {
    const parsed = parseReportArguments(argv);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  it('should write the rendered report to the file, or to stdout', async () => {
    const data = sampleReport();
    const reports = { monthly: async () => data };
    const out = join(mkdtempSync(join(tmpdir(), 'report-cli-')), 'r.csv');
    const query = (
      parseReportArguments(['monthly', '--month', '2026-11', '--format', 'csv']) as {
        query: Parameters<typeof runReportCommand>[1]['query'];
      }
    ).query;
    await runReportCommand(reports, { query, out });
    expect(readFileSync(out, 'utf8')).toBe(monthlyReportCsv(data));
    const chunks: Buffer[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    await runReportCommand(reports, { query, out: null }, stdout);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(monthlyReportCsv(data));
  });
});

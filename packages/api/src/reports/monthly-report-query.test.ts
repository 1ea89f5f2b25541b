import fc from 'fast-check';
import { PurserError } from '../errors';
import { parseMonthlyReportQuery } from './monthly-report-query';

describe('parseMonthlyReportQuery', () => {
  it('should read the month as its UTC range and default the format to pdf', () => {
    expect(parseMonthlyReportQuery({ month: '2026-11' })).toEqual({
      range: {
        month: '2026-11',
        from: new Date('2026-11-01T00:00:00Z'),
        to: new Date('2026-12-01T00:00:00Z'),
      },
      format: 'pdf',
    });
    expect(parseMonthlyReportQuery({ month: '2026-12', format: 'csv' }).range.to).toEqual(
      new Date('2027-01-01T00:00:00Z'),
    );
    expect(parseMonthlyReportQuery({ month: '2026-02', format: 'html' }).format).toBe('html');
  });

  it.each([
    [{}, /^month: required/],
    [{ month: '2026-13' }, /^month: must be a UTC calendar month/],
    [{ month: '2026-1' }, /^month: /],
    [{ month: '1969-12' }, /^month: /],
    [{ month: ['2026-11', '2026-12'] }, /^month: give it once/],
    [{ month: '2026-11', format: 'docx' }, /^format: one of pdf, html, csv \(got "docx"\)/],
    [{ month: '2026-11', format: 'PDF' }, /^format: /],
    [{ month: '2026-11', format: { a: 'b' } }, /^format: give it once/],
    [{ month: '2026-11', months: '3' }, /^"months": unknown query parameter/],
  ])('should refuse %j naming the parameter', (query, message) => {
    expect(() => parseMonthlyReportQuery(query)).toThrow(message);
    try {
      parseMonthlyReportQuery(query);
    } catch (error) {
      expect(error).toBeInstanceOf(PurserError);
      expect((error as PurserError).code).toBe('BAD_USER_INPUT');
    }
  });

  it('should answer any query with a range or a BAD_USER_INPUT naming a parameter', () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('2026-11', '1970-01', '9999-12', 'pdf', 'html', 'csv', ''),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    );
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('month', 'format', '__proto__', 'constructor'), fc.string()),
      value,
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(query, (input) => {
        try {
          const parsed = parseMonthlyReportQuery(input);
          expect(parsed.range.to.getTime()).toBeGreaterThan(parsed.range.from.getTime());
          expect(['pdf', 'html', 'csv']).toContain(parsed.format);
        } catch (error) {
          expect(error).toBeInstanceOf(PurserError);
          expect((error as PurserError).code).toBe('BAD_USER_INPUT');
          const named = /^(month|format|"[^]*"): /.test((error as Error).message);
          expect(named).toBe(true);
          expect((error as Error).message.length).toBeLessThan(200);
        }
      }),
      { numRuns: 500 },
    );
  });
});

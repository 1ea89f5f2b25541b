import { Money } from '@purser/pricing';
import { monthlyReportCsv } from './monthly-report-csv';
import { sampleReport } from './monthly-report-testing';

/** Splits the CSV (this file's fields hold no line breaks) into records of fields. */
function records(csv: string): string[][] {
  expect(csv.endsWith('\r\n')).toBe(true);
  return csv
    .slice(0, -2)
    .split('\r\n')
    .map((line) => {
      const fields: string[] = [];
      let rest = line;
      while (true) {
        const quoted = /^"((?:[^"]|"")*)"(,|$)/.exec(rest);
        const plain = quoted ? null : /^([^,"]*)(,|$)/.exec(rest);
        const match = quoted ?? plain!;
        fields.push(quoted ? match[1].replaceAll('""', '"') : match[1]);
        rest = rest.slice(match[0].length);
        if (match[2] === '') break;
      }
      return fields;
    });
}

const sum = (values: string[]) => values.reduce((total, value) => total.plus(value), new Money(0));

describe('monthlyReportCsv', () => {
  const data = sampleReport({
    costCenters: [
      {
        code: 'CC-1',
        name: '=HYPERLINK("x")',
        direct: '1',
        shared: '-0.5',
        trueUp: '0',
        total: '0.5',
      },
    ],
    unallocated: '99.625001',
    chargebackTotal: '100.125001',
  });
  const rows = records(monthlyReportCsv(data));
  const [header, ...body] = rows;
  const pick = (section: string, measure: string) =>
    body.filter((row) => row[0] === section && row[3] === measure);

  it('should write one measure a record under one header', () => {
    expect(header).toEqual(['section', 'item', 'name', 'measure', 'value', 'unit']);
    for (const row of body) expect(row).toHaveLength(6);
    expect(pick('summary', 'total')).toEqual([
      ['summary', '2026-11', '', 'total', '100.125001', 'USD'],
    ]);
  });

  it('should tie the days and the features to the total, the cost centers to the chargeback', () => {
    const total = new Money(pick('summary', 'total')[0][4]);
    expect(pick('daily', 'cost')).toHaveLength(30);
    expect(sum(pick('daily', 'cost').map((row) => row[4])).equals(total)).toBe(true);
    expect(sum(pick('feature', 'cost').map((row) => row[4])).equals(total)).toBe(true);
    const chargeback = [
      ...pick('cost_center', 'total').map((row) => row[4]),
      ...pick('chargeback', 'total').map((row) => row[4]),
    ];
    expect(sum(chargeback).equals(pick('summary', 'chargeback_total')[0][4])).toBe(true);
  });

  it('should keep amounts exact and raw, and defuse text that looks like a formula', () => {
    expect(pick('cost_center', 'shared')[0][4]).toBe('-0.5');
    expect(pick('cost_center', 'total')[0][2]).toBe(`'=HYPERLINK("x")`);
    expect(pick('daily', 'cost')[1]).toEqual([
      'daily',
      '2026-11-02',
      '',
      'cost',
      '0.000001',
      'USD',
    ]);
    expect(pick('feature', 'cost').find((row) => row[1] === '')?.[2]).toBe('(no feature)');
  });

  it('should carry every section: trend, variance, waste, unit economics, budgets', () => {
    expect(pick('month', 'total').map((row) => row[1])).toEqual([
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
    ]);
    expect(pick('variance', 'delta')[0].slice(1, 5)).toEqual(['openai', '', 'delta', '0.874999']);
    expect(pick('variance', 'rows_over')[0][4]).toBe('1');
    expect(pick('unbilled_provider', 'bill')[0][1]).toBe('anthropic');
    expect(pick('waste', 'recoverable').map((row) => [row[1], row[4]])).toEqual([
      ['MODEL_MISMATCH', '30.5'],
      ['RETRY_WASTE', '3'],
    ]);
    expect(pick('unit_economics', 'cost_per_unit')[0][4]).toBe('2.503125025');
    expect(pick('budget', 'alerts')[0][4]).toBe('0.8;1');
    expect(pick('budget', 'over_limit')[0][4]).toBe('1');
  });

  it('should say when no waste source is configured', () => {
    const csv = records(monthlyReportCsv(sampleReport({ waste: null })));
    expect(csv.filter((row) => row[0] === 'waste')).toEqual([
      ['waste', '', 'no waste source configured', 'findings', '', ''],
    ]);
  });
});

import { badInputMessage } from '../errors-testing';
import { parseExportQuery, parseMonth } from './allocation-exports-query';

describe('parseMonth', () => {
  it.each([
    ['2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['1970-01', '1970-01-01T00:00:00.000Z', '1970-02-01T00:00:00.000Z'],
  ])('should read %s as the UTC month [%s, %s)', (month, from, to) => {
    const range = parseMonth(month);
    expect([range.month, range.from.toISOString(), range.to.toISOString()]).toEqual([
      month,
      from,
      to,
    ]);
  });

  it.each([
    '2026-13',
    '2026-00',
    '2026-1',
    '26-11',
    '2026/11',
    ' 2026-11',
    '2026-11 ',
    '1969-12',
    'x'.repeat(1000),
  ])('should refuse %j naming month and echoing at most 40 characters', (month) => {
    const message = badInputMessage(() => parseMonth(month));
    expect(message).toMatch(/^month: must be a UTC calendar month such as 2026-11/);
    expect(message.length).toBeLessThan(140);
  });

  it('should ask for a missing month', () => {
    expect(badInputMessage(() => parseMonth(null))).toBe(
      'month: required, a UTC calendar month such as 2026-11',
    );
  });
});

describe('parseExportQuery', () => {
  it('should default the currency to USD and upper-case it', () => {
    expect(parseExportQuery({ month: '2026-11' }, 'chargeback').currency).toBe('USD');
    expect(parseExportQuery({ month: '2026-11', currency: 'jpy' }, 'chargeback').currency).toBe(
      'JPY',
    );
  });

  it('should drill down by default, and not with detail=none', () => {
    expect(parseExportQuery({ month: '2026-11' }, 'chargeback').detail).toBe(true);
    expect(parseExportQuery({ month: '2026-11', detail: 'rules' }, 'chargeback').detail).toBe(true);
    expect(parseExportQuery({ month: '2026-11', detail: 'none' }, 'chargeback').detail).toBe(false);
  });

  it('should read journal accounts, one per provider', () => {
    const query = parseExportQuery(
      {
        month: '2026-11',
        providerAccounts: 'openai:2101,anthropic:2102/AI',
        expenseAccount: '6900.1',
      },
      'journal',
    );
    expect([...query.providerAccounts]).toEqual([
      ['openai', '2101'],
      ['anthropic', '2102/AI'],
    ]);
    expect(query.expenseAccount).toBe('6900.1');
    expect(query.providerAccount).toBeNull();
    // A provider named like an Object.prototype key is only a key of a Map.
    const odd = parseExportQuery({ month: '2026-11', providerAccounts: '__proto__:1' }, 'journal');
    expect(odd.providerAccounts.get('__proto__')).toBe('1');
    expect(odd.providerAccounts.get('constructor')).toBeUndefined();
  });

  it.each([
    [{ month: ['2026-11', '2026-12'] }, 'chargeback', 'month: give it once, as text'],
    [
      { month: '2026-11', extra: '1' },
      'chargeback',
      '"extra": unknown query parameter (known: month, currency, costCenter, detail)',
    ],
    [
      { month: '2026-11', providerAccounts: 'openai' },
      'journal',
      'providerAccounts: each entry is provider:account',
    ],
    [
      { month: '2026-11', providerAccounts: 'openai:1,openai:2' },
      'journal',
      'providerAccounts: openai is listed twice',
    ],
    [
      { month: '2026-11', unallocatedAccount: 'a b' },
      'journal',
      'unallocatedAccount: an account code',
    ],
    [{ month: '2026-11', costCenter: 'CC X' }, 'chargeback', 'costCenter: a cost center code'],
    [
      { month: '2026-11', currency: 'EURO' },
      'chargeback',
      'currency: a three-letter ISO 4217 code',
    ],
    [
      { month: '2026-11', detail: 'all' },
      'chargeback',
      'detail: rules (the default) or none (got "all")',
    ],
  ] as const)('should refuse %j (%s) naming the parameter', (query, kind, message) => {
    expect(badInputMessage(() => parseExportQuery(query, kind))).toContain(message);
  });
});

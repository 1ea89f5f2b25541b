import fc from 'fast-check';
import { Money, type MoneyValue } from '@purser/pricing';
import { parseCsv } from './chargeback-csv-testing';
import {
  DEFAULT_JOURNAL_ACCOUNTS,
  JOURNAL_HEADER,
  journalCsv,
  type JournalAccounts,
  type JournalSource,
} from './journal-csv';

const ACCOUNTS: JournalAccounts = {
  ...DEFAULT_JOURNAL_ACCOUNTS,
  providers: new Map([['openai', '2101']]),
};
/** The journal of November 2026 in USD, with the test's accounts. */
const novemberJournal = (source: Omit<JournalSource, 'month' | 'currency'>) =>
  journalCsv({ month: '2026-11', currency: 'USD', ...source }, ACCOUNTS);
const column = (name: (typeof JOURNAL_HEADER)[number]) => JOURNAL_HEADER.indexOf(name);

function sides(records: string[][]) {
  const sum = (name: (typeof JOURNAL_HEADER)[number]) =>
    records
      .slice(1)
      .reduce((total, record) => total.plus(record[column(name)] || 0), new Money(0) as MoneyValue);
  return {
    debit: sum('debit'),
    credit: sum('credit'),
    debitRounded: sum('debit_rounded'),
    creditRounded: sum('credit_rounded'),
  };
}

describe('journalCsv', () => {
  it('should debit cost centers’ GL accounts and credit each provider’s account', () => {
    const records = parseCsv(
      novemberJournal({
        costCenters: [
          { code: 'CC-SEARCH', glAccount: '6100', amount: '3.335' },
          { code: 'CC-ADS', glAccount: null, amount: '3.335' },
          { code: 'CC-IDLE', glAccount: '6200', amount: '0' },
        ],
        unallocated: '0.33',
        providers: [
          { provider: 'openai', amount: '5' },
          { provider: 'anthropic', amount: '2' },
        ],
      }),
    );
    expect(records).toEqual([
      [...JOURNAL_HEADER],
      [
        '2026-11',
        'USD',
        '6100',
        'CC-SEARCH',
        '',
        'AI spend 2026-11 charged to CC-SEARCH',
        '3.335',
        '',
        '3.34',
        '',
      ],
      [
        '2026-11',
        'USD',
        '6900',
        'CC-ADS',
        '',
        'AI spend 2026-11 charged to CC-ADS',
        '3.335',
        '',
        '3.33',
        '',
      ],
      [
        '2026-11',
        'USD',
        '6999',
        '',
        '',
        'AI spend 2026-11 not allocated to a cost center',
        '0.33',
        '',
        '0.33',
        '',
      ],
      [
        '2026-11',
        'USD',
        '2100',
        '',
        'anthropic',
        'AI spend 2026-11 payable to anthropic',
        '',
        '2',
        '',
        '2.00',
      ],
      [
        '2026-11',
        'USD',
        '2101',
        '',
        'openai',
        'AI spend 2026-11 payable to openai',
        '',
        '5',
        '',
        '5.00',
      ],
    ]);
  });

  it('should post a negative cost center total as a credit', () => {
    const records = parseCsv(
      novemberJournal({
        costCenters: [
          { code: 'CC-A', glAccount: '6100', amount: '-1.5' },
          { code: 'CC-B', glAccount: '6100', amount: '2.5' },
        ],
        unallocated: '0',
        providers: [{ provider: 'openai', amount: '1' }],
      }),
    );
    const credit = records.find((record) => record[column('cost_center')] === 'CC-A');
    expect(credit?.slice(column('debit'))).toEqual(['', '1.5', '', '1.50']);
    const totals = sides(records);
    expect(totals.debit.equals(totals.credit)).toBe(true);
  });

  it('should refuse a source whose providers do not sum to the cost', () => {
    expect(() =>
      novemberJournal({
        costCenters: [{ code: 'CC-A', glAccount: '6100', amount: '1' }],
        unallocated: '0',
        providers: [{ provider: 'openai', amount: '1.000000001' }],
      }),
    ).toThrow(/does not balance: debits 1 ≠ credits 1.000000001/);
  });

  const amount = fc
    .tuple(fc.integer({ min: -100_000_000, max: 1_000_000_000 }), fc.nat({ max: 10 }))
    .map(([units, scale]) => new Money(units).dividedBy(new Money(10).pow(scale)));

  it('should balance exactly and in the rounded columns for any tying-out source', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fc.constantFrom('6100', '6200')), amount), { maxLength: 20 }),
        amount,
        fc.array(amount, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (costCenters, unallocated, providerShares, currency) => {
          const cost = costCenters.reduce((sum, [, value]) => sum.plus(value), unallocated);
          // The providers take the same total, in any shares: the last takes the rest.
          const shares = providerShares.slice(0, -1);
          const rest = shares.reduce((left, share) => left.minus(share), cost);
          const source: JournalSource = {
            month: '2026-11',
            currency,
            costCenters: costCenters.map(([glAccount, value], index) => ({
              code: `CC-${index}`,
              glAccount,
              amount: value,
            })),
            unallocated,
            providers: [...shares, rest].map((share, index) => ({
              provider: `provider-${index}`,
              amount: share,
            })),
          };
          const totals = sides(parseCsv(journalCsv(source, ACCOUNTS)));
          expect(totals.debit.equals(totals.credit)).toBe(true);
          expect(totals.debitRounded.equals(totals.creditRounded)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

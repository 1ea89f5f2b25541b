import { Money, type MoneyValue } from '@purser/pricing';
import {
  csvRecord,
  exactAmount,
  fixedAmount,
  minorUnitsOf,
  roundLargestRemainder,
} from './chargeback-csv-format';

/**
 * Default accounts of the journal entry, each overridable per request (see the README):
 * the payable the AI providers are credited on, the expense account a cost center without a
 * GL account is debited on, and the suspense account unallocated cost is debited on.
 */
export const DEFAULT_JOURNAL_ACCOUNTS = {
  provider: '2100',
  expense: '6900',
  unallocated: '6999',
} as const;

export interface JournalAccounts {
  /** Credited for a provider without an account of its own in `providers`. */
  provider: string;
  /** Per provider id (`openai`…): its payable account. */
  providers: ReadonlyMap<string, string>;
  /** Debited for a cost center without a GL account. */
  expense: string;
  /** Debited with the unallocated cost. */
  unallocated: string;
}

/** What a journal entry is built from: each cost center's total and each provider's. */
export interface JournalSource {
  month: string;
  currency: string;
  costCenters: readonly { code: string; glAccount: string | null; amount: string | MoneyValue }[];
  unallocated: string | MoneyValue;
  /**
   * The month's cost per provider; sums exactly to the cost centers plus unallocated. A
   * `null` provider is cost no provider is known for (credited on the default account).
   */
  providers: readonly { provider: string | null; amount: string | MoneyValue }[];
}

export const JOURNAL_HEADER = [
  'month',
  'currency',
  'account',
  'cost_center',
  'provider',
  'description',
  'debit',
  'credit',
  'debit_rounded',
  'credit_rounded',
] as const;
const AMOUNT_COLUMNS = new Set([6, 7, 8, 9]);

interface Posting {
  account: string;
  costCenter: string | null;
  provider: string | null;
  description: string;
  /** Signed: positive debits, negative credits. */
  amount: MoneyValue;
}

/** Thrown when the sides cannot balance: the source does not tie out (a bug upstream). */
export class UnbalancedJournalError extends Error {
  constructor(debits: MoneyValue, credits: MoneyValue) {
    super(`journal does not balance: debits ${debits.toFixed()} ≠ credits ${credits.toFixed()}`);
    this.name = 'UnbalancedJournalError';
  }
}

/**
 * A month's journal entry as CSV (RFC 4180, CRLF, header): each cost center's GL account is
 * debited with its total, unallocated cost goes to the suspense account, each AI provider's
 * account is credited with its cost. A negative amount posts on the other side. Records are
 * debits then credits, each by account then cost center or provider. Exact columns balance
 * exactly (refused otherwise); the rounded columns are rounded by the largest-remainder
 * method on each side to the same rounded total, so they balance too. Zero postings are
 * left out.
 */
export function journalCsv(source: JournalSource, accounts: JournalAccounts): string {
  const scale = minorUnitsOf(source.currency);
  const postings: Posting[] = [];
  for (const costCenter of source.costCenters) {
    postings.push({
      account: costCenter.glAccount ?? accounts.expense,
      costCenter: costCenter.code,
      provider: null,
      description: `AI spend ${source.month} charged to ${costCenter.code}`,
      amount: new Money(costCenter.amount),
    });
  }
  postings.push({
    account: accounts.unallocated,
    costCenter: null,
    provider: null,
    description: `AI spend ${source.month} not allocated to a cost center`,
    amount: new Money(source.unallocated),
  });
  for (const { provider, amount } of source.providers) {
    postings.push({
      account: (provider !== null && accounts.providers.get(provider)) || accounts.provider,
      costCenter: null,
      provider,
      description:
        provider === null
          ? `AI spend ${source.month} payable, provider not known (closed-month and prior-period differences)`
          : `AI spend ${source.month} payable to ${provider}`,
      amount: new Money(amount).negated(),
    });
  }
  const nonZero = postings.filter((posting) => !posting.amount.isZero());
  const order = (a: Posting, b: Posting) =>
    compare(a.account, b.account) ||
    compare(a.costCenter ?? '', b.costCenter ?? '') ||
    compare(a.provider ?? '', b.provider ?? '');
  const debits = nonZero.filter((posting) => posting.amount.isPositive()).sort(order);
  const credits = nonZero.filter((posting) => posting.amount.isNegative()).sort(order);
  const debitSide = roundLargestRemainder(
    debits.map((posting) => posting.amount),
    scale,
  );
  const creditSide = roundLargestRemainder(
    credits.map((posting) => posting.amount.negated()),
    scale,
  );
  const debitTotal = sum(debits.map((posting) => posting.amount));
  const creditTotal = sum(credits.map((posting) => posting.amount.negated()));
  if (!debitTotal.equals(creditTotal)) throw new UnbalancedJournalError(debitTotal, creditTotal);
  let csv = csvRecord(JOURNAL_HEADER);
  const write = (posting: Posting, rounded: MoneyValue, debit: boolean) => {
    const exact = exactAmount(posting.amount.abs());
    const fixed = fixedAmount(rounded, scale);
    csv += csvRecord(
      [
        source.month,
        source.currency,
        posting.account,
        posting.costCenter,
        posting.provider,
        posting.description,
        debit ? exact : null,
        debit ? null : exact,
        debit ? fixed : null,
        debit ? null : fixed,
      ],
      AMOUNT_COLUMNS,
    );
  };
  debits.forEach((posting, index) => write(posting, debitSide.parts[index], true));
  credits.forEach((posting, index) => write(posting, creditSide.parts[index], false));
  return csv;
}

function sum(amounts: readonly MoneyValue[]): MoneyValue {
  return amounts.reduce((total, amount) => total.plus(amount), new Money(0));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

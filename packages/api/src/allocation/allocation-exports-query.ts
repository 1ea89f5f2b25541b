import { badInput } from '../errors';
import { refuseUnknown, shown, single } from '../http/query-parameters';
import type { MonthRange } from './chargeback-csv-source';

/** The query of an export request, checked. */
export interface ExportQuery {
  range: MonthRange;
  currency: string;
  /** Only this cost center's statement (chargeback export). */
  costCenter: string | null;
  /**
   * Lines by rule and attribution (`detail=rules`, the default: one drill-down per cost
   * center with cost) or one direct and one shared line per cost center (`detail=none`: one
   * chargeback computation, for months with many cost centers).
   */
  detail: boolean;
  /** Journal accounts (journal export); null: the default. */
  providerAccount: string | null;
  providerAccounts: Map<string, string>;
  expenseAccount: string | null;
  unallocatedAccount: string | null;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const ACCOUNT = /^[A-Za-z0-9_.\-/]{1,64}$/;
const PROVIDER = /^[a-z0-9_.-]{1,64}$/;
/** Most providers a journal request may name accounts for. */
const MAX_PROVIDER_ACCOUNTS = 100;

const PARAMETERS = {
  chargeback: ['month', 'currency', 'costCenter', 'detail'],
  journal: [
    'month',
    'currency',
    'providerAccount',
    'providerAccounts',
    'expenseAccount',
    'unallocatedAccount',
  ],
} as const;

/** `2026-11` → the UTC month `[2026-11-01, 2026-12-01)`; anything else names `month`. */
export function parseMonth(value: string | null): MonthRange {
  if (value === null) throw badInput('month: required, a UTC calendar month such as 2026-11');
  const match = MONTH.exec(value);
  if (!match || Number(match[1]) < 1970) {
    throw badInput(
      `month: must be a UTC calendar month such as 2026-11, from 1970 (got ${shown(value)})`,
    );
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  return {
    month: value,
    from: new Date(Date.UTC(year, month - 1, 1)),
    to: new Date(Date.UTC(year, month, 1)),
  };
}

function checked(value: string | null, name: string, pattern: RegExp, rule: string) {
  if (value !== null && !pattern.test(value)) {
    throw badInput(`${name}: ${rule} (got ${shown(value)})`);
  }
  return value;
}

/** `openai:2101,anthropic:2102` → provider → account. */
function providerAccounts(value: string | null): Map<string, string> {
  const accounts = new Map<string, string>();
  if (value === null || value === '') return accounts;
  const pairs = value.split(',');
  if (pairs.length > MAX_PROVIDER_ACCOUNTS) {
    throw badInput(`providerAccounts: at most ${MAX_PROVIDER_ACCOUNTS} providers`);
  }
  for (const pair of pairs) {
    const [provider, account, extra] = pair.split(':');
    if (
      extra !== undefined ||
      account === undefined ||
      !PROVIDER.test(provider) ||
      !ACCOUNT.test(account)
    ) {
      throw badInput(
        `providerAccounts: each entry is provider:account, e.g. openai:2101 (got ${shown(pair)})`,
      );
    }
    if (accounts.has(provider)) throw badInput(`providerAccounts: ${provider} is listed twice`);
    accounts.set(provider, account);
  }
  return accounts;
}

function detailOf(value: string | null): boolean {
  if (value === null || value === 'rules') return true;
  if (value === 'none') return false;
  throw badInput(`detail: rules (the default) or none (got ${shown(value)})`);
}

/**
 * Checks an export's query string: known parameters only (a typo is an error, not a
 * silently different export), each at most once, each named in its error.
 */
export function parseExportQuery(query: unknown, kind: keyof typeof PARAMETERS): ExportQuery {
  const values = (query ?? {}) as Record<string, unknown>;
  refuseUnknown(values, PARAMETERS[kind]);
  const currency =
    checked(single(values, 'currency'), 'currency', CURRENCY, 'a three-letter ISO 4217 code') ??
    'USD';
  const account = (name: string) =>
    checked(single(values, name), name, ACCOUNT, 'an account code: 1 to 64 of A-Z a-z 0-9 _ . - /');
  return {
    range: parseMonth(single(values, 'month')),
    currency: currency.toUpperCase(),
    costCenter: checked(
      single(values, 'costCenter'),
      'costCenter',
      CODE,
      'a cost center code: 1 to 64 of A-Z a-z 0-9 _ . -',
    ),
    detail: detailOf(single(values, 'detail')),
    providerAccount: account('providerAccount'),
    providerAccounts: providerAccounts(single(values, 'providerAccounts')),
    expenseAccount: account('expenseAccount'),
    unallocatedAccount: account('unallocatedAccount'),
  };
}

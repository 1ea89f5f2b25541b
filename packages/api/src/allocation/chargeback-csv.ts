import { Money, type MoneyValue } from '@purser/pricing';
import {
  csvRecord,
  exactAmount,
  fixedAmount,
  minorUnitsOf,
  roundLargestRemainder,
} from './chargeback-csv-format';

/** What brought a statement line its cost, in the order a statement lists them. */
export const STATEMENT_LINE_KINDS = [
  'direct',
  'shared',
  'true-up',
  'prior-period-adjustment',
  'unallocated',
] as const;
export type StatementLineKind = (typeof STATEMENT_LINE_KINDS)[number];

/** One line of a chargeback statement, at full precision. */
export interface StatementLine {
  /** The cost center's code; null for the unallocated statement. */
  costCenter: string | null;
  kind: StatementLineKind;
  /** The allocation rule that brought the cost (its name), when the drill-down gives it. */
  rule: string | null;
  /** The attribution (team, feature…) the cost came with, when the drill-down gives it. */
  attribution: Readonly<Record<string, string | null | undefined>> | null;
  /** For a prior-period adjustment: the closed month ("2026-10") the cost belongs to. */
  priorPeriod?: string | null;
  /** The exact amount (a decimal string or a Money). */
  amount: string | MoneyValue;
}

/** A cost center as a statement heads it. */
export interface StatementCostCenter {
  code: string;
  name: string | null;
  glAccount: string | null;
}

/** Everything one statement file holds: a month, a currency, its cost centers and lines. */
export interface StatementSource {
  month: string;
  currency: string;
  /**
   * The cost centers to state, in order; each gets a statement (a total line at least). A
   * line naming a cost center not listed gets a statement after these, by code.
   */
  costCenters: readonly StatementCostCenter[];
  lines: readonly StatementLine[];
  /** State the unallocated lines (the whole month's file does; one cost center's does not). */
  includeUnallocated: boolean;
}

export const STATEMENT_HEADER = [
  'month',
  'currency',
  'cost_center',
  'cost_center_name',
  'gl_account',
  'kind',
  'prior_period',
  'rule',
  'attribution',
  'amount',
  'amount_rounded',
] as const;
const AMOUNT_COLUMNS = new Set([9, 10]);

/** The `kind` of the record closing each statement; not a line (never sum it with them). */
export const STATEMENT_TOTAL_KIND = 'total';

const KIND_ORDER = new Map<string, number>(
  STATEMENT_LINE_KINDS.map((kind, index) => [kind, index]),
);

/** Attribution as JSON with its keys sorted and empty values left out (unambiguous, stable). */
export function attributionText(attribution: StatementLine['attribution']): string | null {
  if (!attribution) return null;
  const entries = Object.entries(attribution)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? JSON.stringify(Object.fromEntries(entries)) : null;
}

const compareText = (a: string | null, b: string | null) =>
  (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;

interface PreparedLine {
  kind: StatementLineKind;
  priorPeriod: string | null;
  rule: string | null;
  attribution: string | null;
  amount: MoneyValue;
}

/**
 * A statement's lines in a fixed order (kind, rule, attribution, then amount): the
 * rounding's tie-break goes by this order, so the same lines in any order round the same.
 */
function prepare(lines: readonly StatementLine[]): PreparedLine[] {
  return lines
    .map((line) => ({
      kind: line.kind,
      priorPeriod: line.priorPeriod ?? null,
      rule: line.rule,
      attribution: attributionText(line.attribution),
      amount: new Money(line.amount),
    }))
    .sort(
      (a, b) =>
        (KIND_ORDER.get(a.kind) ?? 0) - (KIND_ORDER.get(b.kind) ?? 0) ||
        compareText(a.priorPeriod, b.priorPeriod) ||
        compareText(a.rule, b.rule) ||
        compareText(a.attribution, b.attribution) ||
        a.amount.comparedTo(b.amount),
    );
}

/**
 * The chargeback statements of a month as CSV (RFC 4180, CRLF, a header record), one
 * statement per cost center: its lines, then a `total` record. `amount` is exact;
 * `amount_rounded` is rounded to the currency's ISO 4217 minor unit by the largest-remainder
 * method, so each statement's rounded lines sum exactly to its rounded total. Yields one
 * chunk per statement, so a caller can stream it.
 */
export function* chargebackCsv(source: StatementSource): Generator<string> {
  const scale = minorUnitsOf(source.currency);
  yield csvRecord(STATEMENT_HEADER);
  const byCostCenter = new Map<string | null, StatementLine[]>();
  for (const line of source.lines) {
    // Cost without a cost center (unallocated, or a prior period's unallocated adjustment) is
    // stated on its own, in the whole month's file only.
    if (line.costCenter === null && !source.includeUnallocated) continue;
    const list = byCostCenter.get(line.costCenter) ?? [];
    list.push(line);
    byCostCenter.set(line.costCenter, list);
  }
  const listed = new Set(source.costCenters.map((costCenter) => costCenter.code));
  const unlisted = [...byCostCenter.keys()]
    .filter((code): code is string => code !== null && !listed.has(code))
    .sort()
    .map((code) => ({ code, name: null, glAccount: null }));
  const statements: (StatementCostCenter | null)[] = [...source.costCenters, ...unlisted];
  if (source.includeUnallocated) statements.push(null);
  for (const costCenter of statements) {
    const lines = prepare(byCostCenter.get(costCenter?.code ?? null) ?? []);
    const { parts, total } = roundLargestRemainder(
      lines.map((line) => line.amount),
      scale,
    );
    const head = [
      source.month,
      source.currency,
      costCenter?.code ?? null,
      costCenter?.name ?? null,
      costCenter?.glAccount ?? null,
    ];
    let chunk = '';
    lines.forEach((line, index) => {
      chunk += csvRecord(
        [
          ...head,
          line.kind,
          line.priorPeriod,
          line.rule,
          line.attribution,
          exactAmount(line.amount),
          fixedAmount(parts[index], scale),
        ],
        AMOUNT_COLUMNS,
      );
    });
    const exactTotal = lines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
    chunk += csvRecord(
      [
        ...head,
        STATEMENT_TOTAL_KIND,
        null,
        null,
        null,
        exactAmount(exactTotal),
        fixedAmount(total, scale),
      ],
      AMOUNT_COLUMNS,
    );
    yield chunk;
  }
}

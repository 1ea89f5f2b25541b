import { Money } from '@purser/pricing';

/**
 * The FinOps Foundation focus_validator's check functions, ported to TypeScript: each takes
 * the table and the check's arguments (as the rule model's `CheckFunction` nodes give them)
 * and answers, per row, whether the row satisfies it. Dataset-level checks (column presence,
 * distinct counts, another model rule) answer the same value for every row. A null is an
 * empty CSV field; format and type checks pass nulls (nullability has its own rules).
 *
 * The validator runs each check as SQL (DuckDB), so a comparison with a null is neither true
 * nor false but unknown (`null` here), and AND/OR follow SQL's three-valued logic: a value
 * check (`CommitmentDiscountCategory = 'Spend' OR … = 'Usage'`) is no violation on a null,
 * and a condition that is unknown picks no row.
 */

/** A CSV read column by column; `null` for an empty field. */
export interface Table {
  columns: string[];
  rowCount: number;
  values: Map<string, (string | null)[]>;
}

/** A node of a rule's `Requirement` or `Condition` tree. */
export interface CheckNode {
  CheckFunction: string;
  ColumnName?: string;
  ColumnAName?: string;
  ColumnBName?: string;
  ResultColumnName?: string;
  Value?: string | number | null;
  ExpectedCount?: number;
  ModelRuleId?: string;
  Items?: CheckNode[];
}

export interface CheckContext {
  table: Table;
  currencyCodes: ReadonlySet<string>;
  /** The outcome of another model rule (CheckModelRule): true when it passed or does not apply. */
  modelRule(id: string): boolean;
}

/** The 23 check functions of the validator (`focus_to_duckdb_converter.py` registry). */
export const CHECK_FUNCTIONS = [
  'ColumnPresent',
  'TypeString',
  'TypeDecimal',
  'TypeDateTime',
  'FormatNumeric',
  'FormatString',
  'FormatDateTime',
  'FormatBillingCurrencyCode',
  'FormatKeyValue',
  'FormatCurrency',
  'CheckNationalCurrency',
  'FormatUnit',
  'CheckValue',
  'CheckNotValue',
  'CheckSameValue',
  'CheckNotSameValue',
  'CheckDecimalValue',
  'CheckGreaterOrEqualThanValue',
  'CheckDistinctCount',
  'CheckModelRule',
  'AND',
  'OR',
  'ColumnByColumnEqualsColumnValue',
] as const;

/** Decimal as a data type: any plain or E-notation number (a sign allowed). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/**
 * NumericFormat (FOCUS attribute): an integer, decimal or E-notation number; no "+" sign,
 * no thousands separators, no symbols; an exponent signed only when negative.
 */
const NUMERIC = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE]-?\d+)?$/;
/** DateTimeFormat: extended ISO 8601 in UTC, `YYYY-MM-DDTHH:mm:ssZ`. */
const DATE_TIME_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
/** A date-time as a data type: ISO 8601 with an optional fraction and an offset. */
const DATE_TIME_TYPE =
  /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
/**
 * UnitFormat: an optional whole-number quantity, then units (`Tokens`, `GB-Hours`,
 * `Requests/Second`, `1000000 Tokens`), each word capitalised.
 */
const UNIT_WORDS = '[A-Z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)*';
const UNIT = new RegExp(`^(?:[1-9]\\d* )?${UNIT_WORDS}(?:[-/]${UNIT_WORDS})?$`);

/** Per row: true, false or unknown (SQL NULL). */
export type Truth = boolean | null;
type Rows = Truth[];

const all = (table: Table, value: Truth): Rows => new Array<Truth>(table.rowCount).fill(value);

function column(table: Table, name: string | undefined): (string | null)[] | undefined {
  return name === undefined ? undefined : table.values.get(name);
}

/** Applies `test` to every non-null value of a column; a missing column fails every row. */
function perValue(table: Table, name: string | undefined, test: (value: string) => boolean): Rows {
  const values = column(table, name);
  if (!values) return all(table, false);
  return values.map((value) => value === null || test(value));
}

function wellFormed(value: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

function dateTimeFormat(value: string): boolean {
  const match = DATE_TIME_FORMAT.exec(value);
  if (!match) return false;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString().replace('.000Z', 'Z') === value;
}

function keyValue(value: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  return Object.values(parsed).every((item) => item === null || typeof item !== 'object');
}

/**
 * `cell = value` in SQL: `IS NULL` for a null value, unknown for a null cell; numbers compare
 * as decimals, the rest as text.
 */
function equalsValue(cell: string | null, value: string | number | null | undefined): Truth {
  if (value === null || value === undefined) return cell === null;
  if (cell === null) return null;
  if (typeof value === 'number') return DECIMAL.test(cell) && new Money(cell).equals(value);
  return cell === value;
}

/** Evaluates a check node on every row of the table. */
export function evaluate(node: CheckNode, context: CheckContext): Rows {
  const { table } = context;
  const a = () => column(table, node.ColumnAName);
  const b = () => column(table, node.ColumnBName);
  switch (node.CheckFunction) {
    case 'AND':
    case 'OR': {
      const items = (node.Items ?? []).map((item) => evaluate(item, context));
      // SQL: AND is false if any is false, OR true if any is true; else unknown if any is.
      const decisive = node.CheckFunction === 'OR';
      return all(table, !decisive).map((start, row) => {
        let result: Truth = start;
        for (const item of items) {
          if (item[row] === decisive) return decisive;
          if (item[row] === null) result = null;
        }
        return result;
      });
    }
    case 'ColumnPresent':
      return all(table, table.values.has(node.ColumnName ?? ''));
    case 'TypeString':
      return perValue(table, node.ColumnName, () => true);
    case 'TypeDecimal':
    case 'CheckDecimalValue':
      return perValue(table, node.ColumnName, (value) => DECIMAL.test(value));
    case 'TypeDateTime':
      return perValue(
        table,
        node.ColumnName,
        (value) => DATE_TIME_TYPE.test(value) && !Number.isNaN(Date.parse(value)),
      );
    case 'FormatNumeric':
      return perValue(table, node.ColumnName, (value) => NUMERIC.test(value));
    case 'FormatString':
      return perValue(table, node.ColumnName, (value) => wellFormed(value) && value.trim() !== '');
    case 'FormatDateTime':
      return perValue(table, node.ColumnName, dateTimeFormat);
    case 'FormatKeyValue':
      return perValue(table, node.ColumnName, keyValue);
    case 'FormatBillingCurrencyCode':
    case 'CheckNationalCurrency':
      return perValue(table, node.ColumnName, (value) => context.currencyCodes.has(value));
    case 'FormatCurrency':
      // A national currency's ISO 4217 code, or a virtual currency named as a string.
      return perValue(
        table,
        node.ColumnName,
        (value) =>
          context.currencyCodes.has(value) ||
          (!/^[A-Z]{3}$/.test(value) && wellFormed(value) && value.trim() !== ''),
      );
    case 'FormatUnit':
      return perValue(table, node.ColumnName, (value) => UNIT.test(value));
    case 'CheckValue': {
      const values = column(table, node.ColumnName);
      return values ? values.map((cell) => equalsValue(cell, node.Value)) : all(table, false);
    }
    case 'CheckNotValue': {
      const values = column(table, node.ColumnName);
      return values
        ? values.map((cell) => {
            const equal = equalsValue(cell, node.Value);
            return equal === null ? null : !equal;
          })
        : all(table, false);
    }
    case 'CheckSameValue':
    case 'CheckNotSameValue': {
      const [left, right] = [a(), b()];
      if (!left || !right) return all(table, false);
      const same = node.CheckFunction === 'CheckSameValue';
      return left.map((cell, row) =>
        cell === null || right[row] === null ? null : (cell === right[row]) === same,
      );
    }
    case 'CheckGreaterOrEqualThanValue':
      return perValue(
        table,
        node.ColumnName,
        (value) => DECIMAL.test(value) && new Money(value).gte(Number(node.Value)),
      );
    case 'CheckDistinctCount': {
      const [left, right] = [a(), b()];
      if (!left || !right) return all(table, false);
      const distinct = new Map<string, Set<string | null>>();
      left.forEach((cell, row) => {
        if (cell === null) return;
        const seen = distinct.get(cell) ?? new Set<string | null>();
        seen.add(right[row]);
        distinct.set(cell, seen);
      });
      return left.map((cell) => cell === null || distinct.get(cell)?.size === node.ExpectedCount);
    }
    case 'ColumnByColumnEqualsColumnValue': {
      const [left, right, result] = [a(), b(), column(table, node.ResultColumnName)];
      if (!left || !right || !result) return all(table, false);
      return left.map((cell, row) => {
        const [x, y, z] = [cell, right[row], result[row]];
        if (x === null || y === null || z === null) return null;
        if (![x, y, z].every((value) => DECIMAL.test(value))) return false;
        return new Money(x).times(y).equals(z);
      });
    }
    case 'CheckModelRule':
      return all(table, context.modelRule(node.ModelRuleId ?? ''));
    default:
      throw new Error(`unknown check function ${node.CheckFunction}`);
  }
}

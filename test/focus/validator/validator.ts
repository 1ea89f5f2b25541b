import fs from 'node:fs';
import path from 'node:path';
import { readCsv } from '../../allocation/exports-support';
import { evaluate, type CheckNode, type Table } from './checks';

/**
 * A TypeScript port of the FinOps Foundation's focus_validator rule engine (MIT; its rule
 * model `validator-model-1.2.json` is vendored in ../fixtures with its licence): every
 * `Static` rule of the model is run on a CSV; `Dynamic` rules (which the validator itself
 * reports as skipped) are not.
 *
 * A rule applies when each of its `ApplicabilityCriteria` is one the caller declares for its
 * data (the validator's `--applicability-criteria`) and, when other rules reference it
 * (`CheckModelRule`), one of them applies: the rules under a composite that does not apply
 * (`CommitmentDiscountQuantity-C-000-C` without commitment discounts) are that composite's
 * parts and do not apply either. A rule that does not apply passes as far as
 * `CheckModelRule` is concerned. A rule's `Condition` picks the rows its `Requirement`
 * must hold on; it passes when it holds on every one. The model states each requirement in
 * the form that must hold, whatever its keyword (`MUST NOT be null` is `CheckNotValue null`),
 * so MUST, MUST NOT, SHOULD, SHOULD NOT and RECOMMENDED rules are all checked the same way,
 * strictly; a `MAY` rule is an option, never an obligation: it is evaluated and reported but
 * counts as passing.
 */

export interface ModelRule {
  Function: string;
  Type: 'Static' | 'Dynamic';
  Status: string;
  ApplicabilityCriteria: string[];
  ValidationCriteria: {
    MustSatisfy: string;
    Keyword: string;
    Requirement: CheckNode;
    Condition: CheckNode | Record<string, never>;
  };
}

export interface RuleModel {
  ApplicabilityCriteria: Record<string, unknown>;
  CheckFunctions: Record<string, { Arguments: string[] }>;
  ModelRules: Record<string, ModelRule>;
}

export type RuleStatus = 'passed' | 'failed' | 'not applicable' | 'optional' | 'skipped';

export interface RuleResult {
  id: string;
  status: RuleStatus;
  keyword: string;
  /** Rows (1-based, after the header) that break it: the first few. */
  failingRows: number[];
  mustSatisfy: string;
}

const FIXTURES = path.join(__dirname, '..', 'fixtures');

export function loadModel(): RuleModel {
  return JSON.parse(
    fs.readFileSync(path.join(FIXTURES, 'validator-model-1.2.json'), 'utf8'),
  ) as RuleModel;
}

export function loadCurrencyCodes(): Set<string> {
  const lines = fs.readFileSync(path.join(FIXTURES, 'currency-codes.csv'), 'utf8').split(/\r?\n/);
  return new Set(
    lines
      .slice(1)
      .map((line) => line.split(',')[1]?.trim())
      .filter((code): code is string => Boolean(code)),
  );
}

/** An RFC 4180 CSV (CRLF records) as a table; an empty field is null. */
export function tableOf(csv: string): Table {
  const [header, ...records] = readCsv(csv);
  const values = new Map<string, (string | null)[]>(header.map((name) => [name, []]));
  for (const record of records) {
    header.forEach((name, index) => {
      const cell = record[index] ?? '';
      values.get(name)!.push(cell === '' ? null : cell);
    });
  }
  return { columns: header, rowCount: records.length, values };
}

const isCheck = (node: CheckNode | Record<string, never>): node is CheckNode =>
  typeof (node as CheckNode).CheckFunction === 'string';

/** Runs every Static rule of `model` on `table`. */
export function validate(
  model: RuleModel,
  table: Table,
  options: {
    applicability: ReadonlySet<string>;
    currencyCodes: ReadonlySet<string>;
    /**
     * Rules known to be defective upstream: evaluated and reported as `skipped` (with the
     * outcome in `failingRows`), counted as passing where another rule references them.
     */
    skip?: ReadonlySet<string>;
  },
): Map<string, RuleResult> {
  const results = new Map<string, RuleResult>();
  const running = new Set<string>();
  const parents = parentsOf(model);
  const applicable = new Map<string, boolean>();
  const applies = (id: string, seen = new Set<string>()): boolean => {
    const known = applicable.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return false;
    seen.add(id);
    const rule = model.ModelRules[id];
    const own = rule.ApplicabilityCriteria.every((criterion) =>
      options.applicability.has(criterion),
    );
    const referrers = parents.get(id) ?? [];
    const result = own && (referrers.length === 0 || referrers.some((p) => applies(p, seen)));
    applicable.set(id, result);
    return result;
  };
  const context = {
    table,
    currencyCodes: options.currencyCodes,
    modelRule(id: string): boolean {
      const rule = model.ModelRules[id];
      // A Dynamic rule cannot be checked on a file: it neither passes nor fails here.
      if (!rule || rule.Type !== 'Static') return true;
      const result = run(id);
      return result.status !== 'failed';
    },
  };
  function run(id: string): RuleResult {
    const known = results.get(id);
    if (known) return known;
    if (running.has(id)) throw new Error(`rule ${id} depends on itself`);
    const rule = model.ModelRules[id];
    const criteria = rule.ValidationCriteria;
    running.add(id);
    let result: RuleResult;
    const base = { id, keyword: criteria.Keyword, mustSatisfy: criteria.MustSatisfy };
    if (!applies(id)) {
      result = { ...base, status: 'not applicable', failingRows: [] };
    } else {
      const holds = evaluate(criteria.Requirement, context);
      const picked = isCheck(criteria.Condition)
        ? evaluate(criteria.Condition, context)
        : holds.map(() => true);
      const failingRows: number[] = [];
      // A violation is a row the condition picks (true) where the requirement is false.
      holds.forEach((ok, row) => {
        if (picked[row] === true && ok === false && failingRows.length < 5) {
          failingRows.push(row + 1);
        }
      });
      // A dataset without rows still answers its column checks.
      const datasetFails = table.rowCount === 0 && !datasetHolds(criteria.Requirement, context);
      const failed = failingRows.length > 0 || datasetFails;
      const status: RuleStatus = options.skip?.has(id)
        ? 'skipped'
        : criteria.Keyword === 'MAY'
          ? 'optional'
          : failed
            ? 'failed'
            : 'passed';
      result = { ...base, status, failingRows };
    }
    running.delete(id);
    results.set(id, result);
    return result;
  }
  for (const [id, rule] of Object.entries(model.ModelRules)) {
    if (rule.Type === 'Static') run(id);
  }
  return results;
}

/** Which rules reference each rule (`CheckModelRule` in a requirement or condition). */
function parentsOf(model: RuleModel): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  const visit = (node: CheckNode | Record<string, never>, parent: string) => {
    if (!isCheck(node)) return;
    if (node.CheckFunction === 'CheckModelRule' && node.ModelRuleId) {
      parents.set(node.ModelRuleId, [...(parents.get(node.ModelRuleId) ?? []), parent]);
    }
    for (const item of node.Items ?? []) visit(item, parent);
  };
  for (const [id, rule] of Object.entries(model.ModelRules)) {
    visit(rule.ValidationCriteria.Requirement, id);
    visit(rule.ValidationCriteria.Condition, id);
  }
  return parents;
}

/** A requirement on an empty table: evaluated on one imaginary row of nulls. */
function datasetHolds(node: CheckNode, context: Parameters<typeof evaluate>[1]): boolean {
  const table = context.table;
  const empty: Table = {
    columns: table.columns,
    rowCount: 1,
    values: new Map(table.columns.map((name) => [name, [null]])),
  };
  return evaluate(node, { ...context, table: empty })[0] !== false;
}

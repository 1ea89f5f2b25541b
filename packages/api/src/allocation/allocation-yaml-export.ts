import { Document, isMap, isSeq } from 'yaml';
import type {
  AllocationMatchValue,
  AllocationRuleVersionValue,
  CostCenterValue,
} from './allocation-types';
import type { AllocationFile, AllocationFileRule } from './allocation-yaml-check';
import { MATCH_KEYS } from './allocation-types';

const HEADER = `Purser allocation: the cost-center tree and the rule set (rules as code).
Check a change with \`pnpm purser allocation plan FILE\`, make it with \`... apply FILE\`.
Cost centers not listed (or active: false) are deactivated; rules not listed are deleted.`;

/**
 * A match with its keys in one order, tags sorted, empty values and an empty `tags` left
 * out: two matches that mean the same have equal normal forms (the planner compares them).
 */
export function normalMatch(match: AllocationMatchValue | null | undefined): AllocationMatchValue {
  const result: AllocationMatchValue = {};
  for (const key of MATCH_KEYS) {
    const value = match?.[key];
    if (typeof value === 'string') result[key] = value;
  }
  const tags = Object.entries(match?.tags ?? {})
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (tags.length > 0) result.tags = Object.fromEntries(tags);
  return result;
}

/** Cost centers parents first (a depth-first walk of the tree, siblings by code). */
export function treeOrder<T extends { code: string; parent: string | null }>(
  costCenters: readonly T[],
): T[] {
  const byCode = new Map(costCenters.map((costCenter) => [costCenter.code, costCenter]));
  const children = new Map<string | null, T[]>();
  for (const costCenter of costCenters) {
    // A parent outside the list makes a root of the child (an inactive parent, in an export).
    const parent =
      costCenter.parent !== null && byCode.has(costCenter.parent) ? costCenter.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), costCenter]);
  }
  const ordered: T[] = [];
  const visit = (parent: string | null) => {
    const list = (children.get(parent) ?? []).sort((a, b) =>
      a.code < b.code ? -1 : a.code > b.code ? 1 : 0,
    );
    for (const costCenter of list) {
      ordered.push(costCenter);
      visit(costCenter.code);
    }
  };
  visit(null);
  // Cost centers in a parent cycle are never reached from a root: keep them, by code.
  const reached = new Set(ordered.map((costCenter) => costCenter.code));
  return [
    ...ordered,
    ...costCenters
      .filter((costCenter) => !reached.has(costCenter.code))
      .sort((a, b) => (a.code < b.code ? -1 : 1)),
  ];
}

/**
 * The desired-state form of the stored allocation: the active cost centers, the rules in
 * force, and the deactivated cost centers they still name (as a parent, up the tree, or as
 * a target), marked `active: false`, so that the file is complete and plans no change.
 */
export function allocationFileOf(
  costCenters: readonly CostCenterValue[],
  rules: readonly AllocationRuleVersionValue[],
): AllocationFile {
  const inForce = rules.filter((rule) => !rule.deleted);
  const byCode = new Map(costCenters.map((costCenter) => [costCenter.code, costCenter]));
  const kept = new Set<string>();
  const keep = (code: string | null) => {
    // Up the parent chain until a cost center already kept (each is visited once).
    for (let at = code; at !== null && !kept.has(at) && byCode.has(at);) {
      kept.add(at);
      at = byCode.get(at)!.parentCode;
    }
  };
  for (const costCenter of costCenters) if (costCenter.active) keep(costCenter.code);
  for (const rule of inForce) for (const target of rule.targets) keep(target.costCenter);
  const listed = costCenters
    .filter((costCenter) => kept.has(costCenter.code))
    .map((costCenter) => ({
      code: costCenter.code,
      name: costCenter.name,
      parent: costCenter.parentCode,
      glAccount: costCenter.glAccount,
      owner: costCenter.owner,
      active: costCenter.active,
    }));
  return {
    version: '1',
    costCenters: treeOrder(listed),
    rules: inForce
      .map((rule): AllocationFileRule => ({
        name: rule.name,
        priority: rule.priority,
        method: rule.method,
        match: normalMatch(rule.match),
        targets: rule.targets.map((target) =>
          target.weight !== undefined && target.weight !== null
            ? { costCenter: target.costCenter, weight: target.weight }
            : { costCenter: target.costCenter },
        ),
      }))
      .sort((a, b) => a.priority - b.priority),
  };
}

/**
 * An allocation file as YAML: a header comment, keys in a fixed order, absent values left
 * out, weights quoted (exact decimals, never read as floats), each target and match on one line.
 */
export function renderAllocationYaml(file: AllocationFile): string {
  const plain = {
    version: 1,
    costCenters: file.costCenters.map((costCenter) => ({
      code: costCenter.code,
      name: costCenter.name,
      ...(costCenter.parent !== null ? { parent: costCenter.parent } : {}),
      ...(costCenter.glAccount !== null ? { glAccount: costCenter.glAccount } : {}),
      ...(costCenter.owner !== null ? { owner: costCenter.owner } : {}),
      ...(costCenter.active ? {} : { active: false }),
    })),
    rules: file.rules.map((rule) => ({
      name: rule.name,
      priority: rule.priority,
      method: rule.method,
      ...(Object.keys(rule.match).length > 0 ? { match: normalMatch(rule.match) } : {}),
      targets: rule.targets,
    })),
  };
  const document = new Document(plain);
  plain.rules.forEach((_, index) => {
    const targets = document.getIn(['rules', index, 'targets']);
    if (isSeq(targets)) for (const target of targets.items) if (isMap(target)) target.flow = true;
    const match = document.getIn(['rules', index, 'match']);
    if (isMap(match)) match.flow = true;
  });
  document.commentBefore = HEADER.split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
  return document.toString({ lineWidth: 0 });
}

import { Money, type MoneyValue } from '@purser/pricing';
import { badInput } from '../errors';
import {
  ALLOCATION_METHODS,
  MATCH_KEYS,
  type AllocationMatchValue,
  type AllocationMethodName,
  type AllocationRuleInputValue,
  type CostCenterInputValue,
} from './allocation-types';

/** Limits on a rule (the checks are linear in them). */
export const RULE_LIMITS = {
  name: 200,
  maxPriority: 1_000_000,
  targets: 100,
  value: 256,
  tags: 64,
  weightChars: 40,
  rulesPerPreview: 500,
} as const;

/** Why a rule may not match the tag `__proto__` (API and rules files say the same). */
export const UNMATCHABLE_TAG =
  'refused: usage events drop a tag of that name, so no rule could match it';

const HOUR_MS = 3_600_000;
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const DECIMAL_PATTERN = /^\d+(\.\d+)?$/;
const MATCH_KEY_SET: ReadonlySet<string> = new Set([...MATCH_KEYS, 'tags']);

/** A rule after validation: match without empty fields, weights as decimals, an hour start. */
export interface ValidRule {
  name: string;
  priority: number;
  match: AllocationMatchValue;
  method: AllocationMethodName;
  targets: { costCenter: string; weight?: string }[];
  effectiveFrom: Date;
}

/** What validation needs to know about a cost center. */
export type CostCenterLookup = (code: string) => { active: boolean } | undefined;

/** The start of the UTC hour holding `at`. */
export function hourStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw badInput(`${field}: must be a string`);
  if (value.length === 0 || value.length > max) {
    throw badInput(`${field}: must be 1 to ${max} characters (got ${value.length})`);
  }
  if (value.includes('\u0000')) throw badInput(`${field}: must not contain U+0000`);
  return value;
}

export function validateCode(code: unknown, field = 'code'): string {
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
    throw badInput(
      `${field}: a cost center code is 1 to 64 of A-Z a-z 0-9 _ . - (got ${JSON.stringify(typeof code === 'string' ? code.slice(0, 80) : code)})`,
    );
  }
  return code;
}

/** Checks a cost center's own fields (the parent's existence is the service's job). */
export function validateCostCenterInput(input: CostCenterInputValue): CostCenterInputValue {
  const optional = (value: unknown, field: string) =>
    value === undefined || value === null ? null : text(value, field, RULE_LIMITS.value);
  return {
    code: validateCode(input.code),
    name: text(input.name, 'name', RULE_LIMITS.name),
    parentCode:
      input.parentCode === undefined || input.parentCode === null
        ? null
        : validateCode(input.parentCode, 'parentCode'),
    glAccount: optional(input.glAccount, 'glAccount'),
    owner: optional(input.owner, 'owner'),
  };
}

/** The match fields in the order they are checked. */
const MATCH_FIELDS = [...MATCH_KEYS, 'tags'] as const;

function validateMatch(match: unknown, path: string): AllocationMatchValue {
  if (match === undefined || match === null) return {};
  if (!isPlainObject(match)) throw badInput(`${path}: must be an object`);
  const valid: AllocationMatchValue = {};
  for (const key of Object.keys(match)) {
    if (!MATCH_KEY_SET.has(key)) {
      throw badInput(
        `${path}.${key.slice(0, 64)}: unknown match key (known: ${[...MATCH_KEYS, 'tags'].join(', ')})`,
      );
    }
  }
  // In the keys' own order, not the input's: the same match names the same first problem
  // whichever way its keys came (GraphQL inputs arrive in their class's field order).
  for (const key of MATCH_FIELDS) {
    const value = (match as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    if (key === 'tags') {
      if (!isPlainObject(value)) throw badInput(`${path}.tags: must be an object`);
      const entries = Object.entries(value);
      if (entries.length > RULE_LIMITS.tags) {
        throw badInput(`${path}.tags: at most ${RULE_LIMITS.tags} tags`);
      }
      const tags: Record<string, string> = {};
      for (const [tag, tagValue] of entries) {
        const tagPath = `${path}.tags.${tag.slice(0, 64)}`;
        text(tag, `${path}.tags (a key)`, RULE_LIMITS.value);
        // Assigned, `__proto__` would be dropped and the rule match more than it says.
        if (tag === '__proto__') throw badInput(`${tagPath}: ${UNMATCHABLE_TAG}`);
        tags[tag] = text(tagValue, tagPath, RULE_LIMITS.value);
      }
      if (entries.length > 0) valid.tags = tags;
      continue;
    }
    valid[key as (typeof MATCH_KEYS)[number]] = text(value, `${path}.${key}`, RULE_LIMITS.value);
  }
  return valid;
}

function validateWeight(weight: unknown, path: string): MoneyValue {
  if (typeof weight !== 'string' || weight.length > RULE_LIMITS.weightChars) {
    throw badInput(`${path}: a decimal percent such as "33.5" is required for FIXED`);
  }
  if (!DECIMAL_PATTERN.test(weight)) {
    throw badInput(`${path}: must be a decimal percent greater than 0 (got "${weight}")`);
  }
  const value = new Money(weight);
  if (value.isZero()) throw badInput(`${path}: must be greater than 0`);
  return value;
}

/**
 * Validates one rule input, naming the field of the first problem (`targets[1].costCenter:
 * unknown cost center "CC-X"`). `path` prefixes every field (`rules[2].`). Priorities among
 * rules are checked by the caller (they depend on what else is in force).
 */
export function validateRule(
  input: AllocationRuleInputValue,
  lookup: CostCenterLookup,
  options: { path?: string; now?: Date } = {},
): ValidRule {
  const at = (field: string) => `${options.path ?? ''}${field}`;
  if (!isPlainObject(input)) throw badInput(`${at('rule')}: must be an object`);
  const name = text(input.name, at('name'), RULE_LIMITS.name);
  const { priority } = input;
  if (
    typeof priority !== 'number' ||
    !Number.isInteger(priority) ||
    priority < 0 ||
    priority > RULE_LIMITS.maxPriority
  ) {
    throw badInput(`${at('priority')}: must be an integer from 0 to ${RULE_LIMITS.maxPriority}`);
  }
  const method = input.method;
  if (!(ALLOCATION_METHODS as readonly string[]).includes(method)) {
    throw badInput(`${at('method')}: must be one of ${ALLOCATION_METHODS.join(', ')}`);
  }
  const match = validateMatch(input.match, at('match'));
  const targets: unknown = input.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw badInput(`${at('targets')}: at least one target is required`);
  }
  if (targets.length > RULE_LIMITS.targets) {
    throw badInput(`${at('targets')}: at most ${RULE_LIMITS.targets} targets`);
  }
  if (method === 'DIRECT' && targets.length !== 1) {
    throw badInput(`${at('targets')}: DIRECT takes exactly one target (got ${targets.length})`);
  }
  const seen = new Set<string>();
  let weights = new Money(0);
  const valid: ValidRule['targets'] = targets.map((target: unknown, index) => {
    const path = at(`targets[${index}]`);
    if (!isPlainObject(target)) throw badInput(`${path}: must be an object`);
    const code = validateCode(target.costCenter, `${path}.costCenter`);
    const known = lookup(code);
    if (!known) throw badInput(`${path}.costCenter: unknown cost center "${code}"`);
    if (!known.active) throw badInput(`${path}.costCenter: cost center "${code}" is deactivated`);
    if (seen.has(code)) throw badInput(`${path}.costCenter: "${code}" is listed twice`);
    seen.add(code);
    const weight = target.weight;
    if (method !== 'FIXED') {
      if (weight !== undefined && weight !== null) {
        throw badInput(`${path}.weight: only FIXED takes weights (this rule is ${method})`);
      }
      return { costCenter: code };
    }
    const value = validateWeight(weight, `${path}.weight`);
    weights = weights.plus(value);
    return { costCenter: code, weight: value.toFixed() };
  });
  if (method === 'FIXED' && !weights.equals(100)) {
    throw badInput(
      `${at('targets')}: FIXED weights must sum to exactly 100 (got ${weights.toFixed()})`,
    );
  }
  let effectiveFrom: Date;
  if (input.effectiveFrom === undefined || input.effectiveFrom === null) {
    effectiveFrom = hourStart(options.now ?? new Date());
  } else {
    const value = input.effectiveFrom;
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      throw badInput(`${at('effectiveFrom')}: must be a date-time`);
    }
    if (value.getTime() % HOUR_MS !== 0) {
      throw badInput(
        `${at('effectiveFrom')}: must be a whole UTC hour such as 2026-11-01T00:00:00Z (got ${value.toISOString()})`,
      );
    }
    effectiveFrom = value;
  }
  return { name, priority, match, method, targets: valid, effectiveFrom };
}

/** Refuses two rules of one set with the same priority (a preview's draft set). */
export function assertUniquePriorities(rules: readonly ValidRule[], path = 'rules'): void {
  const byPriority = new Map<number, number>();
  rules.forEach((rule, index) => {
    const other = byPriority.get(rule.priority);
    if (other !== undefined) {
      throw badInput(
        `${path}[${index}].priority: ${rule.priority} is also the priority of ${path}[${other}] ("${rules[other].name}")`,
      );
    }
    byPriority.set(rule.priority, index);
  });
}

/** "2026-11" → [first instant, first instant of the next month). */
export function monthRange(month: unknown): { start: Date; end: Date; month: string } {
  if (typeof month !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    throw badInput(
      `month: must be a UTC month such as "2026-11" (got ${JSON.stringify(typeof month === 'string' ? month.slice(0, 20) : month)})`,
    );
  }
  const [year, monthIndex] = month.split('-').map(Number);
  return {
    month,
    start: new Date(Date.UTC(year, monthIndex - 1, 1)),
    end: new Date(Date.UTC(year, monthIndex, 1)),
  };
}

/** The month ("2026-11") holding `at`, UTC. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

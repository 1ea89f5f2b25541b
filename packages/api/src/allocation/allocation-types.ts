/**
 * Domain types of allocation and chargeback (ARCHITECTURE.md "Allocation and chargeback").
 * Plain values, no GraphQL decorators (those are in `allocation.types.ts`): the services,
 * the exports and the rules-as-code CLI all speak these. Money is a decimal string.
 */
import { ROLLUP_ATTRIBUTION_KEYS } from '@purser/adapters';

/** How a matched row's cost is split among a rule's targets. */
export const ALLOCATION_METHODS = ['DIRECT', 'FIXED', 'EVEN', 'PROPORTIONAL'] as const;
export type AllocationMethodName = (typeof ALLOCATION_METHODS)[number];

/**
 * The exact-value match fields of a rule besides `tags` (the usage columns' API names): the
 * provider, the model and the attribution keys the usage rollups are kept by, since the
 * chargeback reads whole days and hours from those rollups.
 */
export const MATCH_KEYS = ['provider', 'model', ...ROLLUP_ATTRIBUTION_KEYS] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

/** Which rows a rule takes: every given field must equal the row's value; `{}` fits all. */
export type AllocationMatchValue = Partial<Record<MatchKey, string>> & {
  /** Tag key → exact value; every pair must be on the event. */
  tags?: Record<string, string>;
};

/** One receiver of a rule's cost. `weight` (a decimal percent) only for FIXED. */
export interface AllocationTargetValue {
  /** A cost center's code. */
  costCenter: string;
  weight?: string;
}

/** What a caller gives to create or replace a rule (also what a preview takes). */
export interface AllocationRuleInputValue {
  name: string;
  priority: number;
  match?: AllocationMatchValue | null;
  method: AllocationMethodName;
  targets: AllocationTargetValue[];
  /**
   * When the version takes effect: a whole UTC hour (chargeback reads hourly rollups), else
   * BAD_USER_INPUT. Absent: the start of the current UTC hour.
   */
  effectiveFrom?: Date | null;
}

/** A cost center as stored. */
export interface CostCenterValue {
  id: string;
  code: string;
  name: string;
  parentCode: string | null;
  glAccount: string | null;
  owner: string | null;
  /** False once deactivated: kept for history, refused as a new rule target. */
  active: boolean;
  createdAt: Date;
  deactivatedAt: Date | null;
}

export interface CostCenterInputValue {
  code: string;
  name: string;
  parentCode?: string | null;
  glAccount?: string | null;
  owner?: string | null;
}

/** An update: absent fields are kept, `null` clears an optional one. `code` never changes. */
export interface CostCenterPatchValue {
  name?: string;
  parentCode?: string | null;
  glAccount?: string | null;
  owner?: string | null;
}

/** A cost center with its children (the tree listing), children ordered by code. */
export interface CostCenterNodeValue extends CostCenterValue {
  children: CostCenterNodeValue[];
}

/**
 * One effective-dated version of a rule. A version is in force on
 * `[effectiveFrom, effectiveTo)`; `effectiveTo` is the next version's `effectiveFrom`
 * (null: still in force). A delete is a version with `deleted: true` (it matches nothing).
 */
export interface AllocationRuleVersionValue {
  /** The rule's id, stable across versions. */
  id: string;
  version: number;
  name: string;
  priority: number;
  match: AllocationMatchValue;
  method: AllocationMethodName;
  targets: AllocationTargetValue[];
  effectiveFrom: Date;
  effectiveTo: Date | null;
  deleted: boolean;
  /** When this version was written, and by which API key (id) if known. */
  recordedAt: Date;
  recordedBy: string | null;
}

/** Who did something (the API key's id, name and role), for versions and periods' history. */
export interface ActorValue {
  keyId: string | null;
  name: string | null;
  role: string;
}

export const PERIOD_STATES = ['OPEN', 'CLOSED'] as const;
export type PeriodStateName = (typeof PERIOD_STATES)[number];

/** A UTC calendar month "2026-11" and its state; months never closed are OPEN (not listed). */
export interface PeriodValue {
  month: string;
  state: PeriodStateName;
  closedAt: Date | null;
  closedBy: string | null;
  history: PeriodEventValue[];
}

export interface PeriodEventValue {
  action: 'CLOSE' | 'REOPEN';
  at: Date;
  /** The API key id and name that did it (null for the CLI). */
  by: string | null;
  byName: string | null;
  role: string;
  reason: string | null;
}

/**
 * One cost center's line of a chargeback. `total = direct + shared + trueUp`.
 * With `rollUp`, rows with `rolledUp: true` are a parent's sum over its subtree (itself
 * included): they repeat money already in other rows and are NOT part of the report total.
 */
export interface ChargebackRowValue {
  costCenter: string;
  name: string;
  glAccount: string | null;
  parentCode: string | null;
  /** Depth in the tree, 0 for a root. */
  level: number;
  direct: string;
  shared: string;
  /** Its part of the reconciliation variance of the range's billed days (chargeback-true-up.ts). */
  trueUp: string;
  total: string;
  rolledUp: boolean;
}

/**
 * A prior-period adjustment: usage that reached a closed month after it closed (or was
 * re-priced), shown in the next open month's chargeback. `costCenter` null = unallocated.
 */
export interface ChargebackAdjustmentValue {
  /** The closed month the cost belongs to. */
  priorPeriod: string;
  costCenter: string | null;
  glAccount: string | null;
  direct: string;
  shared: string;
  trueUp: string;
  total: string;
}

/**
 * A chargeback for `[from, to)` in one currency.
 * `total = Σ rows(rolledUp=false).total + unallocated + adjustmentsTotal`; without closed
 * months in the range, `total - adjustmentsTotal` equals `spend`'s total for the range exactly.
 */
export interface ChargebackReportValue {
  from: Date;
  to: Date;
  currency: string;
  rows: ChargebackRowValue[];
  unallocated: string;
  adjustments: ChargebackAdjustmentValue[];
  adjustmentsTotal: string;
  total: string;
  /** Closed months of the range whose frozen rows were used. */
  frozenMonths: string[];
}

/** The usage dimensions of a drill-down line (null = absent on the usage). */
export type ChargebackDimensions = Record<MatchKey, string | null> & {
  tags?: Record<string, string | null>;
};

/** A drill-down line: which rule (version) brought which cost from which usage. */
export interface ChargebackLineValue {
  costCenter: string;
  ruleId: string | null;
  ruleName: string | null;
  ruleVersion: number | null;
  method: AllocationMethodName | null;
  /** DIRECT rules give `direct`, the others `shared`. */
  kind: 'DIRECT' | 'SHARED';
  dimensions: ChargebackDimensions;
  amount: string;
}

export interface ChargebackOptions {
  from: Date;
  to: Date;
  /** Add parents' sums (rows with `rolledUp: true`). */
  rollUp?: boolean;
  /** Default: the service's configured default currency (as `spend`). */
  currency?: string;
}

/**
 * The allocation service's API (AllocationService implements it). Errors: BAD_USER_INPUT
 * naming the field (`targets[1].costCenter: unknown cost center "X"`), NOT_FOUND for an
 * unknown id/code, CONFLICT for a duplicate code or a month already closed / not closed.
 * Permissions are checked by the resolvers, not here.
 */
export interface AllocationApi {
  createCostCenter(input: CostCenterInputValue): Promise<CostCenterValue>;
  updateCostCenter(code: string, patch: CostCenterPatchValue): Promise<CostCenterValue>;
  deactivateCostCenter(code: string): Promise<CostCenterValue>;
  /** Flat, ordered by code; inactive ones only with `includeInactive`. */
  listCostCenters(options?: { includeInactive?: boolean }): Promise<CostCenterValue[]>;
  costCenterTree(options?: { includeInactive?: boolean }): Promise<CostCenterNodeValue[]>;

  createRule(
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue>;
  /** A new version of rule `id` (the whole rule is given again). */
  updateRule(
    id: string,
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue>;
  /** A version that ends the rule at `effectiveFrom` (default: start of the current hour). */
  deleteRule(
    id: string,
    effectiveFrom?: Date | null,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue>;
  /** Versions in force at `at` (default now), not deleted, by priority. */
  rulesAt(at?: Date): Promise<AllocationRuleVersionValue[]>;
  /** Every version of one rule, oldest first. */
  ruleHistory(id: string): Promise<AllocationRuleVersionValue[]>;

  chargeback(options: ChargebackOptions): Promise<ChargebackReportValue>;
  /** Lines of one cost center's chargeback by rule and attribution (live computation). */
  chargebackDetail(
    costCenter: string,
    options: Omit<ChargebackOptions, 'rollUp'>,
  ): Promise<ChargebackLineValue[]>;
  /**
   * Every cost center's drill-down lines (each names its cost center) in one computation:
   * `chargebackDetail` of each cost center is exactly its lines here.
   */
  chargebackLines(options: Omit<ChargebackOptions, 'rollUp'>): Promise<ChargebackLineValue[]>;
  /** The chargeback `rules` would give (they replace every stored rule), saving nothing. */
  previewAllocation(
    rules: AllocationRuleInputValue[],
    options: ChargebackOptions,
  ): Promise<ChargebackReportValue>;

  /** Freezes the month's chargeback in every currency it has. CONFLICT if already closed. */
  closePeriod(month: string, actor?: ActorValue): Promise<PeriodValue>;
  /** CONFLICT if not closed. `reason` required (non-empty). */
  reopenPeriod(month: string, reason: string, actor?: ActorValue): Promise<PeriodValue>;
  periods(): Promise<PeriodValue[]>;
}

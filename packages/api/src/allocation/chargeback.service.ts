import { Money, type MoneyValue } from '@purser/pricing';
import type { DataSource, EntityManager } from 'typeorm';
import { badInput } from '../errors';
import { allocate, type AllocationOutcome } from './allocation-engine';
import type { AllocationRuleService } from './allocation-rules.service';
import { segmentsOf, timedRuleOf, type TimedRule } from './allocation-segments';
import type {
  AllocationRuleInputValue,
  ChargebackLineValue,
  ChargebackOptions,
  ChargebackReportValue,
  CostCenterValue,
} from './allocation-types';
import { readUsage } from './allocation-usage';
import {
  assertUniquePriorities,
  monthRange,
  RULE_LIMITS,
  validateRule,
} from './allocation-validate';
import {
  addSums,
  adjustmentsOf,
  rowsOf,
  sumsOf,
  totalOf,
  zeroSums,
  type SumsByCenter,
} from './chargeback-report';
import { drillDownLines } from './chargeback-lines';
import { withTrueUp, type VarianceSource } from './chargeback-true-up';
import type { CostCenterService } from './cost-centers.service';
import { closedPeriods, frozenSums, nextMonth } from './period-store';

const DAY_MS = 86_400_000;
/** The longest range a chargeback covers (the usage read is bounded by it). */
export const MAX_RANGE_DAYS = 1_100;
export const DEFAULT_CURRENCY = 'USD';

interface Range {
  from: Date;
  to: Date;
}

/**
 * Chargeback: runs the engine over the usage of a range, in SQL-summed rows per rule segment
 * and combination (a few thousand for a month), never over single events except the partial
 * hours at the range's ends. Months closed and wholly inside the range come from their frozen
 * rows; usage that reached a closed month after its close shows as prior-period adjustments
 * in the chargeback holding the first day of the next open month.
 */
export class ChargebackService {
  /** The bill the true-up reads (billing's reconciliation, wired in services.ts); null: none. */
  variance: VarianceSource | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly rules: AllocationRuleService,
    private readonly centers: CostCenterService,
  ) {}

  /** The engine over `[from, to)` with the stored versions (as recorded by `recordedBy`) or `versions`. */
  async live(
    manager: EntityManager,
    range: Range & {
      currency: string;
      recordedBy?: Date | null;
      versions?: TimedRule[];
      /** Which cost centers' lines to keep (drill-down); by default only the totals are kept. */
      linesOf?: (costCenter: string) => boolean;
    },
  ): Promise<AllocationOutcome> {
    const versions =
      range.versions ??
      (await this.rules.inRange(range.from, range.to, range.recordedBy ?? null, manager)).map(
        timedRuleOf,
      );
    const { bounds, segments, tagKeys } = segmentsOf(versions, range.from, range.to);
    const usage = await readUsage(manager, {
      from: range.from,
      to: range.to,
      currency: range.currency,
      bounds,
      tagKeys,
    });
    return allocate(usage, segments, range.linesOf ?? (() => false));
  }

  /** `sums` (of the engine run over `range`) with the range's true-up added (docs/0009). */
  trueUp(
    manager: EntityManager,
    range: Range & { currency: string; recordedBy?: Date | null; versions?: TimedRule[] },
    sums: SumsByCenter,
  ): Promise<SumsByCenter> {
    const versions = async () =>
      range.versions ??
      (await this.rules.inRange(range.from, range.to, range.recordedBy ?? null, manager)).map(
        timedRuleOf,
      );
    return withTrueUp(manager, this.variance, range, versions, sums);
  }

  /**
   * Runs `work` in a transaction whose grouping may hash in memory: the planner guesses far
   * more groups than a month's few thousand combinations and, at the default 4 MB work_mem,
   * sorts a million rollup rows on disk instead (5× slower measured). JIT only adds its
   * compile time to a query this short.
   */
  async reading<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await tuneForAggregation(manager);
      return work(manager);
    });
  }

  async report(options: ChargebackOptions): Promise<ChargebackReportValue> {
    const { from, to, currency } = checkRange(options);
    return this.reading((manager) => this.reportIn(manager, { ...options, from, to, currency }));
  }

  private async reportIn(
    manager: EntityManager,
    options: ChargebackOptions & { currency: string },
  ): Promise<ChargebackReportValue> {
    const { from, to, currency } = options;
    const centers = await this.centerMap();
    const closed = await closedPeriods(manager);
    const frozen = closed.filter(({ month }) => {
      const range = monthRange(month);
      return range.start >= from && range.end <= to;
    });
    const sums: SumsByCenter = new Map([[null, zeroSums()]]);
    const pieces = without(
      { from, to },
      frozen.map(({ month }) => monthRange(month)),
    );
    for (const piece of pieces) {
      const run = { ...piece, currency };
      await this.trueUp(manager, run, sumsOf(await this.live(manager, run), sums));
    }
    for (const { month } of frozen) {
      for (const [code, entry] of await frozenSums(manager, month, currency)) {
        addSums(sums, code, entry);
      }
    }
    // Closed months only: each row's GL account as the close stored it (the latest month's),
    // so editing a cost center later does not change a closed month's chargeback.
    const shown =
      pieces.length === 0 && frozen.length > 0
        ? withGlAccounts(centers, await frozenGlAccounts(manager, frozen, currency))
        : centers;
    const closedMonths = new Set(closed.map(({ month }) => month));
    const adjustments = [];
    for (const period of closed) {
      let next = nextMonth(period.month);
      while (closedMonths.has(next)) next = nextMonth(next);
      const nextStart = monthRange(next).start;
      if (nextStart < from || nextStart >= to) continue;
      const range = monthRange(period.month);
      const recorded = { from: range.start, to: range.end, currency, recordedBy: period.closedAt };
      const now = await this.trueUp(manager, recorded, sumsOf(await this.live(manager, recorded)));
      for (const [code, entry] of await frozenSums(manager, period.month, currency)) {
        addSums(now, code, entry, -1);
      }
      adjustments.push(...adjustmentsOf(period.month, now, centers));
    }
    return assemble({
      from,
      to,
      currency,
      sums,
      centers: shown,
      rollUp: options.rollUp ?? false,
      adjustments,
      frozenMonths: frozen.map(({ month }) => month),
    });
  }

  /**
   * The drill-down: every cost center's lines (only `costCenter`'s when given) by rule version
   * and usage combination, split as the report is: a closed month inside the range with the
   * rule versions its close saw (its frozen rows, plus any usage that arrived late), the rest
   * with the versions in force. One engine run per piece, however many cost centers.
   */
  async lines(options: ChargebackOptions, costCenter?: string): Promise<ChargebackLineValue[]> {
    const { from, to, currency } = checkRange(options);
    const linesOf = (code: string) => costCenter === undefined || code === costCenter;
    const outcomes = await this.reading(async (manager) => {
      const frozen = (await closedPeriods(manager)).filter(({ month }) => {
        const range = monthRange(month);
        return range.start >= from && range.end <= to;
      });
      const runs: AllocationOutcome[] = [];
      for (const piece of without(
        { from, to },
        frozen.map(({ month }) => monthRange(month)),
      )) {
        runs.push(await this.live(manager, { ...piece, currency, linesOf }));
      }
      for (const { month, closedAt } of frozen) {
        const range = monthRange(month);
        runs.push(
          await this.live(manager, {
            from: range.start,
            to: range.end,
            currency,
            recordedBy: closedAt,
            linesOf,
          }),
        );
      }
      return runs;
    });
    return drillDownLines(outcomes);
  }

  /**
   * The chargeback a draft rule set would give: the drafts replace every stored rule, each in
   * force from its `effectiveFrom` (absent: the whole range); closed months are recomputed
   * too (a preview shows the rules, not the books). Nothing is written.
   */
  async preview(
    drafts: AllocationRuleInputValue[],
    options: ChargebackOptions,
  ): Promise<ChargebackReportValue> {
    const { from, to, currency } = checkRange(options);
    if (!Array.isArray(drafts)) throw badInput('rules: must be a list');
    if (drafts.length > RULE_LIMITS.rulesPerPreview) {
      throw badInput(`rules: at most ${RULE_LIMITS.rulesPerPreview} rules`);
    }
    const centers = await this.centerMap();
    const valid = drafts.map((draft, index) =>
      validateRule(draft, (code) => centers.get(code), {
        path: `rules[${index}].`,
        now: new Date(0),
      }),
    );
    assertUniquePriorities(valid);
    const versions: TimedRule[] = valid.map((rule, index) =>
      timedRuleOf({
        ...rule,
        id: `draft-${index}`,
        version: 0,
        effectiveTo: null,
        deleted: false,
        recordedAt: new Date(0),
        recordedBy: null,
      }),
    );
    for (const version of versions) version.rule.id = null;
    const sums = await this.reading(async (manager) =>
      this.trueUp(
        manager,
        { from, to, currency, versions },
        sumsOf(await this.live(manager, { from, to, currency, versions })),
      ),
    );
    return assemble({
      from,
      to,
      currency,
      sums,
      centers,
      rollUp: options.rollUp ?? false,
      adjustments: [],
      frozenMonths: [],
    });
  }

  async centerMap(): Promise<Map<string, CostCenterValue>> {
    const all = await this.centers.list({ includeInactive: true });
    return new Map(all.map((center) => [center.code, center]));
  }
}

/** See {@link ChargebackService.reading}; inside a transaction (SET LOCAL). */
export async function tuneForAggregation(manager: EntityManager): Promise<void> {
  await manager.query(`SET LOCAL work_mem = '64MB'`);
  await manager.query(`SET LOCAL jit = off`);
}

export function checkRange(options: ChargebackOptions): Range & { currency: string } {
  const { from, to } = options;
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) {
    throw badInput('from: must be a date-time');
  }
  if (!(to instanceof Date) || Number.isNaN(to.getTime()))
    throw badInput('to: must be a date-time');
  if (!(to.getTime() > from.getTime())) throw badInput('to: must be later than from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw badInput(`to: a chargeback covers at most ${MAX_RANGE_DAYS} days`);
  }
  const currency = (options.currency ?? DEFAULT_CURRENCY).toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw badInput('currency: must be a 3-letter ISO code');
  return { from, to, currency };
}

async function frozenGlAccounts(
  manager: EntityManager,
  months: { month: string }[],
  currency: string,
): Promise<Map<string, string | null>> {
  const rows: { cost_center: string; gl_account: string | null }[] = await manager.query(
    `SELECT cost_center, gl_account FROM allocation_period_rows
     WHERE month = ANY($1::text[]) AND currency = $2 AND cost_center IS NOT NULL ORDER BY month`,
    [months.map(({ month }) => month), currency],
  );
  return new Map(rows.map((row) => [row.cost_center, row.gl_account]));
}

function withGlAccounts(
  centers: ReadonlyMap<string, CostCenterValue>,
  glAccounts: ReadonlyMap<string, string | null>,
): Map<string, CostCenterValue> {
  const shown = new Map(centers);
  for (const [code, glAccount] of glAccounts) {
    const center = shown.get(code);
    if (center) shown.set(code, { ...center, glAccount });
  }
  return shown;
}

/** `range` minus the `holes` (months inside it, in order), as ordered pieces. */
function without(range: Range, holes: { start: Date; end: Date }[]): Range[] {
  const pieces: Range[] = [];
  let cursor = range.from;
  for (const hole of [...holes].sort((a, b) => a.start.getTime() - b.start.getTime())) {
    if (hole.start > cursor) pieces.push({ from: cursor, to: hole.start });
    if (hole.end > cursor) cursor = hole.end;
  }
  if (cursor < range.to) pieces.push({ from: cursor, to: range.to });
  return pieces;
}

function assemble(input: {
  from: Date;
  to: Date;
  currency: string;
  sums: SumsByCenter;
  centers: ReadonlyMap<string, CostCenterValue>;
  rollUp: boolean;
  adjustments: ChargebackReportValue['adjustments'];
  frozenMonths: string[];
}): ChargebackReportValue {
  const rows = rowsOf(input.sums, input.centers, input.rollUp);
  const unallocated = totalOf(input.sums.get(null) ?? zeroSums());
  const adjustmentsTotal = input.adjustments.reduce(
    (sum, line) => sum.plus(line.total),
    new Money(0),
  );
  const total = rows
    .filter((row) => !row.rolledUp)
    .reduce((sum, row) => sum.plus(row.total), unallocated)
    .plus(adjustmentsTotal);
  const text = (value: MoneyValue) => (value.isZero() ? '0' : value.toFixed());
  return {
    from: input.from,
    to: input.to,
    currency: input.currency,
    rows,
    unallocated: text(unallocated),
    adjustments: input.adjustments,
    adjustmentsTotal: text(adjustmentsTotal),
    total: text(total),
    frozenMonths: input.frozenMonths,
  };
}

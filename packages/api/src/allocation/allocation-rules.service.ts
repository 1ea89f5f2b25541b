import type { DataSource, EntityManager } from 'typeorm';
import { badInput, notFound } from '../errors';
import type {
  ActorValue,
  AllocationRuleInputValue,
  AllocationRuleVersionValue,
} from './allocation-types';
import { hourStart, validateRule, type ValidRule } from './allocation-validate';

/**
 * Serialises writes that must see each other: rule versions (the priority check) and a
 * period's close (which versions existed when it closed).
 */
export const ALLOCATION_LOCK = 72_140_001;

/** Runs `work` in a transaction that holds {@link ALLOCATION_LOCK}. */
export function underAllocationLock<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock($1)`, [ALLOCATION_LOCK]);
    return work(manager);
  });
}

/**
 * A version as read from {@link VERSIONS}: the columns stored as the value holds them are
 * typed from it, so a change to a rule's match, method or targets is made in one place.
 */
type VersionRow = Pick<
  AllocationRuleVersionValue,
  'version' | 'name' | 'priority' | 'match' | 'method' | 'targets' | 'deleted'
> & {
  rule_id: string;
  effective_from: Date;
  effective_to: Date | null;
  recorded_at: Date;
  recorded_by: string | null;
};

/**
 * Every version with its end (the next version's start), as recorded up to `$1` (null:
 * everything). A version replaced at its own start has an empty interval.
 */
const VERSIONS = `
  WITH v AS (
    SELECT rule_id::text AS rule_id, version, name, priority, match, method, targets,
      effective_from, deleted, recorded_at, recorded_by,
      lead(effective_from) OVER (PARTITION BY rule_id ORDER BY effective_from, version) AS effective_to
    FROM allocation_rule_versions
    WHERE $1::timestamptz IS NULL OR recorded_at <= $1::timestamptz)`;

const toValue = (row: VersionRow): AllocationRuleVersionValue => ({
  id: row.rule_id,
  version: row.version,
  name: row.name,
  priority: row.priority,
  match: row.match,
  method: row.method,
  targets: row.targets,
  effectiveFrom: new Date(row.effective_from),
  effectiveTo: row.effective_to ? new Date(row.effective_to) : null,
  deleted: row.deleted,
  recordedAt: new Date(row.recorded_at),
  recordedBy: row.recorded_by,
});

const ruleId = (id: string): string => {
  if (typeof id !== 'string' || !/^[1-9]\d{0,17}$/.test(id))
    throw notFound('Allocation rule', String(id).slice(0, 40));
  return id;
};

/** Allocation rules as effective-dated versions: nothing is overwritten. */
export class AllocationRuleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return underAllocationLock(this.dataSource, async (manager) => {
      const rule = await this.validate(manager, input);
      await this.assertPriorityFree(manager, rule, null);
      const [{ id }]: { id: string }[] = await manager.query(
        `INSERT INTO allocation_rules DEFAULT VALUES RETURNING id::text AS id`,
      );
      return this.insertVersion(manager, id, 1, rule, false, actor);
    });
  }

  async update(
    id: string,
    input: AllocationRuleInputValue,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return this.nextVersion(id, actor, false, async (manager, latest) => {
      const rule = await this.validate(manager, input);
      this.assertNotBefore(latest, rule.effectiveFrom);
      await this.assertPriorityFree(manager, rule, id);
      return rule;
    });
  }

  async delete(
    id: string,
    effectiveFrom?: Date | null,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    return this.nextVersion(id, actor, true, async (_manager, latest) => {
      if (latest.deleted) throw badInput(`id: allocation rule "${id}" is already deleted`);
      const at = effectiveFrom ?? hourStart(this.clock());
      if (Number.isNaN(at.getTime()) || at.getTime() % 3_600_000 !== 0) {
        throw badInput(`effectiveFrom: must be a whole UTC hour (got ${at.toISOString?.() ?? at})`);
      }
      this.assertNotBefore(latest, at);
      return {
        name: latest.name,
        priority: latest.priority,
        match: latest.match,
        method: latest.method,
        targets: latest.targets,
        effectiveFrom: at,
      };
    });
  }

  /**
   * Under the allocation lock: the rule's latest version (NOT_FOUND without one) handed to
   * `next`, whose answer is recorded as the following version (a delete when `deleted`).
   */
  private nextVersion(
    id: string,
    actor: ActorValue | undefined,
    deleted: boolean,
    next: (manager: EntityManager, latest: AllocationRuleVersionValue) => Promise<ValidRule>,
  ): Promise<AllocationRuleVersionValue> {
    ruleId(id);
    return underAllocationLock(this.dataSource, async (manager) => {
      const latest = await this.latest(manager, id);
      const rule = await next(manager, latest);
      return this.insertVersion(manager, id, latest.version + 1, rule, deleted, actor);
    });
  }

  /** Versions in force at `at`, not deleted, lowest priority first. */
  async at(at: Date = this.clock()): Promise<AllocationRuleVersionValue[]> {
    const rows: VersionRow[] = await this.dataSource.query(
      `${VERSIONS} SELECT * FROM v WHERE NOT deleted AND effective_from <= $2
         AND (effective_to IS NULL OR effective_to > $2) ORDER BY priority, rule_id`,
      [null, at.toISOString()],
    );
    return rows.map(toValue);
  }

  async history(id: string): Promise<AllocationRuleVersionValue[]> {
    ruleId(id);
    const rows: VersionRow[] = await this.dataSource.query(
      `${VERSIONS} SELECT * FROM v WHERE rule_id = $2 ORDER BY version`,
      [null, id],
    );
    if (rows.length === 0) throw notFound('Allocation rule', id);
    return rows.map(toValue);
  }

  /**
   * Versions whose interval meets `[from, to)` (deleted ones included: they end a rule), as
   * recorded up to `recordedBy` when given (a closed month recomputed as its close saw it).
   */
  async inRange(
    from: Date,
    to: Date,
    recordedBy: Date | null = null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AllocationRuleVersionValue[]> {
    const rows: VersionRow[] = await manager.query(
      `${VERSIONS} SELECT * FROM v WHERE effective_from < $3
         AND (effective_to IS NULL OR effective_to > $2) AND (effective_to IS NULL OR effective_to > effective_from)
       ORDER BY effective_from, priority`,
      [recordedBy?.toISOString() ?? null, from.toISOString(), to.toISOString()],
    );
    return rows.map(toValue);
  }

  private async validate(
    manager: EntityManager,
    input: AllocationRuleInputValue,
  ): Promise<ValidRule> {
    const codes = Array.isArray(input?.targets)
      ? input.targets
          .slice(0, 200)
          .map((target) => (typeof target?.costCenter === 'string' ? target.costCenter : ''))
      : [];
    const rows: { code: string; active: boolean }[] = await manager.query(
      `SELECT code, active FROM cost_centers WHERE code = ANY($1::text[])`,
      [codes],
    );
    const known = new Map(rows.map((row) => [row.code, { active: row.active }]));
    return validateRule(input, (code) => known.get(code), { now: this.clock() });
  }

  private async latest(manager: EntityManager, id: string): Promise<AllocationRuleVersionValue> {
    const rows: VersionRow[] = await manager.query(
      `SELECT rule_id::text AS rule_id, version, name, priority, match, method, targets,
         effective_from, NULL AS effective_to, deleted, recorded_at, recorded_by
       FROM allocation_rule_versions WHERE rule_id = $1 ORDER BY version DESC LIMIT 1`,
      [id],
    );
    if (rows.length === 0) throw notFound('Allocation rule', id);
    return toValue(rows[0]);
  }

  private assertNotBefore(latest: AllocationRuleVersionValue, effectiveFrom: Date) {
    if (effectiveFrom < latest.effectiveFrom) {
      throw badInput(
        `effectiveFrom: must not be before the rule's latest version (version ${latest.version} takes effect ${latest.effectiveFrom.toISOString()})`,
      );
    }
  }

  /** No other rule may hold the same priority at any instant from `effectiveFrom` on. */
  private async assertPriorityFree(manager: EntityManager, rule: ValidRule, self: string | null) {
    const rows: { rule_id: string; name: string }[] = await manager.query(
      `${VERSIONS} SELECT rule_id, name FROM v
       WHERE NOT deleted AND priority = $2 AND ($3::bigint IS NULL OR rule_id::bigint <> $3::bigint)
         AND (effective_to IS NULL OR (effective_to > $4 AND effective_to > effective_from))
       LIMIT 1`,
      [null, rule.priority, self, rule.effectiveFrom.toISOString()],
    );
    if (rows.length > 0) {
      throw badInput(
        `priority: rule "${rows[0].name}" (id ${rows[0].rule_id}) has priority ${rule.priority} in force at the same time`,
      );
    }
  }

  private async insertVersion(
    manager: EntityManager,
    id: string,
    version: number,
    rule: ValidRule,
    deleted: boolean,
    actor?: ActorValue,
  ): Promise<AllocationRuleVersionValue> {
    await manager.query(
      `INSERT INTO allocation_rule_versions
         (rule_id, version, name, priority, match, method, targets, effective_from, deleted, recorded_by, recorded_by_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        version,
        rule.name,
        rule.priority,
        JSON.stringify(rule.match),
        rule.method,
        JSON.stringify(rule.targets),
        rule.effectiveFrom.toISOString(),
        deleted,
        actor?.keyId ?? null,
        actor?.name ?? null,
      ],
    );
    const rows: VersionRow[] = await manager.query(
      `${VERSIONS} SELECT * FROM v WHERE rule_id = $2 AND version = $3`,
      [null, id, version],
    );
    return toValue(rows[0]);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import { returningRows } from '../db/returning';
import { badInput, notFound, PurserError } from '../errors';
import type {
  CostCenterInputValue,
  CostCenterNodeValue,
  CostCenterPatchValue,
  CostCenterValue,
} from './allocation-types';
import { validateCode, validateCostCenterInput } from './allocation-validate';

interface CostCenterRow {
  id: string;
  code: string;
  name: string;
  parent_code: string | null;
  gl_account: string | null;
  owner: string | null;
  active: boolean;
  created_at: Date;
  deactivated_at: Date | null;
}

const COLUMNS = `id::text AS id, code, name, parent_code, gl_account, owner, active, created_at, deactivated_at`;

const toValue = (row: CostCenterRow): CostCenterValue => ({
  id: row.id,
  code: row.code,
  name: row.name,
  parentCode: row.parent_code,
  glAccount: row.gl_account,
  owner: row.owner,
  active: row.active,
  createdAt: new Date(row.created_at),
  deactivatedAt: row.deactivated_at ? new Date(row.deactivated_at) : null,
});

/** Serialises parent changes (the cycle check reads the chain other changes may move). */
const COST_CENTER_TREE_LOCK = 72_140_002;

/** Cost centers: a tree by parent code; a deactivated one keeps its history. */
export class CostCenterService {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: CostCenterInputValue): Promise<CostCenterValue> {
    const valid = validateCostCenterInput(input);
    return this.dataSource.transaction(async (manager) => {
      if (valid.parentCode) await this.requireParent(manager, valid.parentCode, 'parentCode');
      const rows: CostCenterRow[] = await manager.query(
        `INSERT INTO cost_centers (code, name, parent_code, gl_account, owner)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING RETURNING ${COLUMNS}`,
        [valid.code, valid.name, valid.parentCode, valid.glAccount, valid.owner],
      );
      if (rows.length === 0) {
        throw new PurserError({
          code: 'CONFLICT',
          message: `code: cost center "${valid.code}" already exists`,
        });
      }
      return toValue(rows[0]);
    });
  }

  async update(code: string, patch: CostCenterPatchValue): Promise<CostCenterValue> {
    validateCode(code);
    return this.dataSource.transaction(async (manager) => {
      // Parent changes one at a time: two checked together could each pass the other's
      // chain and meet in a cycle (Postgres then kills one as a deadlock, unexplained).
      if (patch.parentCode !== undefined) {
        await manager.query(`SELECT pg_advisory_xact_lock($1)`, [COST_CENTER_TREE_LOCK]);
      }
      const current = await this.lock(manager, code);
      const merged = validateCostCenterInput({
        code,
        name: patch.name ?? current.name,
        parentCode: patch.parentCode === undefined ? current.parentCode : patch.parentCode,
        glAccount: patch.glAccount === undefined ? current.glAccount : patch.glAccount,
        owner: patch.owner === undefined ? current.owner : patch.owner,
      });
      if (merged.parentCode && merged.parentCode !== current.parentCode) {
        await this.requireParent(manager, merged.parentCode, 'parentCode');
        const cycle: { code: string }[] = await manager.query(
          `WITH RECURSIVE up AS (
             SELECT code, parent_code, 1 AS depth FROM cost_centers WHERE code = $1
             UNION ALL
             SELECT c.code, c.parent_code, up.depth + 1 FROM cost_centers c
             JOIN up ON c.code = up.parent_code WHERE up.depth < 10000)
           SELECT code FROM up WHERE code = $2 LIMIT 1`,
          [merged.parentCode, code],
        );
        if (cycle.length > 0) {
          throw badInput(
            `parentCode: "${merged.parentCode}" is "${code}" or below it (the tree would have a cycle)`,
          );
        }
      }
      const rows = returningRows<CostCenterRow>(
        await manager.query(
          `UPDATE cost_centers SET name = $2, parent_code = $3, gl_account = $4, owner = $5,
           updated_at = clock_timestamp() WHERE code = $1 RETURNING ${COLUMNS}`,
          [code, merged.name, merged.parentCode, merged.glAccount, merged.owner],
        ),
      );
      return toValue(rows[0]);
    });
  }

  async deactivate(code: string): Promise<CostCenterValue> {
    validateCode(code);
    const rows = returningRows<CostCenterRow>(
      await this.dataSource.query(
        `UPDATE cost_centers SET active = false,
         deactivated_at = COALESCE(deactivated_at, clock_timestamp()), updated_at = clock_timestamp()
       WHERE code = $1 RETURNING ${COLUMNS}`,
        [code],
      ),
    );
    if (rows.length === 0) throw notFound('Cost center', code);
    return toValue(rows[0]);
  }

  async list(options: { includeInactive?: boolean } = {}): Promise<CostCenterValue[]> {
    const rows: CostCenterRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM cost_centers ${options.includeInactive ? '' : 'WHERE active'} ORDER BY code`,
    );
    return rows.map(toValue);
  }

  /** Roots first, children by code; a child whose parent is filtered out becomes a root. */
  async tree(options: { includeInactive?: boolean } = {}): Promise<CostCenterNodeValue[]> {
    return buildTree(await this.list(options));
  }

  private async lock(manager: EntityManager, code: string): Promise<CostCenterValue> {
    const rows: CostCenterRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM cost_centers WHERE code = $1 FOR UPDATE`,
      [code],
    );
    if (rows.length === 0) throw notFound('Cost center', code);
    return toValue(rows[0]);
  }

  private async requireParent(manager: EntityManager, code: string, field: string) {
    const rows: { active: boolean }[] = await manager.query(
      `SELECT active FROM cost_centers WHERE code = $1`,
      [code],
    );
    if (rows.length === 0) throw badInput(`${field}: unknown cost center "${code}"`);
  }
}

export function buildTree(centers: readonly CostCenterValue[]): CostCenterNodeValue[] {
  const nodes = new Map<string, CostCenterNodeValue>(
    centers.map((center) => [center.code, { ...center, children: [] }]),
  );
  const roots: CostCenterNodeValue[] = [];
  for (const center of centers) {
    const node = nodes.get(center.code)!;
    const parent = center.parentCode ? nodes.get(center.parentCode) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

import type { DataSource } from 'typeorm';
import { type PreparedStatement, queryPrepared } from '../db/prepared';
import { holdBatchDocument } from './hold-documents';
import type { HoldRequest, HoldResult } from './hold-types';

const HOLD_BATCH: PreparedStatement = {
  name: 'purser_hold_batch',
  text: `SELECT * FROM purser_hold_batch($1::jsonb)`,
};

/** What `purser_hold_batch` answers per hold, in hold order. */
interface HoldBatchRow {
  /** Null when placed; else `budget:<id>` (`:allowances` when only lent room refused it) or `limit:<id>`. */
  o_refused: string | null;
  o_spent: string[];
  o_reserved: string[];
  o_counted: string[];
}

/**
 * Places `requests` in one statement (`purser_hold_batch`), each all or nothing, in order;
 * answers their results in the order of `requests`.
 */
export async function placeHoldBatch(
  dataSource: DataSource,
  requests: HoldRequest[],
  syncCommit: boolean,
): Promise<HoldResult[]> {
  const rows = await queryPrepared<HoldBatchRow>(dataSource, HOLD_BATCH, [
    JSON.stringify(holdBatchDocument(requests, syncCommit)),
  ]);
  if (rows.length !== requests.length) {
    throw new Error(`purser_hold_batch answered ${rows.length} rows for ${requests.length} holds`);
  }
  return rows.map(holdResult);
}

function holdResult(row: HoldBatchRow): HoldResult {
  const refused = row.o_refused;
  const [kind, id, allowances] = refused?.split(':') ?? [];
  return {
    ok: refused === null,
    ...(kind === 'budget' ? { budgetId: id } : {}),
    ...(allowances ? { allowances: true } : {}),
    ...(kind === 'limit' ? { limitId: id } : {}),
    spent: row.o_spent,
    reserved: row.o_reserved,
    counted: row.o_counted,
  };
}

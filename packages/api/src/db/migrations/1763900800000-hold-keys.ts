import type { MigrationInterface, QueryRunner } from 'typeorm';
import { holdBatchFunction } from './1763900500000-hold-batch';
import { allowanceSyncFunction } from './1763900600000-hold-allowances';

const HOLD_BATCH_ARGS =
  'uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], timestamptz[], timestamptz[], integer[], integer[], uuid[], text[], timestamptz[], integer[], integer[], numeric[], numeric[], boolean';
const ALLOWANCE_SYNC_ARGS =
  'uuid, integer, numeric, uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], integer[], integer[], uuid[], timestamptz[], timestamptz[], numeric[], numeric[], boolean';

/** The argument list with the hold keys (`uuid[]`) after the seventh hold column. */
function keyedArgs(args: string, holdColumnsFrom: number): string {
  const parts = args.split(', ');
  parts.splice(holdColumnsFrom + 7, 0, 'uuid[]');
  return parts.join(', ');
}

/**
 * Holds bound to the API key that placed them (docs/0006-hold-binding-and-settlement.md):
 * `reservations.key_id`, written by `purser_hold_batch` and `purser_allowance_sync` from a
 * new positional array `h_keys`. Only that key (or an admin) may release the hold, and only
 * usage it sends (or usage from a trusted channel: NATS, replays) settles it. Holds placed
 * before this migration have no key and stay unbound until they close.
 */
export class HoldKeys1763900800000 implements MigrationInterface {
  name = 'HoldKeys1763900800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE reservations ADD COLUMN key_id uuid`);
    await queryRunner.query(`DROP FUNCTION purser_hold_batch(${HOLD_BATCH_ARGS})`);
    await queryRunner.query(holdBatchFunction(true, true));
    await queryRunner.query(`DROP FUNCTION purser_allowance_sync(${ALLOWANCE_SYNC_ARGS})`);
    await queryRunner.query(allowanceSyncFunction(true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION purser_allowance_sync(${keyedArgs(ALLOWANCE_SYNC_ARGS, 3)})`,
    );
    await queryRunner.query(allowanceSyncFunction(false));
    await queryRunner.query(`DROP FUNCTION purser_hold_batch(${keyedArgs(HOLD_BATCH_ARGS, 0)})`);
    await queryRunner.query(holdBatchFunction(true));
    await queryRunner.query(`ALTER TABLE reservations DROP COLUMN key_id`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing sources (one configured provider account each; the API key encrypted with a key
 * derived from PURSER_SECRET_KEY) and the provider cost lines they synced. A line is keyed by
 * (source, line key) — `providerCostLineKey`, its identity across re-syncs — so syncing a
 * range twice stores nothing twice; a restated line replaces the amount and keeps the
 * previous one with `restated_at`, so the change stays visible.
 */
export class Billing1763901600000 implements MigrationInterface {
  name = 'Billing1763901600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE billing_sources (
        id text PRIMARY KEY,
        provider text NOT NULL,
        name text NOT NULL UNIQUE,
        base_url text,
        api_key_ciphertext text,
        last_synced_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE provider_cost_lines (
        source_id text NOT NULL REFERENCES billing_sources (id) ON DELETE CASCADE,
        line_key text NOT NULL,
        day date NOT NULL,
        provider text NOT NULL,
        model text,
        line_item text NOT NULL,
        cost_type text NOT NULL,
        token_type text,
        project text,
        amount numeric NOT NULL,
        currency text NOT NULL,
        quantity numeric,
        unit text,
        dimensions jsonb NOT NULL DEFAULT '{}',
        raw jsonb,
        imported_at timestamptz NOT NULL DEFAULT now(),
        previous_amount numeric,
        restated_at timestamptz,
        PRIMARY KEY (source_id, line_key)
      )`);
    await queryRunner.query(
      `CREATE INDEX provider_cost_lines_day ON provider_cost_lines (provider, day)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE provider_cost_lines`);
    await queryRunner.query(`DROP TABLE billing_sources`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Price cards are immutable rows. A price change or correction inserts a new row (a new
 * version) and marks the rows it replaces as superseded; nothing is edited or deleted, so
 * every price ever in force, and every correction, stays queryable.
 */
export class Pricing1763900100000 implements MigrationInterface {
  name = 'Pricing1763900100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE price_cards (
        id text PRIMARY KEY,
        base_id text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        provider text NOT NULL,
        model text NOT NULL,
        effective_from timestamptz NOT NULL,
        effective_to timestamptz,
        card jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text,
        superseded_at timestamptz,
        superseded_by text REFERENCES price_cards (id),
        UNIQUE (base_id, version),
        CHECK (effective_to IS NULL OR effective_to > effective_from)
      )`);
    await queryRunner.query(
      `CREATE INDEX price_cards_active ON price_cards (provider, model, effective_from) WHERE superseded_at IS NULL`,
    );
    // One row whose revision every catalog write bumps, so replicas know when to reload.
    await queryRunner.query(`
      CREATE TABLE pricing_catalog_state (
        id integer PRIMARY KEY CHECK (id = 1),
        revision bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO pricing_catalog_state (id, revision) VALUES (1, 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE pricing_catalog_state`);
    await queryRunner.query(`DROP TABLE price_cards`);
  }
}

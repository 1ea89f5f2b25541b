import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1763900000000 implements MigrationInterface {
  name = 'ApiKeys1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'finance', 'viewer', 'gateway')),
        secret_hash text NOT NULL UNIQUE,
        secret_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}

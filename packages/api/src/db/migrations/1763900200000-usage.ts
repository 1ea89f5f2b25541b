import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dimensions a spend report can group by, stored as columns on events and rollups alike. */
const ATTRIBUTION_COLUMNS = `
        provider text NOT NULL,
        model text NOT NULL,
        team text,
        feature text,
        environment text,
        customer text,
        project text,
        user_id text,
        agent text`;

const TOKEN_COLUMNS = `
        input_tokens bigint NOT NULL DEFAULT 0,
        cache_read_tokens bigint NOT NULL DEFAULT 0,
        cache_write_tokens bigint NOT NULL DEFAULT 0,
        cache_write_1h_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL DEFAULT 0`;

/**
 * Usage events, one row per model call, deduplicated by the unique (source, event_id) in
 * the same transaction as the write. `usage_hourly` is an exact rollup maintained in that
 * same transaction, so a spend report reads whole hours from it and only the partial hours
 * at the edges of its range from the events.
 */
export class Usage1763900200000 implements MigrationInterface {
  name = 'Usage1763900200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source text NOT NULL,
        event_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        ingest_path text NOT NULL,
        ${ATTRIBUTION_COLUMNS},
        operation text,
        session text,
        virtual_key text,
        request_path text,
        tags jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'success',
        error_type text,
        latency_ms integer,
        retry_count integer,
        cache_hit boolean NOT NULL DEFAULT false,
        batch boolean NOT NULL DEFAULT false,
        ${TOKEN_COLUMNS},
        units jsonb NOT NULL DEFAULT '{}',
        cost numeric NOT NULL,
        currency text NOT NULL,
        cost_breakdown jsonb NOT NULL,
        price_card_id text,
        unpriced boolean NOT NULL,
        unpriced_keys text[] NOT NULL DEFAULT '{}',
        priced_at timestamptz NOT NULL DEFAULT now(),
        reported_cost numeric,
        reported_currency text,
        decision_id text,
        UNIQUE (source, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX usage_events_occurred_at ON usage_events (occurred_at)`);
    await queryRunner.query(
      `CREATE INDEX usage_events_model ON usage_events (provider, model, occurred_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX usage_events_unpriced ON usage_events (occurred_at) WHERE unpriced`,
    );
    await queryRunner.query(`
      CREATE TABLE usage_hourly (
        hour timestamptz NOT NULL,
        ${ATTRIBUTION_COLUMNS},
        currency text NOT NULL,
        requests bigint NOT NULL,
        cost numeric NOT NULL,
        ${TOKEN_COLUMNS}
      )`);
    // NULLS NOT DISTINCT (Postgres 15+): an absent team is one group, not a new row per event.
    await queryRunner.query(`
      CREATE UNIQUE INDEX usage_hourly_key ON usage_hourly
        (hour, provider, model, team, feature, environment, customer, project, user_id, agent, currency)
        NULLS NOT DISTINCT`);
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        origin text NOT NULL,
        subject text,
        stream_sequence bigint,
        event_id text,
        source text,
        reason text NOT NULL,
        details jsonb,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        replayed_at timestamptz,
        replay_result text
      )`);
    // A message redelivered after a crash must not be dead-lettered twice.
    await queryRunner.query(
      `CREATE UNIQUE INDEX dead_letters_stream_sequence ON dead_letters (stream_sequence) WHERE stream_sequence IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
    await queryRunner.query(`DROP TABLE usage_hourly`);
    await queryRunner.query(`DROP TABLE usage_events`);
  }
}

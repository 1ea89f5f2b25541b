/**
 * How an ingest batch is written: its events as one JSON document of rows, read by one
 * statement that inserts them and adds exactly the inserted ones to the hourly and daily
 * rollups.
 */
import { wellFormed } from '../db/well-formed';
import { storedIdentity } from './ingest-types';
import {
  dailyRollupSql,
  dailyTaggedRollupSql,
  DIMENSION_COLUMNS,
  hourlyRollupSql,
  type PricedEvent,
  TOKEN_COLUMNS,
} from './usage-rows';

/**
 * The columns of `usage_events` an ingest batch writes, with their types, in the order of the
 * values of a row in the batch's JSON document. `ingest_path` is the same for the whole batch
 * and travels as a parameter of its own.
 */
const EVENT_COLUMNS = [
  ['source', 'text'],
  ['event_id', 'text'],
  ['occurred_at', 'timestamptz'],
  ['provider', 'text'],
  ['model', 'text'],
  ['team', 'text'],
  ['feature', 'text'],
  ['environment', 'text'],
  ['customer', 'text'],
  ['project', 'text'],
  ['user_id', 'text'],
  ['agent', 'text'],
  ['operation', 'text'],
  ['session', 'text'],
  ['virtual_key', 'text'],
  ['request_path', 'text'],
  ['tags', 'jsonb'],
  ['status', 'text'],
  ['error_type', 'text'],
  ['latency_ms', 'integer'],
  ['retry_count', 'integer'],
  ['cache_hit', 'boolean'],
  ['batch', 'boolean'],
  ['input_tokens', 'bigint'],
  ['cache_read_tokens', 'bigint'],
  ['cache_write_tokens', 'bigint'],
  ['cache_write_1h_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['reasoning_tokens', 'bigint'],
  ['units', 'jsonb'],
  ['cost', 'numeric'],
  ['currency', 'text'],
  ['cost_breakdown', 'jsonb'],
  ['price_card_id', 'text'],
  ['unpriced', 'boolean'],
  ['unpriced_keys', 'text[]'],
  ['reported_cost', 'numeric'],
  ['reported_currency', 'text'],
  ['decision_id', 'text'],
] as const;

/**
 * Positions of the text columns. They keep the meaning a text parameter gives a lone surrogate
 * (U+FFFD, see {@link wellFormed}); a JSON column holding one is still refused, as it always was.
 */
const TEXT_POSITIONS = EVENT_COLUMNS.flatMap(([, type], index) => (type === 'text' ? [index] : []));

/**
 * One event as an array of its column values in {@link EVENT_COLUMNS} order; `undefined`
 * becomes JSON `null` (SQL NULL).
 */
function eventRow(row: PricedEvent): unknown[] {
  const { event, cost } = row;
  const a = event.attribution;
  const usage = event.usage;
  return [
    event.source,
    event.id,
    event.timestampText,
    event.provider,
    event.model,
    a.team,
    a.feature,
    a.environment,
    a.customer,
    a.project,
    a.user,
    a.agent,
    event.operation,
    a.session,
    a.virtualKey,
    a.requestPath,
    event.tags,
    event.status,
    event.errorType,
    // The contract allows fractions; the column keeps whole milliseconds.
    event.latencyMs === undefined ? undefined : Math.round(event.latencyMs),
    event.retryCount,
    event.cacheHit,
    event.batch,
    usage.input_tokens ?? 0,
    usage.cache_read_tokens ?? 0,
    usage.cache_write_tokens ?? 0,
    usage.cache_write_1h_tokens ?? 0,
    usage.output_tokens ?? 0,
    usage.reasoning_tokens ?? 0,
    usage.units ?? {},
    row.costTotal,
    cost.currency,
    cost.breakdown,
    cost.price_card_id,
    cost.unpriced_keys.length > 0,
    cost.unpriced_keys,
    event.reportedCost?.amount,
    event.reportedCost?.currency,
    event.decisionId,
  ];
}

/**
 * The batch as one JSON document, an array of {@link eventRow} arrays: one parameter that
 * `JSON.stringify` writes in one pass and Postgres parses once as `jsonb`, each row's values
 * then read by position. (Keyed objects read with `json_to_recordset` cost Postgres about
 * twice as much per event: a hash table per object; `jsonb_to_recordset` sorts every
 * object's keys.)
 */
export function eventRowsJson(rows: PricedEvent[]): string {
  const arrays = rows.map(eventRow);
  const json = JSON.stringify(arrays);
  // Any `\\ud…` escape takes the careful way (rare: a lone surrogate, or such literal text).
  if (!json.includes('\\ud')) return json;
  for (const values of arrays) {
    for (const index of TEXT_POSITIONS) {
      const value = values[index];
      if (typeof value === 'string') values[index] = wellFormed(value);
    }
  }
  return JSON.stringify(arrays);
}

/** The SQL reading column `index` of {@link EVENT_COLUMNS} from the row array `r`. */
function columnValue(index: number): string {
  const type = EVENT_COLUMNS[index][1];
  if (type === 'jsonb') return `r -> ${index}`;
  if (type === 'text[]') return `ARRAY(SELECT jsonb_array_elements_text(r -> ${index}))`;
  if (type === 'text') return `r ->> ${index}`;
  return `(r ->> ${index})::${type}`;
}

/**
 * One statement per batch: insert the events (the unique (source, event_id) key drops
 * those already stored) and add exactly the inserted ones to `usage_hourly`,
 * `usage_daily` and (those with tags) `usage_daily_tagged`, so rollups
 * and events cannot disagree and a redelivered batch adds nothing. Postgres sums the
 * numeric costs exactly and files each event under the hour of the instant it stored.
 * Rows are written in key order so that concurrent batches lock them in the same order
 * and cannot deadlock. `$1` is the batch document ({@link eventRowsJson}), `$2` the path.
 */
export const INSERT_EVENTS_SQL = `
  WITH inserted AS (
    INSERT INTO usage_events (${EVENT_COLUMNS.map(([column]) => column).join(', ')}, ingest_path)
    SELECT ${EVENT_COLUMNS.map((_, index) => columnValue(index)).join(', ')}, $2::text
    FROM jsonb_array_elements($1::jsonb) AS r
    ORDER BY 1, 2
    ON CONFLICT (source, event_id) DO NOTHING
    RETURNING source, event_id, occurred_at, ${DIMENSION_COLUMNS.join(', ')}, currency, unpriced,
      cost, ${TOKEN_COLUMNS.join(', ')}, tags
  ), rollup AS (${hourlyRollupSql('inserted')}
  ), daily AS (${dailyRollupSql('inserted')}
  ), tagged AS (${dailyTaggedRollupSql('inserted')}
  )
  SELECT source, event_id FROM inserted`;

/** A row the batch statement answers: an event it inserted (not already stored). */
export interface InsertedRow {
  source: string;
  event_id: string;
}

/** The batch's events the statement inserted: their item indexes and priced events. */
export function insertedOnes(
  events: { index: number; priced: PricedEvent }[],
  returned: InsertedRow[],
): { indexes: number[]; stored: PricedEvent[] } {
  // The batch holds each stored identity once: as many rows as events means all were inserted.
  if (returned.length === events.length) {
    return {
      indexes: events.map((entry) => entry.index),
      stored: events.map((entry) => entry.priced),
    };
  }
  const inserted = new Set(returned.map((row) => `${row.source}\u0000${row.event_id}`));
  const indexes: number[] = [];
  const stored: PricedEvent[] = [];
  for (const entry of events) {
    const { event } = entry.priced;
    if (!inserted.has(storedIdentity(event.source, event.id))) continue;
    indexes.push(entry.index);
    stored.push(entry.priced);
  }
  return { indexes, stored };
}

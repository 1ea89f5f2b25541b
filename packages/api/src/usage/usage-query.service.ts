import { storableText } from '@purser/adapters';
import type { DataSource } from 'typeorm';
import { ATTRIBUTION_DIMENSIONS, columnOf } from './spend.service';
import { badInput, notFound } from '../errors';
import { decodeCursor, pageSize, toPage } from '../graphql/pagination';
import type { IngestService } from './ingest.service';
import type { IngestOutcome } from './ingest-types';
import { TOKEN_COLUMNS } from './usage-rows';
import type {
  DeadLetterNode,
  UnpricedModel,
  UsageEventFilter,
  UsageEventNode,
} from './usage.types';

/** Reads over stored usage: raw events, dead letters (and their replay), unpriced models. */
export class UsageQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ingest: IngestService,
  ) {}

  async events(filter: UsageEventFilter = {}, first?: number, after?: string) {
    const size = pageSize(first);
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, value: unknown) =>
      where.push(sql.replace('?', `$${params.push(value)}`));
    for (const key of ATTRIBUTION_DIMENSIONS) {
      const value = filter[key];
      if (value !== undefined && value !== null) add(`${columnOf(key)} = ?`, value);
    }
    if (filter.source) add('source = ?', filter.source);
    if (filter.from) add('occurred_at >= ?', filter.from.toISOString());
    if (filter.to) add('occurred_at < ?', filter.to.toISOString());
    if (filter.unpriced !== undefined && filter.unpriced !== null)
      add('unpriced = ?', filter.unpriced);
    const cursor = decodeCursor(after);
    if (cursor) add('id < ?::bigint', cursor);
    params.push(size + 1);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id::text AS id, source, event_id, occurred_at, received_at, provider, model, operation, team, feature,
              environment, customer, project, user_id, agent, session, virtual_key, request_path, tags, status,
              ${TOKEN_COLUMNS.join(', ')}, units, cost::text AS cost, currency, cost_breakdown, price_card_id, unpriced,
              unpriced_keys, cache_hit, batch, decision_id, ingest_path
       FROM usage_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows as (Record<string, unknown> & { id: string })[], size, toUsageEventNode);
  }

  async deadLetters(first?: number, after?: string) {
    const size = pageSize(first);
    const cursor = decodeCursor(after);
    const rows: (Record<string, unknown> & { id: string })[] = await this.dataSource.query(
      `SELECT id::text AS id, origin, subject, stream_sequence::text AS stream_sequence, event_id, source, reason, details,
              payload, created_at, replayed_at, replay_result
       FROM dead_letters ${cursor ? 'WHERE id < $2::bigint' : ''} ORDER BY id DESC LIMIT $1`,
      cursor ? [size + 1, cursor] : [size + 1],
    );
    return toPage(rows, size, toDeadLetterNode);
  }

  /**
   * Runs a dead letter through ingest again (after a fix to prices, schema or the payload
   * itself). A failed replay is recorded on the dead letter; it does not create another one.
   */
  async replay(id: string, payload?: Record<string, unknown>): Promise<IngestOutcome> {
    // Ids are bigints: anything else cannot name a dead letter (and must not reach the cast).
    if (!/^\d{1,18}$/.test(id)) throw notFound('dead letter', id);
    const [letter] = await this.dataSource.query(
      `SELECT payload, details FROM dead_letters WHERE id = $1::bigint`,
      [id],
    );
    if (!letter) throw notFound('dead letter', id);
    const encoding = (letter.details as { payload_encoding?: string } | null)?.payload_encoding;
    const body =
      payload ?? (encoding === 'base64' ? Buffer.from(letter.payload, 'base64') : letter.payload);
    const [outcome] = await this.ingest.ingest(
      [{ body, raw: payload === undefined, subject: 'replay' }],
      'replay',
      { deadLetter: false },
    );
    await this.dataSource.query(
      `UPDATE dead_letters SET replayed_at = now(), replay_result = $2 WHERE id = $1::bigint`,
      [id, storableText(outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status)],
    );
    return outcome;
  }

  async unpriced(from: Date, to: Date): Promise<UnpricedModel[]> {
    if (!(to.getTime() > from.getTime())) throw badInput('to must be later than from');
    const range = [from.toISOString(), to.toISOString()];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT provider, model, count(*)::int AS events, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen,
              ${TOKEN_COLUMNS.map((column) => `sum(${column})::text AS ${column}`).join(', ')}
       FROM usage_events WHERE unpriced AND occurred_at >= $1 AND occurred_at < $2
       GROUP BY provider, model ORDER BY count(*) DESC, provider, model`,
      range,
    );
    const keys: { provider: string; model: string; keys: string[] }[] = await this.dataSource.query(
      `SELECT provider, model, array_agg(DISTINCT key ORDER BY key) AS keys
       FROM usage_events, unnest(unpriced_keys) AS key
       WHERE unpriced AND occurred_at >= $1 AND occurred_at < $2 GROUP BY provider, model`,
      range,
    );
    const keysOf = new Map(keys.map((row) => [`${row.provider}\u0000${row.model}`, row.keys]));
    return rows.map((row) => ({
      provider: String(row.provider),
      model: String(row.model),
      events: Number(row.events),
      unpricedKeys: keysOf.get(`${row.provider}\u0000${row.model}`) ?? [],
      tokens: Object.fromEntries(TOKEN_COLUMNS.map((column) => [column, Number(row[column])])),
      firstSeen: new Date(row.first_seen as string),
      lastSeen: new Date(row.last_seen as string),
    }));
  }
}

function toUsageEventNode(row: Record<string, unknown>): UsageEventNode {
  const usage: Record<string, unknown> = {};
  for (const column of TOKEN_COLUMNS)
    if (Number(row[column]) > 0) usage[column] = Number(row[column]);
  if (row.units && Object.keys(row.units as object).length > 0) usage.units = row.units;
  const attribution: Record<string, string> = {};
  for (const [key, column] of [
    ['team', 'team'],
    ['feature', 'feature'],
    ['environment', 'environment'],
    ['customer', 'customer'],
    ['project', 'project'],
    ['user', 'user_id'],
    ['agent', 'agent'],
    ['session', 'session'],
    ['virtual_key', 'virtual_key'],
    ['request_path', 'request_path'],
  ]) {
    if (row[column] !== null && row[column] !== undefined) attribution[key] = String(row[column]);
  }
  return {
    id: String(row.event_id),
    source: String(row.source),
    timestamp: new Date(row.occurred_at as string),
    receivedAt: new Date(row.received_at as string),
    provider: String(row.provider),
    model: String(row.model),
    operation: (row.operation as string | null) ?? undefined,
    attribution,
    tags: row.tags as Record<string, string>,
    status: String(row.status),
    usage,
    cost: String(row.cost),
    currency: String(row.currency),
    breakdown: (
      row.cost_breakdown as { key: string; quantity: number; unit_price: string; amount: string }[]
    ).map((line) => ({
      key: line.key,
      quantity: line.quantity,
      unitPrice: line.unit_price,
      amount: line.amount,
    })),
    priceCardId: (row.price_card_id as string | null) ?? undefined,
    unpriced: Boolean(row.unpriced),
    unpricedKeys: row.unpriced_keys as string[],
    cacheHit: Boolean(row.cache_hit),
    batch: Boolean(row.batch),
    decisionId: (row.decision_id as string | null) ?? undefined,
    ingestPath: String(row.ingest_path),
  };
}

function toDeadLetterNode(row: Record<string, unknown>): DeadLetterNode {
  return {
    id: String(row.id),
    origin: String(row.origin),
    subject: (row.subject as string | null) ?? undefined,
    streamSequence: (row.stream_sequence as string | null) ?? undefined,
    eventId: (row.event_id as string | null) ?? undefined,
    source: (row.source as string | null) ?? undefined,
    reason: String(row.reason),
    details: (row.details as Record<string, unknown> | null) ?? undefined,
    payload: String(row.payload),
    createdAt: new Date(row.created_at as string),
    replayedAt: row.replayed_at ? new Date(row.replayed_at as string) : undefined,
    replayResult: (row.replay_result as string | null) ?? undefined,
  };
}

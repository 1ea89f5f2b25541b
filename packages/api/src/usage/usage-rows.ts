import type { UsageEvent } from '@purser/adapters';
import { Money, TOKEN_KEYS, type CostEstimate } from '@purser/pricing';

/** Token columns shared by `usage_events` and `usage_hourly`, in vocabulary order. */
export const TOKEN_COLUMNS = TOKEN_KEYS;

/** Attribution columns a spend report can group and filter by (`user` is stored as `user_id`). */
export const DIMENSION_COLUMNS = [
  'provider',
  'model',
  'team',
  'feature',
  'environment',
  'customer',
  'project',
  'user_id',
  'agent',
] as const;

/** A priced event, ready to be written. */
export interface PricedEvent {
  event: UsageEvent;
  cost: CostEstimate;
  /** `cache_hit` events cost nothing: no provider was called. */
  costTotal: string;
  /**
   * The API key that sent the event (HTTP, GraphQL): it settles only holds that key placed.
   * Absent for trusted channels (NATS, replays) and admins, whose usage settles any hold.
   */
  senderKeyId?: string;
}

/**
 * The UTC hour an event is filed under in `usage_events`. A `timestamptz` keeps microseconds
 * and rounds finer digits (`10:59:59.9999996Z` is stored as `11:00:00`), while a JS `Date`
 * truncates to milliseconds; the rollup must follow the stored instant, or the event would
 * count in one hour in `usage_hourly` and in the next one in `usage_events`.
 */
export function storedHour(event: Pick<UsageEvent, 'timestamp' | 'timestampText'>): Date {
  const hour = new Date(event.timestamp.getTime());
  const fraction = /\.(\d+)/.exec(event.timestampText)?.[1] ?? '';
  // Only a fraction of at least .9999995 s rounds up into the next second (and maybe hour).
  if (/^9{6}[5-9]/.test(fraction)) hour.setTime(hour.getTime() - hour.getUTCMilliseconds() + 1000);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

/** The rollup key of an event: its hour and every dimension, plus the currency. */
export function rollupKey(event: UsageEvent, currency: string): (string | null)[] {
  const hour = storedHour(event);
  const a = event.attribution;
  return [
    hour.toISOString(),
    event.provider,
    event.model,
    a.team ?? null,
    a.feature ?? null,
    a.environment ?? null,
    a.customer ?? null,
    a.project ?? null,
    a.user ?? null,
    a.agent ?? null,
    currency,
  ];
}

export interface RollupDelta {
  key: (string | null)[];
  requests: number;
  /** Requests no price covered (the event's `unpriced` flag). */
  unpricedRequests: number;
  cost: InstanceType<typeof Money>;
  tokens: number[];
}

/** Adds `sign` × the event into the delta map (sign −1 takes an event back out, for re-rating). */
export function addToRollup(
  deltas: Map<string, RollupDelta>,
  event: UsageEvent,
  currency: string,
  cost: string,
  sign: 1 | -1,
  /** Whether no price covered the event (its `unpriced` flag, as stored). */
  unpriced = false,
): void {
  const key = rollupKey(event, currency);
  const id = JSON.stringify(key);
  let delta = deltas.get(id);
  if (!delta) {
    delta = {
      key,
      requests: 0,
      unpricedRequests: 0,
      cost: new Money(0),
      tokens: TOKEN_COLUMNS.map(() => 0),
    };
    deltas.set(id, delta);
  }
  delta.requests += sign;
  if (unpriced) delta.unpricedRequests += sign;
  delta.cost = delta.cost.plus(new Money(cost).times(sign));
  TOKEN_COLUMNS.forEach((column, index) => {
    delta!.tokens[index] += sign * (event.usage[column] ?? 0);
  });
}

/**
 * Applies rollup deltas in one statement. Rows are sorted by key so that concurrent
 * transactions lock them in the same order and cannot deadlock.
 */
export function rollupUpsert(
  deltas: Iterable<RollupDelta>,
): { sql: string; params: unknown[] } | null {
  const rows = [...deltas]
    .filter(
      (delta) =>
        delta.requests !== 0 ||
        delta.unpricedRequests !== 0 ||
        !delta.cost.isZero() ||
        delta.tokens.some((value) => value !== 0),
    )
    .sort((left, right) => (JSON.stringify(left.key) < JSON.stringify(right.key) ? -1 : 1));
  if (rows.length === 0) return null;
  const keyColumns = ['hour', ...DIMENSION_COLUMNS, 'currency'];
  const params: unknown[] = [
    ...keyColumns.map((_, index) => rows.map((row) => row.key[index])),
    rows.map((row) => row.requests),
    rows.map((row) => row.cost.toFixed()),
    ...TOKEN_COLUMNS.map((_, index) => rows.map((row) => row.tokens[index])),
    rows.map((row) => row.unpricedRequests),
  ];
  const types = [
    'timestamptz',
    ...DIMENSION_COLUMNS.map(() => 'text'),
    'text',
    'bigint',
    'numeric',
    ...TOKEN_COLUMNS.map(() => 'bigint'),
    'bigint',
  ];
  const sums = ['requests', 'cost', ...TOKEN_COLUMNS, 'unpriced_requests'];
  const columns = [...keyColumns, ...sums];
  const sql = `
    INSERT INTO usage_hourly (${columns.join(', ')})
    SELECT * FROM unnest(${types.map((type, index) => `$${index + 1}::${type}[]`).join(', ')})
    ON CONFLICT (${keyColumns.join(', ')})
    DO UPDATE SET ${sums.map((column) => `${column} = usage_hourly.${column} + EXCLUDED.${column}`).join(', ')}`;
  return { sql, params };
}

import type { UsageEvent } from '@purser/adapters';
import { Money, type Usage } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import type { PricingService } from '../pricing/pricing.service';
import { priceEvent } from './ingest.service';
import {
  dailyRollupSql,
  dailyTaggedRollupSql,
  DIMENSION_COLUMNS,
  hourlyRollupSql,
  TOKEN_COLUMNS,
} from './usage-rows';

export interface RepriceOptions {
  from: Date;
  to: Date;
  provider?: string;
  model?: string;
  batchSize?: number;
}

export interface RepriceTotals {
  currency: string;
  before: string;
  after: string;
}

export interface RepriceReport {
  scanned: number;
  changed: number;
  /** Rows that had unpriced usage before and are fully priced now. */
  newlyPriced: number;
  totals: RepriceTotals[];
}

interface StoredRow {
  id: string;
  source: string;
  event_id: string;
  occurred_at: Date;
  provider: string;
  model: string;
  team: string | null;
  feature: string | null;
  environment: string | null;
  customer: string | null;
  project: string | null;
  user_id: string | null;
  agent: string | null;
  cache_hit: boolean;
  batch: boolean;
  units: Record<string, number>;
  cost: string;
  currency: string;
  price_card_id: string | null;
  unpriced: boolean;
  [token: string]: unknown;
}

function toEvent(row: StoredRow): UsageEvent {
  const usage: Usage = {};
  for (const column of TOKEN_COLUMNS) {
    const value = Number(row[column]);
    if (value > 0) usage[column] = value;
  }
  if (Object.keys(row.units).length > 0) usage.units = row.units;
  const attribution: UsageEvent['attribution'] = {};
  if (row.team !== null) attribution.team = row.team;
  if (row.feature !== null) attribution.feature = row.feature;
  if (row.environment !== null) attribution.environment = row.environment;
  if (row.customer !== null) attribution.customer = row.customer;
  if (row.project !== null) attribution.project = row.project;
  if (row.user_id !== null) attribution.user = row.user_id;
  if (row.agent !== null) attribution.agent = row.agent;
  const timestamp = new Date(row.occurred_at);
  return {
    id: row.event_id,
    source: row.source,
    timestamp,
    timestampText: timestamp.toISOString(),
    provider: row.provider,
    model: row.model,
    usage,
    attribution,
    tags: {},
    status: 'success',
    cacheHit: row.cache_hit,
    batch: row.batch,
  };
}

/**
 * What a re-rating moves in `usage_hourly`, `usage_daily` and `usage_daily_tagged`: a stored
 * row's key, tags and sums.
 */
const ROLLED_UP = [
  'occurred_at',
  'tags',
  ...DIMENSION_COLUMNS,
  'currency',
  'unpriced',
  'cost',
  ...TOKEN_COLUMNS,
];

/**
 * One statement per batch: store the new costs and move `usage_hourly`, `usage_daily` and
 * `usage_daily_tagged` by
 * exactly the difference — each re-rated row taken out as it was stored and added as it is now, through
 * the rollup statement ingest uses ({@link hourlyRollupSql}). All parts of the statement read
 * one snapshot, so `before` sees the rows as they were before `after` updated them.
 */
const REPRICE_SQL = `
  WITH changed AS (
    SELECT * FROM unnest($1::bigint[], $2::numeric[], $3::text[], $4::text[], $5::text[], $6::text[])
      AS u(id, cost, currency, breakdown, card, unpriced_keys)
  ), before AS (
    SELECT ${ROLLED_UP.map((column) => `e.${column}`).join(', ')}
    FROM usage_events AS e JOIN changed AS u ON e.id = u.id
  ), after AS (
    UPDATE usage_events AS e SET cost = u.cost, currency = u.currency, cost_breakdown = u.breakdown::jsonb,
      price_card_id = u.card, unpriced = jsonb_array_length(u.unpriced_keys::jsonb) > 0,
      unpriced_keys = ARRAY(SELECT jsonb_array_elements_text(u.unpriced_keys::jsonb)), priced_at = now()
    FROM changed AS u
    WHERE e.id = u.id
    RETURNING ${ROLLED_UP.map((column) => `e.${column}`).join(', ')}
  ), moved AS (
    SELECT -1 AS weight, * FROM before
    UNION ALL
    SELECT 1, * FROM after
  ), rollup AS (${hourlyRollupSql('moved', 'weight')}
  ), daily AS (${dailyRollupSql('moved', 'weight')}
  ), tagged AS (${dailyTaggedRollupSql('moved', 'weight')}
  )
  SELECT count(*)::int AS changed FROM after`;

/**
 * Re-rating after a price correction: recomputes stored costs with the catalog as it is now,
 * batch by batch (each batch one transaction, its rows locked), and moves the rollups by
 * exactly the difference, so reports stay the sum of their events.
 */
export class RepriceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pricing: PricingService,
    private readonly logger: Logger,
  ) {}

  async reprice(options: RepriceOptions): Promise<RepriceReport> {
    if (!(options.to > options.from)) throw badInput('to must be later than from');
    const batchSize = options.batchSize ?? 1000;
    this.pricing.invalidate();
    const catalog = await this.pricing.catalog();
    const report: RepriceReport = { scanned: 0, changed: 0, newlyPriced: 0, totals: [] };
    const totals = new Map<
      string,
      { before: InstanceType<typeof Money>; after: InstanceType<typeof Money> }
    >();
    const total = (currency: string) => {
      let entry = totals.get(currency);
      if (!entry) totals.set(currency, (entry = { before: new Money(0), after: new Money(0) }));
      return entry;
    };
    let lastId = '0';
    for (;;) {
      const done = await this.dataSource.transaction(async (manager) => {
        const params: unknown[] = [
          options.from.toISOString(),
          options.to.toISOString(),
          lastId,
          batchSize,
        ];
        const filters: string[] = [];
        if (options.provider) filters.push(`provider = $${params.push(options.provider)}`);
        if (options.model) filters.push(`model = $${params.push(options.model)}`);
        const rows: StoredRow[] = await manager.query(
          `SELECT id::text AS id, source, event_id, occurred_at, provider, model, team, feature, environment, customer, project,
                  user_id, agent, cache_hit, batch, units, cost::text AS cost, currency, price_card_id, unpriced,
                  ${TOKEN_COLUMNS.join(', ')}
           FROM usage_events
           WHERE occurred_at >= $1 AND occurred_at < $2 AND id > $3::bigint ${filters.map((filter) => `AND ${filter}`).join(' ')}
           ORDER BY id LIMIT $4 FOR UPDATE`,
          params,
        );
        if (rows.length === 0) return true;
        lastId = rows[rows.length - 1].id;
        report.scanned += rows.length;
        const updates: {
          id: string;
          cost: string;
          currency: string;
          breakdown: string;
          card: string | null;
          unpricedKeys: string[];
        }[] = [];
        for (const row of rows) {
          const event = toEvent(row);
          const priced = priceEvent(catalog, event);
          total(row.currency).before = total(row.currency).before.plus(row.cost);
          total(priced.cost.currency).after = total(priced.cost.currency).after.plus(
            priced.costTotal,
          );
          const unpriced = priced.cost.unpriced_keys.length > 0;
          const same =
            new Money(row.cost).equals(priced.costTotal) &&
            row.currency === priced.cost.currency &&
            row.price_card_id === (priced.cost.price_card_id ?? null) &&
            row.unpriced === unpriced;
          if (same) continue;
          if (row.unpriced && !unpriced) report.newlyPriced += 1;
          updates.push({
            id: row.id,
            cost: priced.costTotal,
            currency: priced.cost.currency,
            breakdown: JSON.stringify(priced.cost.breakdown),
            card: priced.cost.price_card_id ?? null,
            unpricedKeys: priced.cost.unpriced_keys,
          });
        }
        if (updates.length > 0) {
          await manager.query(REPRICE_SQL, [
            updates.map((update) => update.id),
            updates.map((update) => update.cost),
            updates.map((update) => update.currency),
            updates.map((update) => update.breakdown),
            updates.map((update) => update.card),
            updates.map((update) => JSON.stringify(update.unpricedKeys)),
          ]);
          report.changed += updates.length;
        }
        return rows.length < batchSize;
      });
      if (done) break;
    }
    report.totals = [...totals.entries()]
      .sort(([left], [right]) => left.localeCompare(right))
      .map(([currency, entry]) => ({
        currency,
        before: entry.before.toFixed(),
        after: entry.after.toFixed(),
      }));
    this.logger.info({ ...report, from: options.from, to: options.to }, 'usage re-rated');
    return report;
  }
}

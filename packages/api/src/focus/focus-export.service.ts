import { Money, type MoneyValue } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { allocate } from '../allocation/allocation-engine';
import { segmentsOf, timedRuleOf } from '../allocation/allocation-segments';
import type { AllocationRuleService } from '../allocation/allocation-rules.service';
import { MATCH_KEYS, type MatchKey } from '../allocation/allocation-types';
import { readUsage } from '../allocation/allocation-usage';
import { tuneForAggregation, type ChargebackService } from '../allocation/chargeback.service';
import { trueUpCellsOf } from '../allocation/chargeback-true-up';
import { holdHeapGrowth } from '../runtime/heap';
import type { FocusQuery } from './focus-query';
import { FocusCsvWriter, type FocusLine } from './focus-rows';
import { shareKey, sharesOf, splitByShares, type Shares } from './focus-shares';

/** What the export uses of the allocation service. */
export interface FocusAllocation {
  rules: Pick<AllocationRuleService, 'inRange'>;
  /** Its `variance` (the reconciliation, set by the assembly; null: no true-up). */
  chargebacks: Pick<ChargebackService, 'variance'>;
}

/**
 * Rows fetched from the cursor at a time: the export's memory does not grow with the range.
 * Small, because a batch and its CSV live across the socket's drain, long enough for V8 to
 * promote them to the old generation (collected late: PURSER_HEAP_GROWTH_PERCENT); the peak
 * RSS of a 100,000-row export fell from 324 MB (2,000 rows) to 237 MB (200) in `bench:export`.
 */
export const FOCUS_FETCH_ROWS = 250;

/**
 * The old generation's growth past the live heap while an export runs (`holdHeapGrowth`).
 * Most of what an export allocates is promoted and freed only by full GCs (a batch's rows and
 * strings outlive the young generation's scavenges; a larger young generation did not change
 * that): at the service's 400 %, a million-row export took the heap from 45 MB live to 215 MB
 * before each full GC and the process to 355 MB RSS; held at 100 %, 208 MB (`bench:export`).
 */
export const FOCUS_HEAP_GROWTH_PERCENT = 100;

const columnOf = (key: MatchKey) => (key === 'user' ? 'user_id' : key);
/** Attribution dimensions besides provider and model: they go into Tags. */
const ATTRIBUTION_KEYS = MATCH_KEYS.filter((key) => key !== 'provider' && key !== 'model');

type Row = Record<string, string | number | null>;

/**
 * The FOCUS export: one SQL pass over `usage_events` summing each event's priced lines
 * (`cost_breakdown`: the exact amounts whose sum is the event's cost) per UTC day, provider,
 * model, attribution, matched tags, price card, token type and unit price, read through a
 * server-side cursor a batch at a time; each row is split among cost centers by the
 * allocation engine's outcome for the same range (same snapshot: one REPEATABLE READ
 * transaction), parts summing exactly to the row. So the usage rows' BilledCost sums exactly
 * to the events' cost for the range, which is `spend` for whole days; the true-up rows written
 * after them carry each reconciled day's variance, so the file sums to the chargeback's total.
 */
export class FocusExportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly allocation: FocusAllocation,
  ) {}

  /**
   * The CSV in chunks (the header, then one chunk per fetched batch). Stop iterating (`return`)
   * to abandon it: the cursor and its connection are released.
   */
  async *csv(query: FocusQuery, fetchRows = FOCUS_FETCH_ROWS): AsyncGenerator<string> {
    const { from, to, currency } = query;
    const runner = this.dataSource.createQueryRunner();
    // Taken right before the `try` whose `finally` gives it back, never left held.
    const release = holdHeapGrowth(FOCUS_HEAP_GROWTH_PERCENT);
    try {
      await runner.connect();
      await runner.startTransaction('REPEATABLE READ');
      await tuneForAggregation(runner.manager);
      const versions = (await this.allocation.rules.inRange(from, to, null, runner.manager)).map(
        timedRuleOf,
      );
      // The chargeback's own reading and engine (`ChargebackService.live`), with every cost
      // center's lines kept: a few thousand usage combinations × their rules' targets.
      const { bounds, segments, tagKeys } = segmentsOf(versions, from, to);
      const usage = await readUsage(runner.manager, { from, to, currency, bounds, tagKeys });
      const shares = sharesOf(allocate(usage, segments), tagKeys);
      const { sql, params } = exportQuery(query, bounds, tagKeys);
      await runner.query(`DECLARE focus_rows NO SCROLL CURSOR FOR ${sql}`, params);
      const writer = new FocusCsvWriter(query.version);
      const merger = new RowMerger(shares, tagKeys, currency, (line) => writer.record(line));
      yield writer.header();
      for (;;) {
        const rows: Row[] = await runner.query(`FETCH ${fetchRows} FROM focus_rows`);
        let chunk = '';
        for (const row of rows) chunk += merger.push(row);
        if (rows.length < fetchRows) {
          chunk += merger.flush();
          if (chunk) yield chunk;
          break;
        }
        if (chunk) yield chunk;
      }
      await runner.query('CLOSE focus_rows');
      // Reconciled days: the variance against the bill, split as the chargeback's true-up
      // splits it, as adjustment rows, so those days' BilledCost sums to the bill.
      const variance = this.allocation.chargebacks.variance;
      if (variance) {
        let chunk = '';
        for (const cell of await trueUpCellsOf(runner.manager, variance, {
          from,
          to,
          currency,
          versions,
        })) {
          const day = new Date(`${cell.day}T00:00:00Z`);
          chunk += writer.trueUp({ ...cell, day, currency });
        }
        if (chunk) yield chunk;
      }
      await runner.commitTransaction();
    } finally {
      release();
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }
}

function exportQuery(
  query: FocusQuery,
  bounds: Date[],
  tagKeys: readonly string[],
): { sql: string; params: unknown[] } {
  const params: unknown[] = [
    query.currency,
    bounds.map((bound) => bound.toISOString()),
    query.from.toISOString(),
    query.to.toISOString(),
  ];
  const dims = MATCH_KEYS.map((key) => `e.${columnOf(key)}`);
  const tags = tagKeys.map((key, index) => {
    params.push(key);
    return `e.tags ->> $${params.length}::text AS t${index}`;
  });
  const tagNames = tagKeys.map((_, index) => `t${index}`);
  const groups = ['day', 'seg', ...dims, ...tagNames, 'e.price_card_id', 'key', 'unit_price'];
  const order = [
    'day',
    'e.provider',
    'e.model',
    'key',
    'e.price_card_id',
    'unit_price',
    ...dims.slice(2),
    ...tagNames,
    'seg',
  ];
  const sql = `SELECT to_char(date_trunc('day', e.occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
      width_bucket(e.occurred_at, $2::timestamptz[]) - 1 AS seg,
      ${[...dims, ...tags].join(', ')},
      e.price_card_id, l.line ->> 'key' AS key, l.line ->> 'unit_price' AS unit_price,
      sum((l.line ->> 'quantity')::numeric)::text AS quantity,
      sum((l.line ->> 'amount')::numeric)::text AS cost,
      count(*)::int AS requests
    FROM usage_events e CROSS JOIN LATERAL jsonb_array_elements(e.cost_breakdown) AS l(line)
    WHERE e.currency = $1 AND e.occurred_at >= $3::timestamptz AND e.occurred_at < $4::timestamptz
    GROUP BY ${groups.join(', ')}
    ORDER BY ${order.join(', ')}`;
  return { sql, params };
}

interface Part {
  cost: MoneyValue;
  quantity: MoneyValue;
}

/**
 * Rows of one usage combination cut by rule segments (a rule changed during the day) arrive
 * one after the other (`seg` sorts last): their parts are summed per cost center and written
 * once the next combination starts. Holds one combination at a time.
 */
class RowMerger {
  private key: string | null = null;
  private first: Row | null = null;
  private parts = new Map<string | null, Part>();
  private requests = 0;

  constructor(
    private readonly shares: Map<string, Shares>,
    private readonly tagKeys: readonly string[],
    private readonly currency: string,
    private readonly write: (line: FocusLine) => string,
  ) {}

  push(row: Row): string {
    const key = JSON.stringify(
      Object.entries(row).filter(
        ([name]) => !['seg', 'quantity', 'cost', 'requests'].includes(name),
      ),
    );
    const out = key === this.key ? '' : this.flush();
    if (key !== this.key) {
      this.key = key;
      this.first = row;
    }
    const dims = Object.fromEntries(
      MATCH_KEYS.map((name) => [name, (row[columnOf(name)] as string | null) ?? null]),
    ) as Record<MatchKey, string | null>;
    const tags = this.tagKeys.map((_, index) => (row[`t${index}`] as string | null) ?? null);
    const shares = this.shares.get(shareKey(Number(row.seg), dims, tags));
    for (const part of splitByShares(
      shares,
      new Money(row.cost as string),
      new Money(row.quantity as string),
      new Money(row.unit_price as string),
    )) {
      const sum = this.parts.get(part.owner);
      if (sum) {
        sum.cost = sum.cost.plus(part.cost);
        sum.quantity = sum.quantity.plus(part.quantity);
      } else this.parts.set(part.owner, { cost: part.cost, quantity: part.quantity });
    }
    this.requests += Number(row.requests);
    return out;
  }

  flush(): string {
    const row = this.first;
    if (row === null) return '';
    const attribution: Record<string, string> = {};
    this.tagKeys.forEach((tag, index) => {
      const value = row[`t${index}`];
      if (typeof value === 'string') attribution[tag] = value;
    });
    for (const name of ATTRIBUTION_KEYS) {
      const value = row[columnOf(name)];
      if (typeof value === 'string') attribution[name] = value;
    }
    let out = '';
    for (const [owner, part] of this.parts) {
      if (part.cost.isZero() && part.quantity.isZero()) continue;
      out += this.write({
        day: new Date(`${row.day as string}T00:00:00Z`),
        provider: row.provider as string,
        model: row.model as string,
        attribution,
        key: row.key as string,
        priceCardId: (row.price_card_id as string | null) ?? null,
        unitPrice: row.unit_price as string,
        quantity: part.quantity,
        cost: part.cost,
        requests: this.requests,
        costCenter: owner,
        currency: this.currency,
      });
    }
    this.first = null;
    this.key = null;
    this.parts = new Map();
    this.requests = 0;
    return out;
  }
}

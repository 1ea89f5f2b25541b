import { ROLLUP_ATTRIBUTION_KEYS } from '@purser/adapters';
import { formatDecimal } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { type BusinessMetric, parseMetric } from './business-metric-input';

/** What happened to one metric of a batch, in the order sent. */
export interface MetricOutcome {
  /** Position in the batch (from 0). */
  index: number;
  /** The metric's id (given or derived); absent when the item was refused before it had one. */
  id?: string;
  status: 'recorded' | 'duplicate' | 'rejected';
  /** For a rejection: the field at fault (`value`, `attribution.team`; empty: the item). */
  field?: string;
  /** For a rejection: what is wrong, as `metrics[3].value: must be…`. */
  reason?: string;
}

/** The answer to a batch: counts, and one outcome per item in the order sent. */
export interface MetricBatchResult {
  recorded: number;
  duplicates: number;
  rejected: number;
  results: MetricOutcome[];
}

/** A group's metric sum, for unit economics. */
export interface MetricSumRow {
  dimensions: Record<string, string | null>;
  value: string;
  /** The metric's currency in this group (null: not a money metric). */
  currency: string | null;
}

/** Items checked between two turns of the event loop. */
const YIELD_EVERY = 250;
/** Rows one INSERT statement carries. */
const INSERT_CHUNK = 1_000;

/** Metric dimensions and the column each is stored in. */
const ATTRIBUTION_COLUMNS = ROLLUP_ATTRIBUTION_KEYS.map((key) =>
  key === 'user' ? 'user_id' : key,
);

/**
 * Stores business metrics, idempotently by id, and sums them for reports. Each item is
 * validated on its own: a bad item is answered with its index and field, the good ones of
 * the same batch are stored. A batch is one INSERT (`ON CONFLICT (id) DO NOTHING`), so a
 * re-sent batch stores nothing twice and a database outage stores none of it.
 */
export class BusinessMetricService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(items: readonly unknown[], what = 'metrics'): Promise<MetricBatchResult> {
    const now = this.clock();
    const results: MetricOutcome[] = [];
    const valid: BusinessMetric[] = [];
    // A later item with the id of an earlier one in the same batch is a duplicate of it.
    const firstIndex = new Map<string, number>();
    for (let index = 0; index < items.length; index += 1) {
      // A full batch of large items takes a while to check: let other requests in meanwhile.
      if (index > 0 && index % YIELD_EVERY === 0)
        await new Promise((resolve) => setImmediate(resolve));
      const parsed = parseMetric(items[index], now);
      if (!parsed.ok) {
        const at = parsed.field ? `${what}[${index}].${parsed.field}` : `${what}[${index}]`;
        results.push({
          index,
          status: 'rejected',
          field: parsed.field,
          reason: `${at}: ${parsed.reason}`,
        });
        continue;
      }
      const { metric } = parsed;
      if (firstIndex.has(metric.id)) {
        results.push({ index, id: metric.id, status: 'duplicate' });
        continue;
      }
      firstIndex.set(metric.id, index);
      valid.push(metric);
      results.push({ index, id: metric.id, status: 'recorded' });
    }
    if (valid.length > 0) {
      const inserted = new Set(await this.insert(valid));
      for (const result of results) {
        if (result.status === 'recorded' && !inserted.has(result.id!)) result.status = 'duplicate';
      }
    }
    return {
      recorded: results.filter((result) => result.status === 'recorded').length,
      duplicates: results.filter((result) => result.status === 'duplicate').length,
      rejected: results.filter((result) => result.status === 'rejected').length,
      results,
    };
  }

  /**
   * Inserts the metrics (distinct ids) in one transaction, {@link INSERT_CHUNK} rows a
   * statement (each statement's parameters are encoded at once); answers the ids that were new.
   */
  private insert(metrics: BusinessMetric[]): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: string[] = [];
      for (let start = 0; start < metrics.length; start += INSERT_CHUNK) {
        const chunk = metrics.slice(start, start + INSERT_CHUNK);
        const column = (pick: (metric: BusinessMetric) => string | null) => chunk.map(pick);
        const rows: { id: string }[] = await manager.query(
          `INSERT INTO business_metrics (id, name, occurred_at, value, currency, ${ATTRIBUTION_COLUMNS.join(', ')})
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::text[],
             ${ATTRIBUTION_COLUMNS.map((_, index) => `$${index + 6}::text[]`).join(', ')})
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
          [
            column((metric) => metric.id),
            column((metric) => metric.name),
            column((metric) => metric.timestamp.toISOString()),
            column((metric) => metric.value),
            column((metric) => metric.currency ?? null),
            ...ROLLUP_ATTRIBUTION_KEYS.map((key) =>
              column((metric) => metric.attribution[key] ?? null),
            ),
          ],
        );
        for (const row of rows) inserted.push(row.id);
      }
      return inserted;
    });
  }

  /**
   * The metric summed per group over [from, to). `groupBy` holds attribution keys and `day`
   * / `hour` (UTC); the caller has checked them. One row per group and currency.
   */
  async sums(options: {
    metric: string;
    from: Date;
    to: Date;
    groupBy: readonly string[];
  }): Promise<MetricSumRow[]> {
    const select = options.groupBy.map((dimension) => {
      if (dimension === 'day')
        return `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day"`;
      if (dimension === 'hour')
        return `to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00:00Z"') AS "hour"`;
      return `${dimension === 'user' ? 'user_id' : dimension} AS "${dimension}"`;
    });
    const groups = [...options.groupBy.map((_, index) => index + 1), options.groupBy.length + 1];
    const rows: Record<string, string | null>[] = await this.dataSource.query(
      `SELECT ${[...select, 'currency', 'sum(value)::text AS value'].join(', ')}
       FROM business_metrics
       WHERE name = $1 AND occurred_at >= $2 AND occurred_at < $3
       GROUP BY ${groups.join(', ')}`,
      [options.metric, options.from.toISOString(), options.to.toISOString()],
    );
    return rows.map((row) => ({
      dimensions: Object.fromEntries(
        options.groupBy.map((dimension) => [dimension, row[dimension] ?? null]),
      ),
      value: formatDecimal(row.value ?? 0),
      currency: row.currency ?? null,
    }));
  }
}

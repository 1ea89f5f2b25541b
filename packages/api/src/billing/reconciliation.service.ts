import {
  canonicalProvider,
  Money,
  stripRoutingPrefixes,
  type PricingCatalog,
} from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { badInput } from '../errors';
import type { PricingService } from '../pricing/pricing.service';
import { reconcile, type ReconcileKey, type ReconcileRowValue, type SideCell } from './reconcile';

const DAY_MS = 86_400_000;
/** Longest range one reconciliation covers. */
export const MAX_RECONCILIATION_DAYS = 400;
/** The currency reconciled: the providers bill in US dollars. */
export const RECONCILIATION_CURRENCY = 'USD';

export interface NonTokenChargeValue {
  day: string;
  costType: string;
  lineItem: string;
  project: string | null;
  amount: string;
}

export interface ReconciliationReportValue {
  rows: ReconcileRowValue[];
  estimated: string;
  billed: string;
  delta: string;
  currency: string;
  nonTokenCharges: NonTokenChargeValue[];
}

/**
 * Purser's priced usage against the provider's cost lines, per UTC day × model (× project,
 * × token type). The range is widened to whole UTC days. The estimate is what `spend`
 * answers for those days: whole days are whole hours, so it reads the `usage_hourly`
 * rollup; per token type it reads the events' `cost_breakdown` (the same priced amounts,
 * split by the key they priced). Models meet through the price catalog: a billed
 * `gpt-4o-2024-08-06` and a used `openai/gpt-4o` both become the model of the card they
 * match (else the name without routing prefixes, lower case).
 */
export class ReconciliationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pricing: PricingService,
  ) {}

  async report(options: {
    provider: string;
    from: Date;
    to: Date;
    groupBy?: readonly ReconcileKey[] | null;
    tolerancePercent?: string | null;
  }): Promise<ReconciliationReportValue> {
    const provider = canonicalProvider(options.provider.trim());
    if (provider.length === 0 || provider.length > 100)
      throw badInput('provider: 1 to 100 characters');
    const from = new Date(Math.floor(options.from.getTime() / DAY_MS) * DAY_MS);
    const to = new Date(Math.ceil(options.to.getTime() / DAY_MS) * DAY_MS);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
      throw badInput('from and to must be instants');
    if (!(options.to.getTime() > options.from.getTime()))
      throw badInput('to must be later than from');
    if (to.getTime() - from.getTime() > MAX_RECONCILIATION_DAYS * DAY_MS) {
      throw badInput(`to: a reconciliation covers at most ${MAX_RECONCILIATION_DAYS} days`);
    }
    const tolerancePercent = options.tolerancePercent ?? '1';
    if (!/^\d{1,3}(\.\d{1,6})?$/.test(tolerancePercent) || new Money(tolerancePercent).gt(100)) {
      throw badInput('tolerancePercent: a decimal from 0 to 100');
    }
    const groupBy: ReconcileKey[] = options.groupBy?.length
      ? [...new Set(options.groupBy)]
      : ['day', 'model'];
    const byToken = groupBy.includes('token_type');
    const catalog = await this.pricing.catalog();
    const modelOf = canonicalModel(catalog, provider);
    const range = [provider, from.toISOString(), to.toISOString()];

    const billedRows: Record<string, string | null>[] = await this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, model, project, token_type, cost_type, line_item,
              sum(amount)::text AS amount, sum(quantity)::text AS quantity
       FROM provider_cost_lines
       WHERE provider = $1 AND day >= $2::timestamptz::date AND day < $3::timestamptz::date
         AND currency = '${RECONCILIATION_CURRENCY}'
       GROUP BY 1, 2, 3, 4, 5, 6`,
      range,
    );
    const billed: SideCell[] = [];
    const nonTokenCharges: NonTokenChargeValue[] = [];
    for (const row of billedRows) {
      if (row.cost_type !== 'tokens' || row.model === null) {
        nonTokenCharges.push({
          day: row.day!,
          costType: row.cost_type!,
          lineItem: row.line_item!,
          project: row.project,
          amount: new Money(row.amount!).toFixed(),
        });
        continue;
      }
      billed.push({
        day: row.day!,
        model: modelOf(row.model, row.day!),
        project: row.project,
        tokenType: row.token_type,
        amount: row.amount!,
        quantity: row.quantity,
      });
    }

    const estimatedRows: Record<string, string | null>[] = byToken
      ? await this.dataSource.query(
          `SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.model, e.project,
                  b->>'key' AS token_type, sum((b->>'amount')::numeric)::text AS amount,
                  sum((b->>'quantity')::numeric)::text AS quantity,
                  count(DISTINCT e.id) FILTER (WHERE e.unpriced)::text AS unpriced_requests,
                  count(DISTINCT date_trunc('hour', e.occurred_at))::text AS hours
           FROM usage_events e CROSS JOIN LATERAL jsonb_array_elements(e.cost_breakdown) AS b
           WHERE e.provider = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
             AND e.currency = '${RECONCILIATION_CURRENCY}'
           GROUP BY 1, 2, 3, 4`,
          range,
        )
      : await this.dataSource.query(
          `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, project,
                  NULL AS token_type, sum(cost)::text AS amount, NULL AS quantity,
                  sum(unpriced_requests)::text AS unpriced_requests, count(DISTINCT hour)::text AS hours
           FROM usage_hourly
           WHERE provider = $1 AND hour >= $2 AND hour < $3 AND currency = '${RECONCILIATION_CURRENCY}'
           GROUP BY 1, 2, 3`,
          range,
        );
    const knownModels = new Set<string>();
    const estimated: SideCell[] = estimatedRows.map((row) => {
      const model = modelOf(row.model!, row.day!);
      knownModels.add(model);
      return {
        day: row.day!,
        model,
        project: row.project,
        tokenType: row.token_type,
        amount: row.amount ?? '0',
        quantity: row.quantity,
        unpricedRequests: Number(row.unpriced_requests ?? 0),
        hours: Number(row.hours ?? 0),
      };
    });
    for (const model of await this.usedModels(provider, billed))
      knownModels.add(modelOf(model, null));

    const rows = reconcile({ estimated, billed, groupBy, tolerancePercent, knownModels });
    const total = (pick: (row: ReconcileRowValue) => string) =>
      rows.reduce((sum, row) => sum.plus(pick(row)), new Money(0));
    const estimatedTotal = total((row) => row.estimated);
    const billedTotal = total((row) => row.billed);
    return {
      rows,
      estimated: estimatedTotal.toFixed(),
      billed: billedTotal.toFixed(),
      delta: estimatedTotal.minus(billedTotal).toFixed(),
      currency: RECONCILIATION_CURRENCY,
      nonTokenCharges,
    };
  }

  /** The model name `report` gives a model used or billed on `day` (the chargeback's true-up). */
  async modelNamer(provider: string): Promise<(model: string, day: string | null) => string> {
    return canonicalModel(await this.pricing.catalog(), canonicalProvider(provider.trim()));
  }

  /**
   * Models of the provider Purser has any usage of, at any time (for `model_never_seen`), from
   * the daily rollup: a 24th of the hourly rows.
   */
  private async usedModels(provider: string, billed: readonly SideCell[]): Promise<string[]> {
    if (billed.length === 0) return [];
    const rows: { model: string }[] = await this.dataSource.query(
      `SELECT DISTINCT model FROM usage_daily WHERE provider = $1 LIMIT 10000`,
      [provider],
    );
    return rows.map((row) => row.model);
  }
}

/** A dated snapshot suffix (`-2025-04-14`, `-20250929`): the same model as billed and used. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|20\d{6})$/;

/**
 * A model's name in reconciliation, so that what was billed and what was used meet: routing
 * prefixes stripped, a dated snapshot suffix dropped, then the model of the card the catalog
 * matches for that name (its aliases and patterns) on that day, lower case.
 */
function canonicalModel(catalog: PricingCatalog, provider: string) {
  const cache = new Map<string, string>();
  return (model: string, day: string | null): string => {
    const id = `${model}\u0000${day ?? ''}`;
    let name = cache.get(id);
    if (name === undefined) {
      const at = day ? new Date(`${day}T12:00:00Z`) : new Date();
      const base = stripRoutingPrefixes(model).toLowerCase().replace(SNAPSHOT_SUFFIX, '');
      name = (catalog.match(provider, base, at)?.card.model ?? base).toLowerCase();
      cache.set(id, name);
    }
    return name;
  };
}

import {
  createPricingCatalog,
  defaultCatalogCards,
  type PriceCard,
  type PricingCatalog,
  priceCardSchema,
} from '@purser/pricing';
import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import { RefreshingValue } from '../cache/refreshing-value';
import { PriceCardEntity } from './price-card.entity';
import { baseCardId, planPriceChange, versionOf } from './price-versions';

export interface ApplyCardsResult {
  created: number;
  updated: number;
  skipped: number;
  /** The rows inserted, in order. */
  inserted: PriceCardEntity[];
}

/** How often an instance asks the database whether another replica changed the catalog. */
const REVISION_CHECK_MS = 2_000;
/** How old a catalog may be before a read waits for the revision check. */
const CATALOG_MAX_AGE_MS = 10_000;

/**
 * The stored price catalog: effective-dated, versioned cards in Postgres, and an in-memory
 * `PricingCatalog` of the active ones that pricing reads on the hot path. Every write bumps a
 * revision that all replicas poll, so a price change reaches them within seconds.
 */
export class PricingService {
  private cached?: { catalog: PricingCatalog; revision: string };
  /**
   * Past {@link REVISION_CHECK_MS} a read answers the kept catalog at once and checks the
   * revision in the background, so no decision waits for that round trip; past
   * {@link CATALOG_MAX_AGE_MS} without a check (a quiet replica) a read waits for one.
   */
  private readonly active: RefreshingValue<PricingCatalog>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {
    this.active = new RefreshingValue(() => this.load(), {
      refreshAfterMs: REVISION_CHECK_MS,
      expireAfterMs: CATALOG_MAX_AGE_MS,
      onRefreshError: (error) =>
        this.logger.warn({ err: error }, 'checking the price catalog revision failed; will retry'),
    });
  }

  /** The active catalog, reloaded when another writer has changed it. */
  catalog(): Promise<PricingCatalog> {
    return this.active.get();
  }

  /** Drops the cached catalog; the next read loads it again. */
  invalidate(): void {
    this.cached = undefined;
    this.active.invalidate();
  }

  private async load(): Promise<PricingCatalog> {
    const [{ revision }] = await this.dataSource.query(
      `SELECT revision::text AS revision FROM pricing_catalog_state WHERE id = 1`,
    );
    const cached = this.cached;
    if (cached && cached.revision === revision) return cached.catalog;
    const active = await this.dataSource
      .getRepository(PriceCardEntity)
      .find({ where: { supersededAt: IsNull() } });
    const catalog = createPricingCatalog(active.map((row) => row.card));
    this.cached = { catalog, revision };
    return catalog;
  }

  /**
   * Adds cards as new versions (see `planPriceChange`), in one transaction under a lock so
   * concurrent writers cannot interleave their versions.
   */
  async applyCards(cards: readonly PriceCard[], actor: string | null): Promise<ApplyCardsResult> {
    const result = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('purser.price_cards'))`);
      const stored = await manager.getRepository(PriceCardEntity).find();
      const taken = new Set(stored.map((row) => row.id));
      const active = new Map<string, PriceCard[]>();
      for (const row of stored) {
        if (row.supersededAt !== null) continue;
        const key = `${row.provider}\u0000${row.model}`;
        active.set(key, [...(active.get(key) ?? []), row.card]);
      }
      const outcome: ApplyCardsResult = { created: 0, updated: 0, skipped: 0, inserted: [] };
      for (const incoming of cards) {
        const key = `${incoming.provider}\u0000${incoming.model}`;
        const current = active.get(key) ?? [];
        const plan = planPriceChange(current, incoming, taken);
        if (plan.outcome === 'unchanged') {
          outcome.skipped += 1;
          continue;
        }
        outcome[plan.outcome] += 1;
        const inserted = await this.insertVersions(manager, plan.insert, actor);
        await this.supersede(manager, plan.supersede, inserted[inserted.length - 1].id);
        for (const card of plan.insert) taken.add(card.id);
        active.set(key, [
          ...current.filter((card) => !plan.supersede.includes(card.id)),
          ...plan.insert,
        ]);
        outcome.inserted.push(...inserted);
      }
      if (outcome.inserted.length > 0) {
        await manager.query(
          `UPDATE pricing_catalog_state SET revision = revision + 1, updated_at = now() WHERE id = 1`,
        );
      }
      return outcome;
    });
    if (result.inserted.length > 0) {
      this.invalidate();
      this.logger.info(
        { created: result.created, updated: result.updated, skipped: result.skipped },
        'price catalog changed',
      );
    }
    return result;
  }

  private async insertVersions(
    manager: EntityManager,
    cards: PriceCard[],
    actor: string | null,
  ): Promise<PriceCardEntity[]> {
    const rows = cards.map((card) => {
      const parsed = priceCardSchema.safeParse(card);
      if (!parsed.success) {
        throw badInput(
          `price card ${card.id}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
        );
      }
      return manager.getRepository(PriceCardEntity).create({
        id: card.id,
        baseId: baseCardId(card.id),
        version: versionOf(card.id),
        provider: card.provider,
        model: card.model,
        effectiveFrom: new Date(card.effective_from),
        effectiveTo: card.effective_to ? new Date(card.effective_to) : null,
        card: parsed.data,
        createdAt: new Date(),
        createdBy: actor,
        supersededAt: null,
        supersededBy: null,
      });
    });
    await manager.getRepository(PriceCardEntity).insert(rows);
    return rows;
  }

  private async supersede(manager: EntityManager, ids: string[], by: string): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE price_cards SET superseded_at = now(), superseded_by = $1 WHERE id = ANY($2::text[])`,
      [by, ids],
    );
  }

  /** Stored cards, newest version last; superseded versions only when asked. */
  async history(filter: {
    provider?: string;
    model?: string;
    at?: Date;
    includeSuperseded?: boolean;
  }): Promise<PriceCardEntity[]> {
    const query = this.dataSource
      .getRepository(PriceCardEntity)
      .createQueryBuilder('card')
      .orderBy('card.provider')
      .addOrderBy('card.model')
      .addOrderBy('card.effective_from')
      .addOrderBy('card.version');
    if (filter.provider) query.andWhere('card.provider = :provider', { provider: filter.provider });
    if (filter.model) query.andWhere('card.model = :model', { model: filter.model });
    if (!filter.includeSuperseded) query.andWhere('card.superseded_at IS NULL');
    if (filter.at) {
      query.andWhere(
        'card.effective_from <= :at AND (card.effective_to IS NULL OR card.effective_to > :at)',
        { at: filter.at },
      );
    }
    return query.getMany();
  }

  byId(id: string): Promise<PriceCardEntity | null> {
    return this.dataSource.getRepository(PriceCardEntity).findOneBy({ id });
  }

  /**
   * Loads the default catalog shipped with the release as new versions (unchanged cards are
   * skipped), so re-running it after an upgrade adds only what changed.
   */
  reloadDefaults(actor = 'default catalog'): Promise<ApplyCardsResult> {
    return this.applyCards(defaultCatalogCards(), actor);
  }

  async isEmpty(): Promise<boolean> {
    return !(await this.dataSource.getRepository(PriceCardEntity).exist());
  }
}

import type { DataSource } from 'typeorm';
import type { PricingService } from '../pricing/pricing.service';
import {
  cacheMissFindings,
  contextBloatFindings,
  crossEnvironmentFindings,
  type FindingContext,
  modelMismatchFindings,
  retryFindings,
  uncappedAgentFindings,
  unbudgetedFindings,
} from './waste-findings';
import {
  crossEnvironmentGroups,
  type Query,
  repeatedInputGroups,
  retryGroups,
  shortOutputGroups,
  unbudgetedGroups,
  uncappedAgentGroups,
  unreadCacheGroups,
  type WasteWindow,
} from './waste-queries';
import {
  checkWasteArgs,
  DEFAULT_WASTE_LIMIT,
  rankFindings,
  type WasteFindingValue,
} from './waste-rules';

export interface WasteReportOptions {
  from: Date;
  to: Date;
  /** Findings answered, most dollars first; default {@link DEFAULT_WASTE_LIMIT}. */
  limit?: number;
  /** Only usage priced in this currency (no FX); default USD. */
  currency?: string;
}

/**
 * The waste report: five categories of findings (docs/insights.md, "Waste"), each read from
 * `usage_events` with one bounded GROUP BY per category (never the events themselves), priced
 * through the active price catalog, ranked by recoverable dollars, then spend.
 */
export class WasteService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pricing: Pick<PricingService, 'catalog'>,
    /** The downgrade chains of the active policy data (the assembly reads them from the bundle). */
    private readonly chains: () => readonly (readonly string[])[],
  ) {}

  async report(options: WasteReportOptions): Promise<WasteFindingValue[]> {
    const limit = options.limit ?? DEFAULT_WASTE_LIMIT;
    const currency = options.currency ?? 'USD';
    checkWasteArgs(options.from, options.to, limit, currency);
    return (await this.findings({ from: options.from, to: options.to, currency })).slice(0, limit);
  }

  /**
   * Every finding of [from, to) in USD, ranked (no limit): what the monthly report sums per
   * category (its `WasteFindingsSource`, filled by the assembly).
   */
  async wasteFindings(from: Date, to: Date): Promise<WasteFindingValue[]> {
    checkWasteArgs(from, to, 1, 'USD');
    return this.findings({ from, to, currency: 'USD' });
  }

  private async findings(window: WasteWindow): Promise<WasteFindingValue[]> {
    const { currency } = window;
    // One snapshot for all categories, one connection (not seven), and room to hash in memory:
    // at the default 4 MB work_mem a quarter's events are sorted on disk. The session joins
    // match null features and sessions through coalesce(), which the planner misjudges and
    // merge-joins by sorting every event; hashed, they took a quarter of the time (1M events).
    const groups = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query(`SET LOCAL work_mem = '64MB'`);
      await manager.query(`SET LOCAL jit = off`);
      await manager.query(`SET LOCAL enable_mergejoin = off`);
      const query: Query = (sql, params) => manager.query(sql, params);
      return {
        shortOutput: await shortOutputGroups(query, window),
        repeatedInput: await repeatedInputGroups(query, window),
        retries: await retryGroups(query, window),
        unreadCache: await unreadCacheGroups(query, window),
        unbudgeted: await unbudgetedGroups(query, window),
        crossEnvironment: await crossEnvironmentGroups(query, window),
        uncappedAgents: await uncappedAgentGroups(query, window),
      };
    });
    const context: FindingContext = {
      catalog: await this.pricing.catalog(),
      chains: this.chains(),
      currency,
    };
    return rankFindings([
      ...modelMismatchFindings(groups.shortOutput, context),
      ...contextBloatFindings(groups.repeatedInput, context),
      ...retryFindings(groups.retries, context),
      ...cacheMissFindings(groups.unreadCache, context),
      ...unbudgetedFindings(groups.unbudgeted, context),
      ...crossEnvironmentFindings(groups.crossEnvironment, context),
      ...uncappedAgentFindings(groups.uncappedAgents, context),
    ]);
  }
}

import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { ApiKeyService } from './auth/api-key.service';
import { randomUUID } from 'node:crypto';
import { BudgetCache } from './budgets/budget-cache';
import { BudgetLedger } from './budgets/budget-ledger';
import { DEFAULT_ALLOWANCE_OPTIONS, HoldAllowances } from './budgets/hold-allowances';
import { BudgetService } from './budgets/budget.service';
import type { Env } from './config/env';
import { AuthorizeService } from './decisions/authorize.service';
import { DecisionLog } from './decisions/decision-log';
import type { PolicyRuntime } from './decisions/policy-runtime';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import { PricingService } from './pricing/pricing.service';
import { IngestService } from './usage/ingest.service';
import { RepriceService } from './usage/reprice.service';
import { SpendService } from './usage/spend.service';
import { UsageQueryService } from './usage/usage-query.service';
import { VelocityService } from './velocity/velocity.service';
import { VirtualKeyService } from './virtual-keys/virtual-key.service';

/** The domain services of one instance, built once and shared by GraphQL, REST and consumers. */
export interface Services {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  nats: NatsConnection | null;
  /** The service's clock; tests move it to cross budget windows. */
  clock: () => Date;
  apiKeys: ApiKeyService;
  pricing: PricingService;
  ingest: IngestService;
  spend: SpendService;
  usageQueries: UsageQueryService;
  reprice: RepriceService;
  budgets: BudgetService;
  budgetCache: BudgetCache;
  ledger: BudgetLedger;
  /** Holds placed in memory within allowances (PURSER_HOLD_ALLOWANCES). */
  allowances?: HoldAllowances;
  velocity: VelocityService;
  virtualKeys: VirtualKeyService;
  policy: () => PolicyRuntime;
  decisionLog: DecisionLog;
  authorizer: AuthorizeService;
}

export function createServices(deps: {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  nats: NatsConnection | null;
  policy: PolicyRuntime;
  clock: () => Date;
}): Services {
  const { dataSource, logger } = deps;
  const pricing = new PricingService(dataSource, logger);
  const ingest = new IngestService({ ...deps, pricing, nats: () => deps.nats });
  const budgets = new BudgetService(dataSource);
  // Background reloads of the decision path's caches keep answering what they loaded when
  // they fail; the failure is logged, and the next reload tries again.
  const reloadFailed = (what: string) => (error: unknown) =>
    logger.warn({ err: error }, `reloading ${what} in the background failed; will retry`);
  const budgetCache = new BudgetCache(
    budgets,
    deps.env.PURSER_COUNTER_STALENESS_MS,
    Date.now,
    reloadFailed('budget definitions'),
  );
  const allowances = deps.env.PURSER_HOLD_ALLOWANCES
    ? new HoldAllowances(dataSource, logger, {
        ...DEFAULT_ALLOWANCE_OPTIONS,
        replicaId: randomUUID(),
        minRate: deps.env.PURSER_HOLD_ALLOWANCE_MIN_RATE,
        share: deps.env.PURSER_HOLD_ALLOWANCE_SHARE,
        syncCommit: deps.env.PURSER_HOLD_SYNC_COMMIT,
      })
    : undefined;
  const ledger = new BudgetLedger(dataSource, {
    allowances,
    syncCommit: deps.env.PURSER_HOLD_SYNC_COMMIT,
    // Usage needs no budget join while there is no budget at all.
    anyBudget: (at) => budgetCache.any(at),
  });
  budgets.onChange(() => budgetCache.invalidate());
  ledger.onWindowsMoved((windows) => {
    for (const window of windows) budgetCache.forget(window.budgetId, window.windowStart);
  });
  const velocity = new VelocityService(
    dataSource,
    deps.env.PURSER_COUNTER_STALENESS_MS,
    reloadFailed('velocity limits'),
  );
  const virtualKeys = new VirtualKeyService(dataSource);
  const decisionLog = new DecisionLog(dataSource, () => deps.nats, logger);
  const policy = () => deps.policy;
  // Usage that names a decision settles its hold, and all usage counts toward budgets, in
  // the same transaction that stores it. Without either there is nothing to settle.
  ingest.onStored((manager, stored) => ledger.settle(manager, stored, deps.clock()), {
    mayAct: async (events) =>
      events.some((row) => row.event.decisionId !== undefined) ||
      (await budgetCache.any(deps.clock())),
  });
  return {
    ...deps,
    policy,
    apiKeys: new ApiKeyService(dataSource, reloadFailed('an API key')),
    pricing,
    ingest,
    spend: new SpendService(dataSource),
    usageQueries: new UsageQueryService(dataSource, ingest),
    reprice: new RepriceService(dataSource, pricing, logger),
    budgets,
    budgetCache,
    ledger,
    allowances,
    velocity,
    virtualKeys,
    decisionLog,
    authorizer: new AuthorizeService({
      ...deps,
      pricing,
      budgets,
      budgetCache,
      ledger,
      velocity,
      virtualKeys,
      policy,
      decisionLog,
    }),
  };
}

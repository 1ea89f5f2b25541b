import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { ApiKeyService } from './auth/api-key.service';
import { randomUUID } from 'node:crypto';
import { BudgetCache } from './budgets/budget-cache';
import { BudgetLedger } from './budgets/budget-ledger';
import { BudgetAlertService } from './budgets/budget-alerts.service';
import { DecisionUsage } from './budgets/decision-usage';
import { DEFAULT_ALLOWANCE_OPTIONS, HoldAllowances } from './budgets/hold-allowances';
import { BudgetService } from './budgets/budget.service';
import type { Env } from './config/env';
import { AuthorizeService } from './decisions/authorize.service';
import { DecisionLog } from './decisions/decision-log';
import { DecisionQueryService } from './decisions/decision-query.service';
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
import { AllocationService } from './allocation/allocation.service';
import { BusinessMetricService } from './metrics/business-metrics.service';
import { UnitEconomicsService } from './metrics/unit-economics.service';
import { AnomalyService } from './insights/anomaly.service';
import { ForecastService } from './insights/forecast.service';
import { WasteService } from './insights/waste.service';
import { FocusExportService } from './focus/focus-export.service';
import { BillingSourceService } from './billing/billing-source.service';
import { BillingSyncService } from './billing/billing-sync.service';
import { ReconciliationService } from './billing/reconciliation.service';
import { VarianceAlerts } from './billing/variance-alerts';
import { MonthlyReportService } from './reports/monthly-report.service';
import { SecretBox } from './billing/secret-box';
import { DeliveryQueries } from './notifications/delivery-query';
import { DeliveryWorker } from './notifications/delivery-worker';
import { WebhookService } from './notifications/webhook.service';

/**
 * Counts every request answered from a key's last read during an outage, and logs it once
 * per key every 30 s (an outage would otherwise log every request).
 */
function staleKeyLogger(logger: Logger, metrics: Metrics) {
  const logged = new Map<string, number>();
  return (keyId: string, ageMs: number, error: unknown) => {
    metrics.authStale.inc();
    const now = Date.now();
    if ((logged.get(keyId) ?? 0) > now - 30_000) return;
    if (logged.size >= 1_000) logged.clear();
    logged.set(keyId, now);
    logger.warn(
      { err: error, key_id: keyId, age_ms: ageMs },
      'the database is unreachable: API key answered from its last read (PURSER_AUTH_STALE_SECONDS)',
    );
  };
}

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
  budgetAlerts: BudgetAlertService;
  budgetCache: BudgetCache;
  ledger: BudgetLedger;
  /** Holds placed in memory within allowances (PURSER_HOLD_ALLOWANCES). */
  allowances?: HoldAllowances;
  velocity: VelocityService;
  virtualKeys: VirtualKeyService;
  policy: () => PolicyRuntime;
  decisionLog: DecisionLog;
  decisionQueries: DecisionQueryService;
  authorizer: AuthorizeService;
  allocation: AllocationService;
  businessMetrics: BusinessMetricService;
  unitEconomics: UnitEconomicsService;
  focus: FocusExportService;
  billingSources: BillingSourceService;
  billingSync: BillingSyncService;
  reconciliation: ReconciliationService;
  /** The monthly report (GET /v1/reports/monthly, `purser report monthly`). */
  reports: MonthlyReportService;
  /** Spend anomalies; `anomalies.onAnomalies(listener)` is told of each new one once. */
  anomalies: AnomalyService;
  /** End-of-period forecasts for budgets, cost centers and the org. */
  forecasts: ForecastService;
  /** Webhooks and the notification outbox (`webhooks.notify(type, data)`). */
  webhooks: WebhookService;
  webhookDeliveries: DeliveryQueries;
  /** Sends the outbox; started and stopped by app.ts. */
  webhookWorker: DeliveryWorker;
  waste: WasteService;
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
  const spend = new SpendService(dataSource);
  const allocation = new AllocationService(dataSource, deps.clock);
  const businessMetrics = new BusinessMetricService(dataSource, deps.clock);
  const decisionLog = new DecisionLog(dataSource, () => deps.nats, logger);
  const policy = () => deps.policy;
  // Usage that names a decision is stored with the attribution it is charged by (completed
  // from the decision's hold) — unless another key placed that hold (docs/0006).
  const decisionUsage = new DecisionUsage({
    dataSource,
    logger,
    metrics: deps.metrics,
    allowances,
  });
  ingest.beforeStore((events) => decisionUsage.prepare(events));
  // Usage that names a decision settles its hold, and all usage counts toward budgets, in
  // the same transaction that stores it. Without either there is nothing to settle.
  ingest.onStored((manager, stored) => ledger.settle(manager, stored, deps.clock()), {
    mayAct: async (events) =>
      events.some((row) => row.event.decisionId !== undefined) ||
      (await budgetCache.any(deps.clock())),
  });
  const billingSources = new BillingSourceService(dataSource, deps.env.PURSER_SECRET_KEY);
  const reconciliation = new ReconciliationService(dataSource, pricing);
  // Webhooks: URL and secret sealed with PURSER_SECRET_KEY (bound to the webhook: the AAD
  // differs from a billing key's); notify writes the outbox and wakes the worker.
  const sealer = deps.env.PURSER_SECRET_KEY ? new SecretBox(deps.env.PURSER_SECRET_KEY) : null;
  const webhookDeliveries = new DeliveryQueries(dataSource);
  const webhookWorker = new DeliveryWorker({
    dataSource,
    sealer,
    logger,
    clock: deps.clock,
    options: {
      maxAttempts: deps.env.PURSER_WEBHOOK_MAX_ATTEMPTS,
      baseDelayMs: deps.env.PURSER_WEBHOOK_RETRY_BASE_SECONDS * 1000,
      maxDelayMs: 3_600_000,
      timeoutMs: deps.env.PURSER_WEBHOOK_TIMEOUT_SECONDS * 1000,
      intervalMs: 1000,
      concurrency: 8,
    },
  });
  const webhooks = new WebhookService({
    dataSource,
    sealer,
    maxAttempts: deps.env.PURSER_WEBHOOK_MAX_ATTEMPTS,
    clock: deps.clock,
    deliveries: webhookDeliveries,
    sender: webhookWorker,
  });
  webhooks.onNotified(() => webhookWorker.wake());
  const anomalies = new AnomalyService(dataSource);
  // Each recorded anomaly goes to the webhook outbox once, in the transaction marking it told.
  anomalies.onAnomalies(async (found, manager) => {
    for (const anomaly of found) {
      await webhooks.notify('ANOMALY', anomaly, {
        id: anomaly.anomaly_id,
        occurredAt: new Date(anomaly.detected_at),
        manager,
      });
    }
  });
  // True-up: the chargeback spreads each reconciled day's variance (docs/0009).
  allocation.chargebacks.variance = reconciliation;
  const reports = new MonthlyReportService({
    dataSource,
    spend,
    allocation,
    reconciliation,
    unitEconomics: new UnitEconomicsService(spend, businessMetrics),
  });
  // MODEL_MISMATCH prices the next model of the active policy data's downgrade chains; the
  // monthly report sums the month's findings per category.
  const waste = new WasteService(dataSource, pricing, () => policy().chains);
  reports.waste = waste;
  return {
    ...deps,
    policy,
    apiKeys: new ApiKeyService(dataSource, {
      cacheMs: deps.env.PURSER_AUTH_CACHE_MS,
      staleMs: deps.env.PURSER_AUTH_STALE_SECONDS * 1000,
      failureBurst: deps.env.PURSER_AUTH_FAILURE_BURST,
      failuresPerSecond: deps.env.PURSER_AUTH_FAILURES_PER_SECOND,
      gatewayFailureBurst: deps.env.PURSER_AUTH_GATEWAY_FAILURE_BURST,
      onRefreshError: reloadFailed('an API key'),
      onStale: staleKeyLogger(logger, deps.metrics),
      onFailure: (reason) => deps.metrics.authFailures.inc({ reason }),
    }),
    pricing,
    ingest,
    spend,
    usageQueries: new UsageQueryService(dataSource, ingest),
    reprice: new RepriceService(dataSource, pricing, logger),
    budgets,
    budgetAlerts: new BudgetAlertService(dataSource),
    budgetCache,
    ledger,
    allowances,
    velocity,
    virtualKeys,
    decisionLog,
    decisionQueries: new DecisionQueryService(dataSource, decisionLog),
    allocation,
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
    businessMetrics,
    unitEconomics: new UnitEconomicsService(spend, businessMetrics),
    anomalies,
    forecasts: new ForecastService({ dataSource, budgets, allocation, clock: deps.clock }),
    waste,
    focus: new FocusExportService(dataSource, allocation),
    billingSources,
    billingSync: new BillingSyncService(
      dataSource,
      billingSources,
      logger,
      deps.clock,
      new VarianceAlerts({
        reconciliation,
        logger,
        nats: () => deps.nats,
        clock: deps.clock,
        onVariance: (variance) =>
          webhooks.notify('RECONCILIATION_VARIANCE', variance, {
            id: variance.variance_id,
            occurredAt: new Date(variance.detected_at),
          }),
      }),
    ),
    reconciliation,
    reports,
    webhooks,
    webhookDeliveries,
    webhookWorker,
  };
}

import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Env } from './config/env';
import { openDatabase } from './database';
import { createSchema } from './schema';
import { createHttpServer, type PurserHttpServer } from './http-server';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { createServices, type Services } from './services';
import { UsageConsumer } from './usage/usage-consumer';
import { usageRoutes } from './usage/usage.routes';
import { metricsRoutes } from './metrics/metrics.routes';
import { allocationExportRoutes } from './allocation/allocation-exports.routes';
import { focusRoutes } from './focus/focus.routes';
import { monthlyReportRoutes } from './reports/monthly-report.routes';
import { DEFAULT_BUNDLE_PATH } from '@purser/policy';
import { DefinitionsListener } from './budgets/budget-cache';
import { BudgetMaintenance } from './budgets/budget-maintenance';
import { decisionRawRoute, decisionRoutes } from './decisions/decision.routes';
import { integrationRoutes } from './integrations/integration.routes';
import { PolicyRuntime } from './decisions/policy-runtime';
import { BillingScheduler, syncIntervalMs } from './billing/billing-scheduler';
import { AnomalyMonitor } from './insights/anomaly-monitor';
import { MonthlyReportNotifier } from './reports/monthly-report-notifier';

export interface PurserOptions {
  env: Env;
  logger?: Logger;
  /** Start the NATS usage consumer when NATS is configured (default true). */
  consume?: boolean;
  /** The clock decisions and budget windows use (tests move it); default: the system clock. */
  clock?: () => Date;
}

/** Something with a lifecycle that the service stops, in reverse order of start, on shutdown. */
interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * One Purser instance: database (migrated), NATS (when configured), services, HTTP.
 * Used by `main.ts` and by integration tests, which run several instances in one process.
 */
export class Purser {
  private readonly stoppables: Stoppable[] = [];
  private stopping?: Promise<void>;
  /** The JetStream usage consumer, when NATS is configured. */
  consumer?: UsageConsumer;
  /** Hold expiry and alert publishing. */
  maintenance?: BudgetMaintenance;
  /** The scheduled billing sync (PURSER_BILLING_SYNC_INTERVAL), when on. */
  billingScheduler?: BillingScheduler;
  /** Records spend anomalies and publishes them (PURSER_ANOMALY_INTERVAL_SECONDS, 0: none). */
  anomalyMonitor?: AnomalyMonitor;
  /** Announces each closed month's report once on the webhooks (MONTHLY_REPORT). */
  monthlyReports?: MonthlyReportNotifier;

  private constructor(
    readonly env: Env,
    readonly logger: Logger,
    readonly services: Services,
    readonly http: PurserHttpServer,
    readonly nats: NatsConnection | null,
  ) {}

  get dataSource(): DataSource {
    return this.services.dataSource;
  }

  static async create(options: PurserOptions): Promise<Purser> {
    const { env } = options;
    const logger = options.logger ?? createLogger(env.LOG_LEVEL);
    const metrics = createMetrics();
    const dataSource = await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.PURSER_DATA_DIR,
      poolSize: env.DATABASE_POOL_SIZE,
    });
    logger.info(
      { database: env.DATABASE_URL ? 'postgres' : `pglite:${env.PURSER_DATA_DIR}` },
      'database ready, migrations applied',
    );

    let nats: NatsConnection | null = null;
    if (env.NATS_URL) {
      nats = await connect({
        servers: env.NATS_URL.split(','),
        name: 'purser',
        maxReconnectAttempts: -1,
      });
      logger.info({ nats: env.NATS_URL }, 'connected to NATS');
    } else {
      logger.info('NATS_URL is not set: no NATS consumer; HTTP and GraphQL ingest still work');
    }

    const policy = await PolicyRuntime.load(
      env.PURSER_POLICY_BUNDLE ?? DEFAULT_BUNDLE_PATH,
      logger,
      env.PURSER_POLICY_WATCH,
    );
    const clock = options.clock ?? (() => new Date());
    const services = createServices({ env, logger, metrics, dataSource, nats, policy, clock });
    // A stored billing key that cannot be opened is a start error, not a failed sync later.
    try {
      await services.billingSources.checkSecret();
    } catch (error) {
      policy.close();
      await nats?.close();
      await dataSource.destroy();
      throw error;
    }
    if (env.PURSER_ADMIN_TOKEN) await services.apiKeys.seedAdmin(env.PURSER_ADMIN_TOKEN);
    if (env.PURSER_SEED_CATALOG && (await services.pricing.isEmpty())) {
      const seeded = await services.pricing.reloadDefaults();
      logger.info({ cards: seeded.inserted.length }, 'loaded the default price catalog');
    }

    const schema = await createSchema();
    const http = await createHttpServer({
      services,
      schema,
      routes: [
        usageRoutes,
        decisionRoutes,
        metricsRoutes,
        allocationExportRoutes,
        focusRoutes,
        monthlyReportRoutes,
      ],
      rawRoutes: [decisionRawRoute],
      ownBodyRoutes: [integrationRoutes],
      readiness: [
        {
          name: 'database',
          check: async () => (await dataSource.query('SELECT 1 AS ok')).length === 1,
        },
        { name: 'migrations', check: async () => !(await dataSource.showMigrations()) },
        ...(nats
          ? [{ name: 'nats', check: async () => !nats!.isClosed() && (await nats!.rtt()) >= 0 }]
          : []),
      ],
    });
    const purser = new Purser(env, logger, services, http, nats);
    purser.stoppables.push({ name: 'database', stop: () => dataSource.destroy() });
    if (nats) purser.stoppables.push({ name: 'nats', stop: () => nats!.drain() });
    purser.stoppables.push({ name: 'policy watcher', stop: async () => policy.close() });
    // Budget and velocity definitions are cached per replica; changes anywhere drop them.
    const definitions = new DefinitionsListener(
      dataSource,
      (table) => {
        if (table !== 'velocity_limits') services.budgetCache.invalidate();
        if (table !== 'budgets') services.velocity.invalidate();
      },
      logger,
    );
    await purser.run('definitions listener', definitions);
    await purser.run('decision log', services.decisionLog);
    if (services.allowances) {
      // Stopped after requests drained: writes the holds kept in memory, gives allowances back.
      await purser.run('hold allowances', services.allowances);
    }
    const outboxJob = { dataSource, nats: () => nats, logger, clock };
    purser.maintenance = await purser.run(
      'budget maintenance',
      new BudgetMaintenance({
        ...outboxJob,
        ledger: services.ledger,
        intervalMs: env.PURSER_SWEEP_INTERVAL_SECONDS * 1000,
        // Each recorded crossing goes to the webhook outbox once, in the transaction marking it.
        onAlerts: async (manager, alerts) => {
          for (const alert of alerts) {
            await services.webhooks.notify('BUDGET_THRESHOLD', alert, {
              id: alert.alert_id,
              occurredAt: new Date(alert.crossed_at),
              manager,
            });
          }
        },
      }),
    );
    // Waits for the attempts under way on stop; what is not sent stays in the outbox.
    await purser.run('webhook delivery', services.webhookWorker);
    if (env.PURSER_ANOMALY_INTERVAL_SECONDS > 0) {
      purser.anomalyMonitor = await purser.run(
        'anomaly monitor',
        new AnomalyMonitor({
          ...outboxJob,
          anomalies: services.anomalies,
          intervalMs: env.PURSER_ANOMALY_INTERVAL_SECONDS * 1000,
        }),
      );
    }
    // Announces each closed month's report once (MONTHLY_REPORT), checked hourly.
    purser.monthlyReports = await purser.run(
      'monthly report notices',
      new MonthlyReportNotifier({
        dataSource,
        spend: services.spend,
        notify: (data, notice) => services.webhooks.notify('MONTHLY_REPORT', { ...data }, notice),
        clock,
        logger,
        intervalMs: 3_600_000,
        publicUrl: env.PURSER_PUBLIC_URL ?? null,
      }),
    );
    const billingInterval = syncIntervalMs(env.PURSER_BILLING_SYNC_INTERVAL, env.NODE_ENV);
    if (billingInterval !== null) {
      purser.billingScheduler = await purser.run(
        'billing sync',
        new BillingScheduler({
          sources: services.billingSources,
          sync: services.billingSync,
          logger,
          clock,
          intervalMs: billingInterval,
        }),
      );
    }
    purser.stoppables.push({ name: 'graphql', stop: () => http.apollo.stop() });
    if (nats && options.consume !== false) {
      // Loaded before the consumer starts: the first batch would otherwise wait for them.
      await Promise.all([services.pricing.catalog(), services.budgetCache.any(clock())]);
      purser.consumer = await purser.run(
        'usage consumer',
        new UsageConsumer({
          nats,
          ingest: services.ingest,
          logger,
          durableName: env.INGEST_CONSUMER_NAME,
          batchSize: env.INGEST_BATCH_SIZE,
          concurrency: env.INGEST_CONCURRENCY,
        }),
      );
    }
    return purser;
  }

  /** Starts listening; resolves with the bound port (use port 0 in tests). */
  async listen(port = this.env.PORT, host = this.env.HOST): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.server.once('error', reject);
      this.http.server.listen(port, host, () => resolve());
    });
    const bound = (this.http.server.address() as AddressInfo).port;
    this.logger.info(
      { port: bound },
      `Purser listening: GraphQL on http://localhost:${bound}/graphql`,
    );
    return bound;
  }

  get url(): string {
    const address = this.http.server.address() as AddressInfo | null;
    if (!address) throw new Error('Purser is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * Graceful stop: stop taking requests and let in-flight ones finish (Apollo's drain
   * closes the HTTP server), stop consumers, then close NATS and the database pools.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const stoppable of [...this.stoppables].reverse()) {
        try {
          this.logger.debug({ component: stoppable.name }, 'stopping');
          await stoppable.stop();
        } catch (error) {
          this.logger.warn({ err: error, component: stoppable.name }, 'error while stopping');
        }
      }
      if (this.http.server.listening) {
        await new Promise<void>((resolve) => this.http.server.close(() => resolve()));
      }
      this.logger.info('Purser stopped');
    })();
    return this.stopping;
  }

  /** Starts `job` and registers it to stop on shutdown; answers it. */
  private async run<Job extends { start(): unknown; stop(): Promise<void> }>(
    name: string,
    job: Job,
  ): Promise<Job> {
    await job.start();
    this.onStop(name, () => job.stop());
    return job;
  }

  /** Registers a component to stop on shutdown (stopped before everything registered earlier). */
  onStop(name: string, stop: () => Promise<void>): void {
    this.stoppables.push({ name, stop });
  }
}

import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Logger } from '../observability/logger';
import { PeriodicPass } from './periodic-pass';

/**
 * What the assembly gives a background job that drains an outbox of the database onto NATS
 * (budget alerts, anomalies): the same connections, logger and clock as the requests.
 */
export interface OutboxJobDependencies {
  dataSource: DataSource;
  /** The NATS connection, or null when NATS is not configured (rows wait, recorded). */
  nats: () => NatsConnection | null;
  logger: Logger;
  clock: () => Date;
  /** Time between two passes. */
  intervalMs: number;
}

/**
 * A background job that drains an outbox of the database onto NATS, one pass every
 * `intervalMs` ({@link PeriodicPass}); a subclass writes the pass.
 */
export abstract class OutboxJob<Dependencies extends OutboxJobDependencies> {
  private readonly passes = new PeriodicPass(
    () => this.pass(),
    (error) => this.deps.logger.error({ err: error }, 'outbox pass failed; will retry'),
  );

  constructor(protected readonly deps: Dependencies) {}

  start(): void {
    this.passes.start(this.deps.intervalMs);
  }

  /** One pass; exposed so tests and shutdown can run it on demand. */
  tick(): Promise<void> {
    return this.passes.run();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /** One pass; a failure is logged, never thrown: the next pass tries again. */
  protected abstract pass(): Promise<void>;
}

import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { returningRows } from '../db/returning';
import type { Logger } from '../observability/logger';
import { PeriodicPass } from '../runtime/periodic-pass';
import { isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from './backoff';
import { renderBody } from './payloads';
import { sealedField, type Sealer } from './sealer';
import { signatureHeader } from './signing';
import { displayUrl, type NotificationType, type WebhookFormat } from './webhook-input';

/** A delivery claimed for one attempt, with what it takes to send it. */
interface Claimed {
  id: string;
  delivery_key: string;
  webhook_id: string;
  event_id: string;
  event_type: NotificationType;
  occurred_at: Date;
  data: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  url_sealed: string;
  secret_sealed: string;
  format: WebhookFormat;
}

export interface WorkerOptions extends RetryPolicy {
  /** How long one attempt may take, connection and response included. */
  timeoutMs: number;
  /** How often due deliveries are looked for (notify also wakes the worker). */
  intervalMs: number;
  /** Deliveries sent at once per replica. */
  concurrency: number;
}

const USER_AGENT = 'Purser-Webhooks/1';
/** Past its timeout, how long a claimed attempt stays with its replica before another may take it. */
const LEASE_MARGIN_MS = 60_000;
const MAX_ERROR = 500;

const CLAIM_RETURNING = `d.id::text AS id, d.delivery_key, d.webhook_id, d.event_id, d.event_type,
  d.occurred_at, d.data, d.attempts, d.max_attempts, w.url_sealed, w.secret_sealed, w.format`;

/**
 * Sends the outbox. A due delivery of an enabled webhook is claimed with `FOR UPDATE SKIP LOCKED` and leased (its
 * next attempt moved past the attempt's timeout), so replicas never send the same attempt
 * and a replica that dies mid-attempt leaves it to another after the lease. Every attempt is
 * recorded with its status code or error and duration, in the statement that sets the
 * delivery's next state: delivered (2xx), pending again after a backoff (timeout, network
 * error, 408, 425, 429, 5xx — until max attempts), or failed.
 */
export class DeliveryWorker {
  private readonly passes = new PeriodicPass(
    () => this.sendDue(),
    (error) => this.deps.logger.error({ err: error }, 'webhook delivery pass failed; will retry'),
  );
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      sealer: Sealer | null;
      logger: Logger;
      clock: () => Date;
      options: WorkerOptions;
      random?: () => number;
      fetch?: typeof fetch;
    },
  ) {}

  get leaseMs(): number {
    return this.deps.options.timeoutMs + LEASE_MARGIN_MS;
  }

  start(): void {
    this.passes.start(this.deps.options.intervalMs);
  }

  /** Wakes a started worker (after notify); a pass already running makes one more. */
  wake(): void {
    if (this.stopped || !this.passes.started) return;
    if (this.passes.underWay) this.again = true;
    else void this.tick();
  }

  /** Sends every due delivery, batch after batch; exposed so tests run it on demand. */
  tick(): Promise<void> {
    return this.passes.run();
  }

  private async sendDue(): Promise<void> {
    do {
      this.again = false;
      try {
        while (!this.stopped && (await this.pass()) === this.deps.options.concurrency);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'webhook delivery pass failed; will retry');
      }
    } while (this.again && !this.stopped);
  }

  /** Claims and sends one batch; answers how many were claimed. */
  private async pass(): Promise<number> {
    const now = this.deps.clock();
    // A delivery a notify committed after its webhook was disabled (the disable gave up only
    // what it saw) is given up here, never claimed: it would hold a claim slot for good.
    await this.deps.dataSource.query(
      `UPDATE webhook_deliveries d SET state = 'failed', last_error = 'webhook disabled',
         finished_at = $1 FROM webhooks w
       WHERE w.id = d.webhook_id AND NOT w.enabled AND d.state = 'pending'`,
      [now.toISOString()],
    );
    const claimed = returningRows<Claimed>(
      await this.deps.dataSource.query(
        `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2
         FROM webhooks w
         WHERE w.id = d.webhook_id AND w.enabled AND d.id IN (
           SELECT p.id FROM webhook_deliveries p JOIN webhooks e ON e.id = p.webhook_id AND e.enabled
           WHERE p.state = 'pending' AND p.next_attempt_at <= $1
           ORDER BY p.next_attempt_at, p.id LIMIT $3 FOR UPDATE OF p SKIP LOCKED)
         RETURNING ${CLAIM_RETURNING}`,
        [
          now.toISOString(),
          new Date(now.getTime() + this.leaseMs).toISOString(),
          this.deps.options.concurrency,
        ],
      ),
    );
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  /** Claims one delivery by id whatever its schedule (testWebhook) and sends it once. */
  async deliverNow(id: string): Promise<void> {
    const claimed = returningRows<Claimed>(
      await this.deps.dataSource.query(
        `UPDATE webhook_deliveries d SET attempts = d.attempts + 1
         FROM webhooks w WHERE w.id = d.webhook_id AND d.id = $1::bigint AND d.state = 'pending'
         RETURNING ${CLAIM_RETURNING}`,
        [id],
      ),
    );
    for (const delivery of claimed) await this.attempt(delivery);
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const startedAt = this.deps.clock();
    if (delivery.attempts > delivery.max_attempts) {
      // The replica that made the last attempt stopped before recording it.
      await this.finish(delivery, startedAt, 0, null, 'gave up: the last attempt was lost', false);
      return;
    }
    let url: string;
    let secret: string;
    try {
      if (!this.deps.sealer) throw new Error('PURSER_SECRET_KEY is not set');
      url = this.deps.sealer.open(delivery.url_sealed, sealedField(delivery.webhook_id, 'url'));
      secret = this.deps.sealer.open(
        delivery.secret_sealed,
        sealedField(delivery.webhook_id, 'secret'),
      );
    } catch (error) {
      const message = `SECRET_UNREADABLE: ${(error as Error).message}`;
      await this.finish(delivery, startedAt, 0, null, message, false);
      return;
    }
    const body = renderBody(delivery.format, {
      id: delivery.event_id,
      type: delivery.event_type,
      occurredAt: new Date(delivery.occurred_at).toISOString(),
      data: delivery.data,
    });
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const began = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    let retryAfter: number | undefined;
    try {
      const response = await (this.deps.fetch ?? fetch)(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-purser-event': delivery.event_type,
          'x-purser-delivery': delivery.delivery_key,
          'idempotency-key': delivery.delivery_key,
          'x-purser-attempt': String(delivery.attempts),
          'x-purser-signature': signatureHeader(secret, timestamp, body),
        },
        body,
      });
      status = response.status;
      retryAfter = parseRetryAfter(response.headers.get('retry-after'), startedAt);
      await response.body?.cancel().catch(() => undefined);
      if (status < 200 || status > 299) {
        error = `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
      }
    } catch (caught) {
      // Shown to viewers and logged: the URL's path (a Slack token) never is.
      error = describeError(caught, this.deps.options.timeoutMs).split(url).join(displayUrl(url));
    }
    const durationMs = Math.round(performance.now() - began);
    const retryable = error !== null && (status === null || isRetryableStatus(status));
    try {
      await this.finish(delivery, startedAt, durationMs, status, error, retryable, retryAfter);
    } catch (caught) {
      // Its webhook was deleted during the attempt (the delivery went with it): nothing to
      // record, and the rest of the batch goes on.
      if ((caught as { code?: string }).code !== '23503') throw caught;
    }
  }

  /**
   * Records the attempt and the delivery's next state in one statement; a delivery given up
   * meanwhile (its webhook disabled) stays given up, and an attempt whose lease ran out (a
   * newer attempt claimed it) records itself without touching the delivery.
   */
  private async finish(
    delivery: Claimed,
    startedAt: Date,
    durationMs: number,
    status: number | null,
    error: string | null,
    retryable: boolean,
    retryAfterMs?: number,
  ): Promise<void> {
    const retry = retryable && delivery.attempts < delivery.max_attempts;
    const state = error === null ? 'delivered' : retry ? 'pending' : 'failed';
    const next = retry
      ? new Date(
          startedAt.getTime() +
            retryDelayMs(
              this.deps.options,
              delivery.attempts,
              (this.deps.random ?? Math.random)(),
              retryAfterMs,
            ),
        ).toISOString()
      : null;
    const clipped = error === null ? null : error.slice(0, MAX_ERROR);
    await this.deps.dataSource.query(
      `WITH attempt AS (
         INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
         VALUES ($1::bigint, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING)
       UPDATE webhook_deliveries SET state = $7, next_attempt_at = $8, last_status = $5, last_error = $6,
         finished_at = CASE WHEN $7 = 'pending' THEN NULL ELSE $9::timestamptz END
       WHERE id = $1::bigint AND state = 'pending' AND attempts = $2`,
      [
        delivery.id,
        delivery.attempts,
        startedAt.toISOString(),
        durationMs,
        status,
        clipped,
        state,
        next,
        this.deps.clock().toISOString(),
      ],
    );
    if (state === 'failed') {
      this.deps.logger.warn(
        {
          webhook_id: delivery.webhook_id,
          delivery_id: delivery.id,
          event_type: delivery.event_type,
          attempts: delivery.attempts,
          error: clipped,
        },
        'webhook delivery failed for good',
      );
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.passes.stop();
  }
}

function describeError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return cause?.message ?? (error as Error).message ?? String(error);
}

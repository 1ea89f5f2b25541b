import type { UsageEventWireInput } from '../contracts/usage-event';
import { PurserClientError } from './errors';
import type { PurserClientLogger, UsageReporterStats } from './types';

/** What a sink did with a batch: events to try again later (and when), the rest are done. */
export interface SinkOutcome {
  sent: number;
  duplicates: number;
  rejected: number;
  /** Refused for good (401, 403, 400): dropped with a warning. */
  dropped: number;
  retry: UsageEventWireInput[];
  /** The server's `Retry-After`, when it gave one. */
  retryAfterMs?: number;
}

/** Delivers a batch: JetStream or `POST /v1/usage`. Never throws: it answers an outcome. */
export interface UsageSink {
  send(events: UsageEventWireInput[]): Promise<SinkOutcome>;
}

export interface UsageReporterOptions {
  /** Most events in one batch (one HTTP request, or publishes awaited together). */
  maxBatchEvents: number;
  /** How long the first event of a batch waits for others before the batch leaves. */
  lingerMs: number;
  /** Most events held (waiting and in flight); more are dropped with a counted warning. */
  maxBufferedEvents: number;
  /** Most bytes held (their JSON); more are dropped with a counted warning. */
  maxBufferedBytes: number;
  /** First retry delay; doubles per failure up to `maxRetryDelayMs` (with jitter). */
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** Batches in flight at once. */
  maxInFlightBatches: number;
  logger: PurserClientLogger;
}

interface Held {
  event: UsageEventWireInput;
  bytes: number;
}

/**
 * The background half of `reportUsage`: a bounded buffer drained in batches (size or linger,
 * whichever comes first), retried with exponential backoff and jitter while Purser is away
 * (429, 5xx, network), so a call that went through while Purser was down is still reported
 * once it is back. Idempotent by event id: an id already held is not held twice, and a
 * resent event is a duplicate Purser ignores.
 */
export class UsageReporter {
  private readonly queue: Held[] = [];
  private readonly held = new Set<string>();
  private bytes = 0;
  private inFlight = 0;
  private failures = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private overflowing = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  readonly stats: UsageReporterStats = {
    sent: 0,
    duplicates: 0,
    rejected: 0,
    dropped: 0,
    retries: 0,
    buffered: 0,
  };

  constructor(
    private readonly sink: UsageSink,
    private readonly options: UsageReporterOptions,
  ) {}

  /** Holds events for sending; answers how many were held (the rest were dropped or known). */
  enqueue(events: readonly UsageEventWireInput[]): number {
    if (this.closed) {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: 'reportUsage: the client is closed',
      });
    }
    let added = 0;
    for (const event of events) {
      if (this.held.has(event.id)) continue;
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (
        this.held.size >= this.options.maxBufferedEvents ||
        this.bytes + bytes > this.options.maxBufferedBytes
      ) {
        this.stats.dropped += 1;
        if (!this.overflowing) {
          this.overflowing = true;
          this.options.logger.warn(
            'purser client: usage buffer full, dropping usage events until it drains',
            {
              dropped: this.stats.dropped,
              bufferedEvents: this.held.size,
              bufferedBytes: this.bytes,
            },
          );
        }
        continue;
      }
      this.held.add(event.id);
      this.bytes += bytes;
      this.queue.push({ event, bytes });
      added += 1;
    }
    this.stats.buffered = this.held.size;
    if (added > 0) this.schedule();
    return added;
  }

  /** Sends everything held now; resolves true once all is delivered, false at the deadline. */
  flush(timeoutMs = 30_000): Promise<boolean> {
    if (this.held.size === 0) return Promise.resolve(true);
    this.pump(true);
    return new Promise<boolean>((resolve) => {
      const deadline = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      deadline.unref();
      const done = () => {
        clearTimeout(deadline);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  /** Flushes (up to the deadline), then stops; what is left is said in a warning. */
  async close(timeoutMs = 5_000): Promise<void> {
    const delivered = await this.flush(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!delivered) {
      this.options.logger.warn('purser client: closed with usage events not delivered', {
        undelivered: this.held.size,
      });
    }
  }

  private schedule(): void {
    if (this.queue.length >= this.options.maxBatchEvents) return this.pump(false);
    this.arm(Math.max(this.pausedUntil, Date.now() + this.options.lingerMs));
  }

  private arm(at: number): void {
    if (this.closed) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump(true);
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  /** Starts batches while there is room; `all` sends a short batch too (linger over). */
  private pump(all: boolean): void {
    if (Date.now() < this.pausedUntil) return this.arm(this.pausedUntil);
    while (
      this.queue.length > 0 &&
      this.inFlight < this.options.maxInFlightBatches &&
      (all || this.queue.length >= this.options.maxBatchEvents)
    ) {
      const batch = this.queue.splice(0, this.options.maxBatchEvents);
      this.inFlight += 1;
      void this.deliver(batch);
    }
    if (this.queue.length > 0 && this.inFlight < this.options.maxInFlightBatches) this.schedule();
  }

  private async deliver(batch: Held[]): Promise<void> {
    let outcome: SinkOutcome;
    try {
      outcome = await this.sink.send(batch.map((item) => item.event));
    } catch (cause) {
      // A sink answers outcomes; a throw is a bug there, and the batch is retried.
      this.options.logger.warn('purser client: usage sink failed', { error: String(cause) });
      outcome = {
        sent: 0,
        duplicates: 0,
        rejected: 0,
        dropped: 0,
        retry: batch.map((item) => item.event),
      };
    }
    this.inFlight -= 1;
    this.stats.sent += outcome.sent;
    this.stats.duplicates += outcome.duplicates;
    this.stats.rejected += outcome.rejected;
    this.stats.dropped += outcome.dropped;
    const retry = new Set(outcome.retry.map((event) => event.id));
    const again: Held[] = [];
    for (const item of batch) {
      if (retry.has(item.event.id)) again.push(item);
      else {
        this.held.delete(item.event.id);
        this.bytes -= item.bytes;
      }
    }
    if (again.length > 0) {
      this.stats.retries += 1;
      this.failures += 1;
      this.queue.unshift(...again);
      const backoff = Math.min(
        this.options.maxRetryDelayMs,
        this.options.initialRetryDelayMs * 2 ** Math.min(this.failures - 1, 30),
      );
      const delay = Math.max(
        outcome.retryAfterMs ?? 0,
        Math.round(backoff * (0.5 + Math.random() / 2)),
      );
      this.pausedUntil = Date.now() + delay;
    } else {
      this.failures = 0;
      this.pausedUntil = 0;
      if (this.held.size < this.options.maxBufferedEvents) this.overflowing = false;
    }
    this.stats.buffered = this.held.size;
    if (this.held.size === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter();
      return;
    }
    if (this.pausedUntil > Date.now()) this.arm(this.pausedUntil);
    else if (this.waiters.length > 0) this.pump(true);
    else if (this.queue.length > 0) this.schedule();
  }
}

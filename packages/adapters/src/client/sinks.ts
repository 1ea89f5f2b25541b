import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { usageSubject } from '../contracts/subjects';
import type { UsageEventWireInput } from '../contracts/usage-event';
import { PurserClientError } from './errors';
import { answerJson, type HttpTransport, statusError } from './http';
import type { SinkOutcome, UsageSink } from './usage-reporter';
import type { PurserClientLogger } from './types';

/** A NATS connection as `@nats-io/jetstream` takes it. */
export type NatsConnectionLike = Parameters<typeof jetstream>[0];

const empty = (): SinkOutcome => ({ sent: 0, duplicates: 0, rejected: 0, dropped: 0, retry: [] });

/**
 * `POST /v1/usage` with the batch as an array. Purser answers each event's status: a rejected
 * event is warned about and not retried; 429/5xx/network failures retry the whole batch
 * (safe: ids make a resent event a duplicate); other statuses (401, 403, 400) drop it.
 */
export class HttpUsageSink implements UsageSink {
  constructor(
    private readonly http: HttpTransport,
    private readonly logger: PurserClientLogger,
  ) {}

  async send(events: UsageEventWireInput[]): Promise<SinkOutcome> {
    const outcome = empty();
    try {
      const answer = await this.http.post('/v1/usage', events);
      if (answer.status !== 200) {
        const error = statusError(answer, 'reportUsage');
        if (error.isRetryable) {
          outcome.retry = events;
          if (answer.retryAfterMs !== undefined) outcome.retryAfterMs = answer.retryAfterMs;
          return outcome;
        }
        this.logger.warn('purser client: usage batch refused, dropped', {
          events: events.length,
          error: error.message,
        });
        outcome.dropped = events.length;
        return outcome;
      }
      const body = answerJson(answer, 'reportUsage') as {
        accepted?: unknown;
        duplicates?: unknown;
        results?: unknown;
      };
      const results = Array.isArray(body?.results) ? body.results : [];
      for (const [index, item] of results.entries()) {
        const result = item as { id?: unknown; status?: unknown; reason?: unknown } | null;
        if (result?.status === 'rejected') {
          outcome.rejected += 1;
          this.logger.warn('purser client: usage event rejected', {
            id: typeof result.id === 'string' ? result.id : events[index]?.id,
            reason: typeof result.reason === 'string' ? result.reason.slice(0, 500) : undefined,
          });
        } else if (result?.status === 'duplicate') outcome.duplicates += 1;
      }
      outcome.sent = events.length - outcome.rejected;
      return outcome;
    } catch (error) {
      // Unreachable or an unreadable answer: the batch may or may not be stored; resend.
      if (!(error instanceof PurserClientError)) throw error;
      outcome.retry = events;
      return outcome;
    }
  }
}

/**
 * JetStream publishes to `purser.usage.v1.<provider>` with `Nats-Msg-Id` = the event id, so
 * JetStream drops a resend within its duplicate window and Purser's ingest drops any later.
 */
export class NatsUsageSink implements UsageSink {
  private readonly js: JetStreamClient;

  constructor(
    connection: NatsConnectionLike,
    private readonly timeoutMs: number,
  ) {
    this.js = jetstream(connection, { timeout: timeoutMs });
  }

  async send(events: UsageEventWireInput[]): Promise<SinkOutcome> {
    const outcome = empty();
    const acks = await Promise.allSettled(
      events.map((event) =>
        this.js.publish(usageSubject(event.provider ?? 'unknown'), JSON.stringify(event), {
          msgID: event.id,
          timeout: this.timeoutMs,
        }),
      ),
    );
    acks.forEach((ack, index) => {
      if (ack.status === 'rejected') outcome.retry.push(events[index]!);
      else if (ack.value.duplicate) outcome.duplicates += 1;
      else outcome.sent += 1;
    });
    outcome.sent += outcome.duplicates;
    return outcome;
  }
}

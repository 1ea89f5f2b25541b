import { usageEventWireSchema } from '../contracts/usage-event';
import type { UsageEventWireInput } from '../contracts/usage-event';
import { formatIssues } from '../zod-issues';
import { checkAuthorizeRequest, failOpenDecision, parseDecision, toOpaInput } from './decision';
import { abortReason, PurserClientError, PurserDeniedError } from './errors';
import { answerJson, type HttpAnswer, HttpTransport, statusError } from './http';
import { HttpUsageSink, type NatsConnectionLike, NatsUsageSink } from './sinks';
import type { AuthorizeRequest, PurserClientLogger, UsageReporterStats } from './types';
import {
  type CallEnding,
  defaultChunkUsageOf,
  defaultModelOf,
  endingOf,
  type StreamTrackOptions,
  type TrackContext,
  TrackedCall,
  type TrackOptions,
} from './tracked-call';
import { UsageReporter } from './usage-reporter';

export interface PurserClientOptions {
  /** Purser's base URL, e.g. `http://purser:8080`. */
  url: string;
  /** A `gateway` API key (authorize, ingest, release). */
  apiKey: string;
  /** A NATS connection: usage goes to JetStream (`Nats-Msg-Id` = event id) instead of HTTP. */
  nats?: NatsConnectionLike;
  /**
   * When Purser cannot be reached (timeout, refused connection, 429/5xx): `closed` refuses the
   * call with `PurserClientError` `UNAVAILABLE`; `open` lets it through (`decision.failOpen`)
   * and reports its usage once Purser is back.
   */
  failMode: 'open' | 'closed';
  /** Deadline of one request to Purser (default 2,000 ms). */
  timeoutMs?: number;
  /** `source` of the usage events (default `purser-client`); an event is `(source, id)`. */
  source?: string;
  /** Where background problems are said (default: `console.warn`). */
  logger?: PurserClientLogger;
  /**
   * Usage batching: most events per batch (default 100), linger (default 250 ms over HTTP,
   * 20 ms over JetStream). Over HTTP each batch is one ingest transaction in Purser: at 200
   * calls/s a 20 ms linger made about 50 a second, whose work slowed the decisions answered
   * beside them (README, `bench:client`); the price is that a call's hold stays reserved
   * until its usage arrives, up to the linger longer. JetStream takes each event as its own
   * message and Purser batches them as it fetches, so there a longer linger only delays.
   */
  batch?: { maxEvents?: number; lingerMs?: number };
  /** Bounds of the usage buffer (default 10,000 events, 8 MiB). */
  buffer?: { maxEvents?: number; maxBytes?: number };
  /** Retry backoff of usage delivery (default 100 ms doubling to 30 s, with jitter). */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Largest answer read from Purser (default 1 MiB). */
  maxResponseBytes?: number;
}

const DECISION_PATH = '/v1/data/purser/authz/decision';
/** How long a usage event waits for others to share its batch (see `batch`). */
const DEFAULT_LINGER_MS = { http: 250, nats: 20 };
/** How long a decision that timed out may still arrive and have its hold released. */
const LATE_ANSWER_MS = 60_000;
const RELEASE = 'mutation($id: ID!) { releaseReservation(id: $id) }';

const consoleLogger: PurserClientLogger = {
  warn: (message, fields) => console.warn(message, fields ?? {}),
};

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new PurserClientError({
      code: 'INVALID_ARGUMENT',
      message: `${name}: must be a positive number (got ${value})`,
    });
  }
  return value;
}

/**
 * Purser's gateway client: `authorize` before a call, `reportUsage` after it, `release` when
 * it never happened, and `track`, which does the three right for every ending (success,
 * thrown error, abort, cut stream).
 */
export class PurserClient {
  readonly failMode: 'open' | 'closed';
  private readonly http: HttpTransport;
  private readonly reporter: UsageReporter;
  private readonly logger: PurserClientLogger;
  private readonly source: string;
  private failOpenCount = 0;
  private releaseFailures = 0;
  private lateReleases = 0;

  constructor(options: PurserClientOptions) {
    if (options.failMode !== 'open' && options.failMode !== 'closed') {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: `failMode: must be "open" or "closed" (got ${JSON.stringify(options.failMode)})`,
      });
    }
    if (typeof options.apiKey !== 'string' || options.apiKey === '') {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: 'apiKey: must be a non-empty string',
      });
    }
    this.failMode = options.failMode;
    this.logger = options.logger ?? consoleLogger;
    this.source = options.source ?? 'purser-client';
    const timeoutMs = positive('timeoutMs', options.timeoutMs, 2_000);
    this.http = new HttpTransport({
      url: options.url,
      apiKey: options.apiKey,
      timeoutMs,
      maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes, 1 << 20),
    });
    const sink = options.nats
      ? new NatsUsageSink(options.nats, timeoutMs)
      : new HttpUsageSink(this.http, this.logger);
    this.reporter = new UsageReporter(sink, {
      maxBatchEvents: positive('batch.maxEvents', options.batch?.maxEvents, 100),
      lingerMs: options.batch?.lingerMs ?? DEFAULT_LINGER_MS[options.nats ? 'nats' : 'http'],
      maxBufferedEvents: positive('buffer.maxEvents', options.buffer?.maxEvents, 10_000),
      maxBufferedBytes: positive('buffer.maxBytes', options.buffer?.maxBytes, 8 << 20),
      initialRetryDelayMs: positive('retry.initialDelayMs', options.retry?.initialDelayMs, 100),
      maxRetryDelayMs: positive('retry.maxDelayMs', options.retry?.maxDelayMs, 30_000),
      maxInFlightBatches: 4,
      logger: this.logger,
    });
  }

  /** Delivery counters, plus how often the client failed open and a release failed. */
  get stats(): UsageReporterStats & {
    failOpen: number;
    releaseFailures: number;
    lateReleases: number;
  } {
    return {
      ...this.reporter.stats,
      failOpen: this.failOpenCount,
      releaseFailures: this.releaseFailures,
      lateReleases: this.lateReleases,
    };
  }

  /**
   * Asks Purser for a decision (`POST /v1/data/purser/authz/decision`). A deny is a decision
   * (`allow: false`), not an error; `track` turns it into a `PurserDeniedError`. Unreachable:
   * `failMode` decides (a fail-open decision, or `UNAVAILABLE`). A decision that arrives
   * after the timeout or an abort (within a minute) is not lost: its hold is released.
   */
  async authorize(request: AuthorizeRequest, options: { signal?: AbortSignal } = {}) {
    checkAuthorizeRequest(request);
    try {
      const answer = await this.http.post(DECISION_PATH, toOpaInput(request), options.signal, {
        answer: (late) => void this.releaseLate(late),
        withinMs: LATE_ANSWER_MS,
      });
      if (answer.status !== 200) throw statusError(answer, 'authorize');
      return parseDecision(answerJson(answer, 'authorize'), answer.status);
    } catch (error) {
      if (
        this.failMode === 'open' &&
        error instanceof PurserClientError &&
        error.code === 'UNAVAILABLE'
      ) {
        this.failOpenCount += 1;
        this.logger.warn('purser client: Purser unreachable, call let through (fail open)', {
          error: error.message,
          failOpen: this.failOpenCount,
        });
        return failOpenDecision(request);
      }
      throw error;
    }
  }

  /**
   * Queues usage events for delivery (JetStream or `POST /v1/usage`), batched and retried in
   * the background; answers how many were queued. An event that is not the wire shape is an
   * `INVALID_ARGUMENT` naming it; an id already queued is not queued twice.
   */
  reportUsage(events: UsageEventWireInput | readonly UsageEventWireInput[]): number {
    const list = Array.isArray(events) ? events : [events as UsageEventWireInput];
    list.forEach((event, index) => {
      const parsed = usageEventWireSchema.safeParse(event);
      if (!parsed.success) {
        throw new PurserClientError({
          code: 'INVALID_ARGUMENT',
          message: `reportUsage: event ${index}: ${formatIssues(parsed.error).join('; ')}`,
        });
      }
    });
    return this.reporter.enqueue(list);
  }

  /**
   * Frees a decision's hold (`releaseReservation`, by decision or reservation id); false when
   * it was no longer held.
   */
  async release(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (typeof id !== 'string' || id === '') {
      throw new PurserClientError({ code: 'INVALID_ARGUMENT', message: 'release: id is empty' });
    }
    const answer = await this.http.post(
      '/graphql',
      { query: RELEASE, variables: { id } },
      options.signal,
    );
    if (answer.status >= 500 || answer.status === 429) throw statusError(answer, 'release');
    const body = answerJson(answer, 'release') as {
      data?: { releaseReservation?: unknown } | null;
      errors?: { message?: unknown; extensions?: { code?: unknown } }[];
    } | null;
    const released = body?.data?.releaseReservation;
    if (typeof released === 'boolean') return released;
    const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
    if (first && typeof first === 'object') {
      const code = first.extensions?.code;
      const message = typeof first.message === 'string' ? first.message.slice(0, 500) : '';
      throw new PurserClientError({
        code: code === 'UNAVAILABLE' ? 'UNAVAILABLE' : 'REJECTED',
        status: answer.status,
        message: `release: ${typeof code === 'string' ? `${code}: ` : ''}${message}`,
      });
    }
    if (answer.status !== 200) throw statusError(answer, 'release');
    throw new PurserClientError({
      code: 'BAD_RESPONSE',
      status: answer.status,
      message: 'release: the answer has no releaseReservation',
    });
  }

  /**
   * Authorizes and answers the call in progress, for callers that drive a call themselves:
   * pass `tracked.context` to the call, then `tracked.finish(ending, response?)` exactly
   * once. A deny throws `PurserDeniedError`. `track` and `trackStream` are built on it.
   */
  async begin<R = unknown>(
    request: AuthorizeRequest,
    options: TrackOptions<R> = {},
  ): Promise<TrackedCall<R>> {
    const signal = options.signal;
    if (signal?.aborted) throw abortReason(signal);
    // Not aborted half-way: once asked, the decision may have placed a hold, which an abort
    // must release rather than leave to its TTL.
    const decision = await this.authorize(request);
    if (!decision.allow) throw new PurserDeniedError(decision);
    const tracked = new TrackedCall<R>(request, decision, options, {
      source: this.source,
      logger: this.logger,
      report: (event) => this.reporter.enqueue([event]),
      release: (id) => this.release(id),
      releaseFailed: () => {
        this.releaseFailures += 1;
      },
    });
    if (signal?.aborted) {
      await tracked.finish('aborted');
      throw abortReason(signal);
    }
    return tracked;
  }

  /**
   * authorize → call with the decided model and cap → report the response's usage with the
   * decision's id. A deny throws `PurserDeniedError` and the call is not made. When the call
   * throws or is aborted, the hold is released — unless usage was observed (a cut stream),
   * which is reported as consumed, with `status: "error"`. The call's own error is rethrown.
   */
  async track<R>(
    request: AuthorizeRequest,
    call: (context: TrackContext) => Promise<R>,
    options: TrackOptions<R> = {},
  ): Promise<R> {
    const tracked = await this.begin(request, options);
    let response: R;
    try {
      response = await call(tracked.context);
    } catch (error) {
      await tracked.finish(endingOf(error, options.signal));
      throw error;
    }
    await tracked.finish('success', response);
    return response;
  }

  /**
   * `track` for a stream: `open` starts the provider's stream (with the decided model and
   * cap); each chunk passes through, and `usageOf(chunk)` (default `chunk.usage`, or
   * `chunk.message.usage` for Anthropic's `message_start`) is metered. At the end the usage
   * is reported. A stream that fails, or that the consumer stops early, after its first
   * chunk reports what the chunks said was consumed, with the request's input estimate
   * (tag `usage_estimated: "true"`) when they did not say the prompt's size: the provider
   * bills the prompt once it streams. One that fails before any chunk releases the hold.
   */
  async *trackStream<C>(
    request: AuthorizeRequest,
    open: (context: TrackContext) => Promise<AsyncIterable<C>> | AsyncIterable<C>,
    options: StreamTrackOptions<C> = {},
  ): AsyncGenerator<C, void, undefined> {
    const tracked = await this.begin<C>(request, options);
    const usageOf = options.usageOf ?? defaultChunkUsageOf;
    const modelOf = options.modelOf ?? defaultModelOf;
    let ending: CallEnding = 'aborted';
    try {
      const stream = await open(tracked.context);
      for await (const chunk of stream) {
        tracked.streamStarted();
        tracked.observeChunk(usageOf(chunk), modelOf(chunk));
        yield chunk;
      }
      ending = 'success';
    } catch (error) {
      ending = endingOf(error, options.signal);
      throw error;
    } finally {
      await tracked.finish(ending);
    }
  }

  /** Releases the hold of a decision answered after its caller stopped waiting. */
  private async releaseLate(answer: HttpAnswer): Promise<void> {
    let decisionId: string;
    try {
      if (answer.status !== 200) return;
      const decision = parseDecision(answerJson(answer, 'authorize'), answer.status);
      if (!decision.reservation) return;
      decisionId = decision.decisionId;
    } catch {
      return; // not a decision: nothing was held
    }
    this.lateReleases += 1;
    try {
      await this.release(decisionId);
    } catch (error) {
      this.releaseFailures += 1;
      this.logger.warn('purser client: releasing a late decision failed; it expires with its TTL', {
        decisionId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Sends everything queued now; true once delivered, false at the deadline. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.reporter.flush(timeoutMs);
  }

  /** Flushes (up to `timeoutMs`, default 5 s) and closes the connections. */
  async close(timeoutMs?: number): Promise<void> {
    await this.reporter.close(timeoutMs);
    this.http.close();
  }
}

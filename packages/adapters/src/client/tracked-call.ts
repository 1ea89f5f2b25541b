import { randomUUID } from 'node:crypto';
import type { Usage } from '@purser/pricing';
import {
  attributionToWire,
  USAGE_EVENT_LIMITS,
  type UsageEventWireInput,
} from '../contracts/usage-event';
import type { UsageFormat } from '../convert-usage';
import { isAbortError } from './errors';
import type { AuthorizeRequest, Decision, PurserClientLogger } from './types';
import { defaultUsageFormat, UsageMeter } from './usage-meter';

/** What `track` hands to the call. */
export interface TrackContext {
  /** The model to call (the decision's: differs from the request's on a downgrade). */
  model: string;
  /** The output cap to pass to the provider. */
  maxOutputTokens: number;
  /** The decision's id (empty when it failed open). */
  decisionId: string;
  decision: Decision;
  /** Aborts the call: the caller's `signal`, if it gave one. */
  signal: AbortSignal;
  /**
   * Records a usage object the provider sent (a stream's usage chunk), in the provider's
   * shape: if the stream is cut, `track` reports what was consumed up to there.
   */
  observeUsage(raw: unknown, model?: string): void;
  /** Records usage counted by the caller, in the canonical vocabulary. */
  observeCanonicalUsage(usage: Usage, model?: string): void;
}

export interface TrackOptions<R> {
  /** Aborting it aborts the call; the hold is released (or the partial usage reported). */
  signal?: AbortSignal;
  /** The provider's usage shape (default by provider: `openai`, `anthropic`, `google`). */
  usageFormat?: UsageFormat;
  /** Where the usage is in the response (default `response.usage`). */
  usageOf?: (response: R) => unknown;
  /** The model that answered (default `response.model` when it is a string). */
  modelOf?: (response: R) => string | undefined;
  /** The usage event's id (default a random UUID): the idempotency key. */
  eventId?: string;
  operation?: string;
  tags?: Record<string, string>;
}

/** `trackStream`'s options: `usageOf` and `modelOf` read each chunk. */
export type StreamTrackOptions<C> = TrackOptions<C>;

/** How a call ended: `aborted` covers a caller's abort and a consumer that stopped reading. */
export type CallEnding = 'success' | 'error' | 'aborted';

export function endingOf(error: unknown, signal?: AbortSignal): CallEnding {
  return isAbortError(error) || signal?.aborted ? 'aborted' : 'error';
}

const field = (value: unknown, key: string): unknown =>
  value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

export const defaultUsageOf = (response: unknown): unknown => field(response, 'usage');

/** A stream chunk's usage: `chunk.usage` (OpenAI, Anthropic `message_delta`) or `chunk.message.usage`. */
export const defaultChunkUsageOf = (chunk: unknown): unknown =>
  field(chunk, 'usage') ?? field(field(chunk, 'message'), 'usage');

/** The tag that marks a usage event whose input count is the hold's estimate, not the provider's. */
export const USAGE_ESTIMATED_TAG = 'usage_estimated';

const INPUT_KEYS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
] as const;

export const defaultModelOf = (response: unknown): string | undefined => {
  const model = field(response, 'model') ?? field(field(response, 'message'), 'model');
  return typeof model === 'string' && model !== '' ? model : undefined;
};

/** What a tracked call needs of its client. */
export interface TrackedCallHost {
  source: string;
  logger: PurserClientLogger;
  report(event: UsageEventWireInput): void;
  release(id: string): Promise<boolean>;
  releaseFailed(): void;
}

/**
 * One call between its decision and its ending. `finish` reports the usage seen (the
 * response's, or the stream chunks') with the decision's id, or releases the hold when the
 * call consumed nothing the client could see; it runs once, later calls are ignored. A
 * stream cut after its first chunk (`streamStarted`) is billed its prompt by the provider
 * even though the usage chunk never came: it is reported with the request's input estimate
 * (tag `usage_estimated: "true"`) rather than released.
 */
export class TrackedCall<R = unknown> {
  readonly context: TrackContext;
  private readonly meter: UsageMeter;
  private readonly eventId: string;
  private readonly started = performance.now();
  private finished = false;
  private streaming = false;

  constructor(
    readonly request: AuthorizeRequest,
    readonly decision: Decision,
    private readonly options: TrackOptions<R>,
    private readonly host: TrackedCallHost,
  ) {
    this.meter = new UsageMeter(options.usageFormat ?? defaultUsageFormat(request.provider));
    this.eventId = options.eventId ?? randomUUID();
    let signal = options.signal;
    this.context = {
      model: decision.model,
      maxOutputTokens: decision.maxOutputTokens,
      decisionId: decision.decisionId,
      decision,
      // Made when first read: a signal that is never aborted costs more to build than the
      // rest of the call's bookkeeping, and most calls without one never read it.
      get signal() {
        return (signal ??= new AbortController().signal);
      },
      // Still a plain field to the caller, as before: one may put its own signal there.
      set signal(value: AbortSignal) {
        signal = value;
      },
      observeUsage: (raw, model) => this.meter.observe(raw, model),
      observeCanonicalUsage: (usage, model) => this.meter.observeCanonical(usage, model),
    };
  }

  /** Meters a stream chunk's usage; an unreadable one is warned about, never thrown. */
  observeChunk(raw: unknown, model?: string): void {
    if (raw === undefined || raw === null) return;
    try {
      this.meter.observe(raw, model);
    } catch (error) {
      this.warnUnreadable(error);
    }
  }

  /**
   * Says the provider has started answering (a stream's first chunk arrived): from then on
   * it bills the prompt, so a cut or an abort reports usage instead of releasing the hold.
   */
  streamStarted(): void {
    this.streaming = true;
  }

  /** Ends the call: report what was consumed, or release the hold. */
  async finish(ending: CallEnding, response?: R): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (ending === 'success' && response !== undefined) {
      const raw = (this.options.usageOf ?? defaultUsageOf)(response as R);
      const model = (this.options.modelOf ?? defaultModelOf)(response as R);
      this.observeChunk(raw, model);
    }
    const observed = this.meter.observed;
    const estimate = this.request.estimatedInputTokens;
    if (
      ending !== 'success' &&
      this.streaming &&
      !INPUT_KEYS.some((key) => observed?.[key]) &&
      // With no estimate and nothing observed there is nothing to report: release instead.
      (estimate > 0 || observed !== null)
    ) {
      // Cut before the provider said the prompt's size (OpenAI sends usage only at the end):
      // the prompt is billed all the same, so report the estimate the hold was priced on,
      // with the output counted so far when the caller observed it.
      const usage: Usage = { ...observed };
      if (estimate > 0) usage.input_tokens = estimate;
      return this.report(ending, usage, true);
    }
    if (observed) return this.report(ending, observed, false);
    if (ending === 'success') {
      this.host.logger.warn('purser client: the call answered no usage; hold released', {
        decisionId: this.decision.decisionId,
      });
    }
    await this.releaseQuietly(ending === 'success' ? 'no usage' : ending);
  }

  private warnUnreadable(error: unknown): void {
    this.host.logger.warn('purser client: a usage object cannot be read', {
      decisionId: this.decision.decisionId,
      error: error instanceof Error ? error.message.slice(0, 500) : String(error),
    });
  }

  private report(ending: CallEnding, usage: Usage, estimated: boolean): void {
    const { request, decision, options } = this;
    const attribution = attributionToWire(request.attribution ?? {});
    const event: UsageEventWireInput = {
      id: this.eventId,
      source: this.host.source,
      timestamp: new Date().toISOString(),
      provider: request.provider,
      model: this.meter.model ?? decision.model,
      usage,
      latency_ms: Math.max(0, Math.round(performance.now() - this.started)),
      status: ending === 'success' ? 'success' : 'error',
    };
    if (ending !== 'success') event.error_type = ending;
    if (options.operation !== undefined) event.operation = options.operation;
    if (Object.keys(attribution).length > 0) event.attribution = attribution;
    const tags: Record<string, string> = { ...options.tags };
    // Within the tag limit: a caller already at 64 tags keeps them (error_type still says it).
    if (estimated && Object.keys(tags).length < USAGE_EVENT_LIMITS.maxTags) {
      tags[USAGE_ESTIMATED_TAG] = 'true';
    }
    if (Object.keys(tags).length > 0) event.tags = tags;
    if (decision.decisionId !== '') event.decision_id = decision.decisionId;
    this.host.report(event);
  }

  /** Releases the hold of a call that consumed nothing; a failure is logged, never thrown. */
  private async releaseQuietly(why: string): Promise<void> {
    if (this.decision.decisionId === '' || !this.decision.reservation) return;
    try {
      await this.host.release(this.decision.decisionId);
    } catch (error) {
      this.host.releaseFailed();
      this.host.logger.warn('purser client: releasing a hold failed; it expires with its TTL', {
        decisionId: this.decision.decisionId,
        why,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

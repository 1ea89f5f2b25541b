import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import type { PurserClient } from './client';
import { PurserClientError } from './errors';
import { type CallEnding, endingOf, type TrackedCall } from './tracked-call';
import type { AuthorizeRequest } from './types';

/** A provider registry, as `createProviderRegistry` of `ai` (or any `ProviderV3`) answers one. */
export interface LanguageModelRegistry {
  languageModel(id: string): LanguageModelV3;
}

export interface PurserMiddlewareOptions {
  client: PurserClient;
  /**
   * Purser's provider id. Default: the model's `provider` up to its first dot (the AI SDK
   * names them `openai.chat`, `anthropic.messages`…).
   */
  provider?: string | ((model: LanguageModelV3) => string);
  /** Who pays: fixed, or read from each call's parameters. */
  attribution?:
    | AuthorizeRequest['attribution']
    | ((params: LanguageModelV3CallOptions) => AuthorizeRequest['attribution']);
  /** Input tokens for the hold. Default: the prompt's JSON length / 4, rounded up. */
  estimateInputTokens?: (params: LanguageModelV3CallOptions) => number;
  /** Output cap asked for when a call sets no `maxOutputTokens` (default 4,096). */
  defaultMaxOutputTokens?: number;
  /**
   * Where a downgraded model comes from: `registry.languageModel(registryId(provider, model))`.
   * Without one, a downgrade is refused (`DOWNGRADE_UNAVAILABLE`) rather than ignored.
   */
  registry?: LanguageModelRegistry;
  /** The registry id of a model (default `provider:model`, as `createProviderRegistry`). */
  registryId?: (provider: string, model: string) => string;
  operation?: string;
  tags?: Record<string, string>;
}

interface CallState {
  tracked: TrackedCall;
  /** The downgraded model to call instead of the wrapped one. */
  target: LanguageModelV3 | undefined;
}

/**
 * The AI SDK's usage (v3) as OpenTelemetry GenAI attributes, whose input count includes the
 * cache reads and writes, so the `otel` usage converter makes it canonical. `undefined` when
 * the usage has no count at all.
 */
export function aiSdkUsageAttributes(
  usage: LanguageModelV3Usage | undefined,
): Record<string, number> | undefined {
  const input: Partial<LanguageModelV3Usage['inputTokens']> = usage?.inputTokens ?? {};
  const output: Partial<LanguageModelV3Usage['outputTokens']> = usage?.outputTokens ?? {};
  const counts = [input.total, input.noCache, input.cacheRead, input.cacheWrite];
  // A provider that said nothing: unknown usage is not zero usage (the hold is released).
  if ([...counts, output.total, output.text, output.reasoning].every((n) => n === undefined)) {
    return undefined;
  }
  const cacheRead = input.cacheRead ?? 0;
  const cacheWrite = input.cacheWrite ?? 0;
  const total = input.total ?? (input.noCache ?? 0) + cacheRead + cacheWrite;
  const attributes: Record<string, number> = {
    'gen_ai.usage.input_tokens': total,
    'gen_ai.usage.output_tokens': output.total ?? (output.text ?? 0) + (output.reasoning ?? 0),
  };
  if (cacheRead > 0) attributes['gen_ai.usage.cache_read.input_tokens'] = cacheRead;
  if (cacheWrite > 0) attributes['gen_ai.usage.cache_creation.input_tokens'] = cacheWrite;
  if (output.reasoning) attributes['gen_ai.usage.reasoning.output_tokens'] = output.reasoning;
  return attributes;
}

const defaultEstimate = (params: LanguageModelV3CallOptions) =>
  Math.ceil(JSON.stringify(params.prompt ?? []).length / 4);

/**
 * Purser for the AI SDK (`ai@6`, `LanguageModelV3Middleware`), for `wrapLanguageModel`:
 * `transformParams` authorizes (a deny throws `PurserDeniedError`) and applies the output cap
 * and a downgrade; `wrapGenerate` reports the result's usage, `wrapStream` the usage of the
 * stream's `finish` part; an error, an abort or a stream that ends without `finish`
 * releases the hold, unless the provider had started streaming: then the request's input
 * estimate is reported (tag `usage_estimated: "true"`, `status: "error"`).
 */
export function purserMiddleware(options: PurserMiddlewareOptions): LanguageModelV3Middleware {
  const calls = new WeakMap<LanguageModelV3CallOptions, CallState>();
  const providerOf = (model: LanguageModelV3) =>
    typeof options.provider === 'function'
      ? options.provider(model)
      : (options.provider ?? model.provider.split('.')[0] ?? model.provider);
  const registryId = options.registryId ?? ((provider, model) => `${provider}:${model}`);

  const observe = (state: CallState, usage: LanguageModelV3Usage | undefined, model?: string) =>
    state.tracked.observeChunk(aiSdkUsageAttributes(usage), model);

  return {
    specificationVersion: 'v3',

    async transformParams({ params, model }) {
      const provider = providerOf(model);
      const attribution =
        typeof options.attribution === 'function'
          ? options.attribution(params)
          : options.attribution;
      const request: AuthorizeRequest = {
        provider,
        model: model.modelId,
        estimatedInputTokens: (options.estimateInputTokens ?? defaultEstimate)(params),
        maxOutputTokens: params.maxOutputTokens ?? options.defaultMaxOutputTokens ?? 4096,
        ...(attribution ? { attribution } : {}),
      };
      const tracked = await options.client.begin(request, {
        usageFormat: 'otel',
        ...(params.abortSignal ? { signal: params.abortSignal } : {}),
        ...(options.operation !== undefined ? { operation: options.operation } : {}),
        ...(options.tags !== undefined ? { tags: options.tags } : {}),
      });
      const decided = tracked.decision.model;
      let target: LanguageModelV3 | undefined;
      if (decided !== model.modelId) {
        try {
          if (!options.registry) throw new Error('no registry was given to purserMiddleware');
          target = options.registry.languageModel(registryId(provider, decided));
        } catch (cause) {
          await tracked.finish('error');
          throw new PurserClientError({
            code: 'DOWNGRADE_UNAVAILABLE',
            message: `Purser downgraded ${model.modelId} to ${decided}, which cannot be called (${cause instanceof Error ? cause.message : String(cause)})`,
            cause,
          });
        }
      }
      const transformed: LanguageModelV3CallOptions = {
        ...params,
        maxOutputTokens: tracked.decision.maxOutputTokens,
      };
      calls.set(transformed, { tracked, target });
      return transformed;
    },

    async wrapGenerate({ doGenerate, params }) {
      const state = calls.get(params);
      if (!state) return doGenerate();
      calls.delete(params);
      try {
        const result = await (state.target ? state.target.doGenerate(params) : doGenerate());
        observe(state, result.usage, result.response?.modelId);
        await state.tracked.finish('success');
        return result;
      } catch (error) {
        await state.tracked.finish(endingOf(error, params.abortSignal));
        throw error;
      }
    },

    async wrapStream({ doStream, params }) {
      const state = calls.get(params);
      if (!state) return doStream();
      calls.delete(params);
      const signal = params.abortSignal;
      let ended = false;
      const end = (ending: CallEnding) => {
        if (ended) return;
        ended = true;
        signal?.removeEventListener('abort', onAbort);
        void state.tracked.finish(ending);
      };
      const onAbort = () => end('aborted');
      let result;
      try {
        result = await (state.target ? state.target.doStream(params) : doStream());
      } catch (error) {
        await state.tracked.finish(endingOf(error, signal));
        throw error;
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      const reader = result.stream.getReader();
      let model: string | undefined;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async pull(controller) {
          try {
            const { value, done } = await reader.read();
            if (done) {
              // Ended without a finish part: a cut stream, reported with the input estimate
              // once the provider had started answering, else released.
              end('error');
              controller.close();
              return;
            }
            // The provider is answering (the wrapper's own `stream-start` and an `error` part
            // are not its answer): from here a cut reports the estimated prompt.
            if (value.type !== 'stream-start' && value.type !== 'error') {
              state.tracked.streamStarted();
            }
            if (value.type === 'response-metadata' && value.modelId) model = value.modelId;
            if (value.type === 'finish' && !ended) {
              observe(state, value.usage, model);
              // A provider that fails mid-stream sends an `error` part and then a `finish` whose
              // reason is `error`, usually without counts: the prompt was billed all the same,
              // so the call ends as an error and reports the estimate, not a release.
              end(value.finishReason?.unified === 'error' ? 'error' : 'success');
            }
            controller.enqueue(value);
          } catch (error) {
            end(endingOf(error, signal));
            controller.error(error);
          }
        },
        async cancel(reason) {
          end('aborted');
          await reader.cancel(reason);
        },
      });
      return { ...result, stream };
    },
  };
}

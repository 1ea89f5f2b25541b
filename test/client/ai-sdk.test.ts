// purserMiddleware with the AI SDK itself (ai@6: wrapLanguageModel, generateText, streamText,
// createProviderRegistry) and its own mock language model, against a fake Purser: the cap
// and a downgrade applied, usage reported from generate and from the stream's finish part,
// the hold released on an error, the estimated prompt reported on an abort or a cut
// mid-stream, and the hold released when the stream fails before the provider's first part.
import type { LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider';
import {
  aiSdkUsageAttributes,
  PurserClient,
  PurserDeniedError,
  purserMiddleware,
} from '@purser/adapters/client';
import {
  createProviderRegistry,
  generateText,
  simulateReadableStream,
  streamText,
  wrapLanguageModel,
} from 'ai';
import { MockLanguageModelV3, MockProviderV3 } from 'ai/test';
import {
  allowAll,
  type FakePurser,
  memoryLogger,
  postedEvents,
  restDecision,
  startFakePurser,
  waitFor,
} from './fake-purser';

const DECISION = '/v1/data/purser/authz/decision';

const usage = (input: number, cached: number, output: number): LanguageModelV3Usage => ({
  inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

const generated = (text: string, modelId = 'gpt-4o') => ({
  content: [{ type: 'text' as const, text }],
  finishReason: { unified: 'stop' as const, raw: 'stop' },
  usage: usage(1000, 400, 30),
  warnings: [],
  response: { id: 'r1', modelId, timestamp: new Date(0) },
});

const streamParts = (text: string[], finish = true): LanguageModelV3StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'r1', modelId: 'gpt-4o-2024-08-06' },
  { type: 'text-start', id: 't' },
  ...text.map((delta) => ({ type: 'text-delta' as const, id: 't', delta })),
  { type: 'text-end', id: 't' },
  ...(finish
    ? [
        {
          type: 'finish' as const,
          finishReason: { unified: 'stop' as const, raw: 'stop' },
          usage: usage(500, 0, 12),
        },
      ]
    : []),
];

describe('purserMiddleware (ai@6)', () => {
  let fake: FakePurser;
  let client: PurserClient;
  const logger = memoryLogger();

  beforeEach(async () => {
    logger.lines.length = 0;
    fake = await startFakePurser(allowAll);
    client = new PurserClient({
      url: fake.url,
      apiKey: 'k',
      failMode: 'closed',
      timeoutMs: 1_000,
      logger,
      batch: { lingerMs: 1 },
    });
  });
  afterEach(async () => {
    await client.close(200);
    await fake.close();
  });

  const wrap = (
    model: MockLanguageModelV3,
    extra: Partial<Parameters<typeof purserMiddleware>[0]> = {},
  ) =>
    wrapLanguageModel({
      model,
      middleware: purserMiddleware({
        client,
        provider: 'openai',
        attribution: { team: 'search' },
        ...extra,
      }),
    });

  it('should convert the AI SDK usage through the OTel GenAI converter (input includes the cache)', () => {
    expect(aiSdkUsageAttributes(usage(1000, 400, 30))).toEqual({
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 400,
    });
    const unknown = {
      inputTokens: {
        total: undefined,
        noCache: undefined,
        cacheRead: undefined,
        cacheWrite: undefined,
      },
      outputTokens: { total: undefined, text: undefined, reasoning: undefined },
    };
    expect(aiSdkUsageAttributes(unknown)).toBeUndefined();
  });

  it('should authorize, apply the cap and report generate usage with the decision id', async () => {
    const model = new MockLanguageModelV3({ modelId: 'gpt-4o', doGenerate: generated('hello') });
    const result = await generateText({
      model: wrap(model),
      prompt: 'Say hello',
      maxOutputTokens: 2000,
      maxRetries: 0,
    });
    expect(result.text).toBe('hello');
    expect(model.doGenerateCalls[0]!.maxOutputTokens).toBe(256);
    const ask = fake.to(DECISION)[0]!.body as { input: Record<string, unknown> };
    expect(ask.input).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o',
      max_output_tokens: 2000,
      attribution: { team: 'search' },
    });
    expect(ask.input.estimated_input_tokens).toBeGreaterThan(0);
    await client.flush(2_000);
    expect(postedEvents(fake)).toEqual([
      expect.objectContaining({
        decision_id: 'dec_1',
        provider: 'openai',
        model: 'gpt-4o',
        status: 'success',
        usage: { input_tokens: 600, cache_read_tokens: 400, output_tokens: 30 },
      }),
    ]);
  });

  it('should call the downgraded model through the registry the caller passes', async () => {
    fake.handler = (request) =>
      request.path === DECISION
        ? {
            body: restDecision({
              action: 'downgrade',
              model: 'gpt-4o-mini',
              max_output_tokens: 64,
            }),
          }
        : allowAll(request);
    const big = new MockLanguageModelV3({ modelId: 'gpt-4o', doGenerate: generated('big') });
    const mini = new MockLanguageModelV3({
      modelId: 'gpt-4o-mini',
      doGenerate: generated('small', 'gpt-4o-mini'),
    });
    const registry = createProviderRegistry({
      openai: new MockProviderV3({ languageModels: { 'gpt-4o': big, 'gpt-4o-mini': mini } }),
    });
    const result = await generateText({
      model: wrap(big, { registry }),
      prompt: 'x',
      maxRetries: 0,
    });
    expect(result.text).toBe('small');
    expect(big.doGenerateCalls).toHaveLength(0);
    expect(mini.doGenerateCalls[0]!.maxOutputTokens).toBe(64);
    await client.flush(2_000);
    expect(postedEvents(fake)[0]).toMatchObject({ model: 'gpt-4o-mini' });

    // Without a registry the downgrade is refused and the hold released, never ignored.
    await expect(
      generateText({ model: wrap(big), prompt: 'x', maxRetries: 0 }),
    ).rejects.toMatchObject({ code: 'DOWNGRADE_UNAVAILABLE' });
    expect(big.doGenerateCalls).toHaveLength(0);
    expect(fake.to('/graphql')).toHaveLength(1);
  });

  it('should throw PurserDeniedError from transformParams without calling the model', async () => {
    fake.handler = () => ({
      body: restDecision({
        allow: false,
        action: 'deny',
        reservation: null,
        reasons: [{ code: 'BUDGET_EXCEEDED', message: 'over', budget_id: 'b1' }],
      }),
    });
    const model = new MockLanguageModelV3({ modelId: 'gpt-4o', doGenerate: generated('never') });
    const error: unknown = await generateText({
      model: wrap(model),
      prompt: 'x',
      maxRetries: 0,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PurserDeniedError);
    expect(model.doGenerateCalls).toHaveLength(0);
  });

  it('should release the hold when generate throws', async () => {
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doGenerate: async () => {
        throw new Error('provider 500');
      },
    });
    await expect(generateText({ model: wrap(model), prompt: 'x', maxRetries: 0 })).rejects.toThrow(
      'provider 500',
    );
    expect(fake.to('/graphql').map((request) => request.body)).toEqual([
      expect.objectContaining({ variables: { id: 'dec_1' } }),
    ]);
  });

  it('should release the hold, not report zero, when generate answers no usage counts', async () => {
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doGenerate: {
        ...generated('hi'),
        usage: {
          inputTokens: {
            total: undefined,
            noCache: undefined,
            cacheRead: undefined,
            cacheWrite: undefined,
          },
          outputTokens: { total: undefined, text: undefined, reasoning: undefined },
        },
      },
    });
    await generateText({ model: wrap(model), prompt: 'x', maxRetries: 0 });
    await client.flush(500);
    expect(postedEvents(fake)).toHaveLength(0);
    expect(fake.to('/graphql')).toHaveLength(1);
  });

  it('should report the usage of the stream finish part', async () => {
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doStream: { stream: simulateReadableStream({ chunks: streamParts(['Hel', 'lo']) }) },
    });
    const result = streamText({
      model: wrap(model),
      prompt: 'x',
      maxRetries: 0,
      maxOutputTokens: 900,
    });
    expect(await result.text).toBe('Hello');
    expect(model.doStreamCalls[0]!.maxOutputTokens).toBe(256);
    await client.flush(2_000);
    expect(postedEvents(fake)).toEqual([
      expect.objectContaining({
        decision_id: 'dec_1',
        model: 'gpt-4o-2024-08-06',
        usage: { input_tokens: 500, output_tokens: 12 },
        status: 'success',
      }),
    ]);
    expect(fake.to('/graphql')).toHaveLength(0);
  });

  it('should report the estimated prompt, not release, when the stream is aborted mid-way', async () => {
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doStream: {
        stream: simulateReadableStream({
          chunks: streamParts(['a', 'b', 'c', 'd', 'e', 'f']),
          chunkDelayInMs: 30,
        }),
      },
    });
    const controller = new AbortController();
    const result = streamText({
      model: wrap(model, { estimateInputTokens: () => 321 }),
      prompt: 'x',
      maxRetries: 0,
      abortSignal: controller.signal,
    });
    const seen: string[] = [];
    try {
      for await (const delta of result.textStream) {
        seen.push(delta);
        if (seen.length === 2) controller.abort();
      }
    } catch {
      // an abort may surface as an error, depending on timing
    }
    expect(seen.length).toBeLessThan(6);
    expect(await client.flush(2_000)).toBe(true);
    await waitFor(() => postedEvents(fake).length === 1);
    expect(postedEvents(fake)).toEqual([
      expect.objectContaining({
        decision_id: 'dec_1',
        model: 'gpt-4o',
        status: 'error',
        error_type: 'aborted',
        usage: { input_tokens: 321 },
        tags: { usage_estimated: 'true' },
      }),
    ]);
    expect(fake.to('/graphql')).toHaveLength(0);
  });

  it('should report the estimated prompt when the stream ends without a finish part (cut)', async () => {
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doStream: { stream: simulateReadableStream({ chunks: streamParts(['a'], false) }) },
    });
    const result = streamText({
      model: wrap(model, { estimateInputTokens: () => 321, tags: { route: 'chat' } }),
      prompt: 'x',
      maxRetries: 0,
    });
    await result.consumeStream();
    await waitFor(() => postedEvents(fake).length === 1);
    expect(postedEvents(fake)).toEqual([
      expect.objectContaining({
        decision_id: 'dec_1',
        status: 'error',
        error_type: 'error',
        usage: { input_tokens: 321 },
        tags: { route: 'chat', usage_estimated: 'true' },
      }),
    ]);
    expect(fake.to('/graphql')).toHaveLength(0);
  });

  it('should report the estimated prompt when the provider ends the stream with an error finish', async () => {
    const parts: LanguageModelV3StreamPart[] = [
      ...streamParts(['a'], false),
      { type: 'error', error: new Error('upstream overloaded') },
      {
        type: 'finish',
        finishReason: { unified: 'error', raw: 'error' },
        usage: {
          inputTokens: {
            total: undefined,
            noCache: undefined,
            cacheRead: undefined,
            cacheWrite: undefined,
          },
          outputTokens: { total: undefined, text: undefined, reasoning: undefined },
        },
      },
    ];
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doStream: { stream: simulateReadableStream({ chunks: parts }) },
    });
    const result = streamText({
      model: wrap(model, { estimateInputTokens: () => 321 }),
      prompt: 'x',
      maxRetries: 0,
      onError: () => undefined,
    });
    await result.consumeStream();
    await waitFor(() => postedEvents(fake).length === 1);
    expect(postedEvents(fake)).toEqual([
      expect.objectContaining({
        decision_id: 'dec_1',
        status: 'error',
        usage: { input_tokens: 321 },
        tags: { usage_estimated: 'true' },
      }),
    ]);
    expect(fake.to('/graphql')).toHaveLength(0);
  });

  it('should only release the hold when the stream fails before the provider answers a part', async () => {
    let pulls = 0;
    const model = new MockLanguageModelV3({
      modelId: 'gpt-4o',
      doStream: {
        // The wrapper's own stream-start, then the connection fails.
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          pull(controller) {
            pulls += 1;
            if (pulls === 1) controller.enqueue({ type: 'stream-start', warnings: [] });
            else controller.error(new Error('connection reset'));
          },
        }),
      },
    });
    const errors: unknown[] = [];
    const result = streamText({
      model: wrap(model, { estimateInputTokens: () => 321 }),
      prompt: 'x',
      maxRetries: 0,
      onError: () => {},
    });
    await result.consumeStream({ onError: (error) => void errors.push(error) });
    await waitFor(() => fake.to('/graphql').length === 1);
    expect(fake.to('/graphql')[0]!.body).toMatchObject({ variables: { id: 'dec_1' } });
    expect(errors).toEqual([expect.objectContaining({ message: 'connection reset' })]);
    await client.flush(500);
    expect(postedEvents(fake)).toHaveLength(0);
  });
});

// PurserClient against a fake Purser (node:http on 127.0.0.1): authorize's answers (allow,
// downgrade, deny), the fail modes when Purser cannot be reached, and track's endings
// (success, thrown error, abort, cut stream).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PurserClient, PurserClientError, PurserDeniedError } from '@purser/adapters/client';
import { allowAll, fakePurserPerTest, postedEvents, restDecision, waitFor } from './fake-purser';

const DECISION = '/v1/data/purser/authz/decision';

const request = {
  provider: 'openai',
  model: 'gpt-4o',
  attribution: { team: 'search', feature: 'autocomplete' },
  estimatedInputTokens: 1200,
  maxOutputTokens: 512,
};

/** An OpenAI chat completion with prompt 1,000 (200 cached) and 50 completion tokens. */
const completion = (model: string) => ({
  id: 'chatcmpl-1',
  model,
  choices: [{ message: { role: 'assistant', content: 'hi' } }],
  usage: {
    prompt_tokens: 1000,
    completion_tokens: 50,
    prompt_tokens_details: { cached_tokens: 200 },
  },
});

/** A fake's handler denying every decision: the team is over budget b1 (`extra`: more fields). */
const overBudget =
  (extra: Record<string, unknown> = {}) =>
  () => ({
    body: restDecision({
      allow: false,
      action: 'deny',
      reservation: null,
      reasons: [{ code: 'BUDGET_EXCEEDED', message: 'team over budget', budget_id: 'b1' }],
      ...extra,
    }),
  });

describe('PurserClient', () => {
  const rig = fakePurserPerTest({
    apiKey: 'secret-key',
    batch: { lingerMs: 5 },
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
  });
  const { client, clients, logger } = rig;

  describe('authorize', () => {
    it('should send the OPA input with the key and answer the decision in camelCase', async () => {
      const decision = await client().authorize(request);
      expect(rig.fake.to(DECISION)[0]).toEqual({
        method: 'POST',
        path: DECISION,
        authorization: 'Bearer secret-key',
        body: {
          input: {
            provider: 'openai',
            model: 'gpt-4o',
            attribution: { team: 'search', feature: 'autocomplete' },
            estimated_input_tokens: 1200,
            max_output_tokens: 512,
          },
        },
      });
      expect(decision).toMatchObject({
        decisionId: 'dec_1',
        allow: true,
        action: 'allow',
        model: 'gpt-4o',
        maxOutputTokens: 256,
        reservation: { id: 'r1', amount: '0.01', currency: 'USD' },
        budgets: [{ id: 'b1', remaining: '8.5', resetsAt: null }],
        failOpen: false,
      });
    });

    it('should answer a deny as a decision, and name a bad request before sending it', async () => {
      rig.fake.handler = overBudget();
      const decision = await client().authorize(request);
      expect(decision).toMatchObject({ allow: false, action: 'deny' });
      await expect(
        client().authorize({ ...request, estimatedInputTokens: -1 }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('estimatedInputTokens'),
      });
      expect(rig.fake.to(DECISION)).toHaveLength(1);
    });

    it('should refuse a 401 as REJECTED even when failing open', async () => {
      rig.fake.handler = () => ({
        status: 401,
        body: { code: 'UNAUTHENTICATED', message: 'bad key' },
      });
      await expect(client({ failMode: 'open' }).authorize(request)).rejects.toMatchObject({
        code: 'REJECTED',
        status: 401,
        message: expect.stringContaining('bad key'),
      });
    });
  });

  describe('track', () => {
    it('should call with the decided model and cap, and report the converted usage with the decision id', async () => {
      const purser = client();
      const seen: unknown[] = [];
      const answer = await purser.track(request, async (context) => {
        seen.push({ model: context.model, cap: context.maxOutputTokens, id: context.decisionId });
        return completion(context.model);
      });
      expect(answer.id).toBe('chatcmpl-1');
      expect(seen).toEqual([{ model: 'gpt-4o', cap: 256, id: 'dec_1' }]);
      expect(await purser.flush(2_000)).toBe(true);
      const [event] = postedEvents(rig.fake);
      expect(event).toMatchObject({
        source: 'purser-client',
        provider: 'openai',
        model: 'gpt-4o',
        decision_id: 'dec_1',
        status: 'success',
        attribution: { team: 'search', feature: 'autocomplete' },
        // prompt 1,000 includes the 200 cached: 800 at the input rate.
        usage: { input_tokens: 800, cache_read_tokens: 200, output_tokens: 50 },
      });
      expect(typeof event!.id).toBe('string');
      expect(rig.fake.to('/graphql')).toHaveLength(0);
    });

    it('should call the downgraded model with the lowered cap', async () => {
      rig.fake.handler = (received) =>
        received.path === DECISION
          ? {
              body: restDecision({
                action: 'downgrade',
                model: 'gpt-4o-mini',
                max_output_tokens: 128,
                reasons: [{ code: 'DOWNGRADED', message: 'cheaper model', budget_id: null }],
              }),
            }
          : allowAll(received);
      const purser = client();
      const models: string[] = [];
      await purser.track(request, async ({ model, maxOutputTokens }) => {
        models.push(`${model}/${maxOutputTokens}`);
        return completion(model);
      });
      await purser.flush(2_000);
      expect(models).toEqual(['gpt-4o-mini/128']);
      expect(postedEvents(rig.fake)[0]).toMatchObject({ model: 'gpt-4o-mini' });
    });

    it('should throw PurserDeniedError with the reasons and never make the call', async () => {
      rig.fake.handler = overBudget({ retry_after_seconds: 30 });
      const call = jest.fn();
      const error: unknown = await client()
        .track(request, call)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PurserDeniedError);
      expect(error).toBeInstanceOf(PurserClientError);
      expect(error).toMatchObject({
        code: 'DENIED',
        retryAfterSeconds: 30,
        reasons: [{ code: 'BUDGET_EXCEEDED', budgetId: 'b1' }],
        message: expect.stringContaining('BUDGET_EXCEEDED'),
      });
      expect(call).not.toHaveBeenCalled();
    });

    it('should release the hold and rethrow the call error as it was', async () => {
      const purser = client();
      const failure = new Error('provider exploded');
      await expect(
        purser.track(request, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(rig.fake.to('/graphql').map((received) => received.body)).toEqual([
        { query: expect.stringContaining('releaseReservation'), variables: { id: 'dec_1' } },
      ]);
      await purser.flush(500);
      expect(postedEvents(rig.fake)).toHaveLength(0);
    });

    it('should release the hold when the caller aborts the call', async () => {
      const purser = client();
      const controller = new AbortController();
      const pending = purser.track(
        request,
        ({ signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
        { signal: controller.signal },
      );
      await waitFor(() => rig.fake.to(DECISION).length === 1);
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(rig.fake.to('/graphql')).toHaveLength(1);
    });

    it('should hand a call without a caller signal one signal that is never aborted', async () => {
      const signals: AbortSignal[] = [];
      await client().track(request, async (context) => {
        signals.push(context.signal, context.signal, { ...context }.signal);
        return completion('gpt-4o');
      });
      expect(signals[0]).toBeInstanceOf(AbortSignal);
      expect(signals[0]!.aborted).toBe(false);
      expect(new Set(signals).size).toBe(1);
    });

    it('should let a call put its own signal on the context, as on any field', async () => {
      const own = AbortSignal.timeout(60_000);
      let seen: AbortSignal | undefined;
      await client().track(request, async (context) => {
        context.signal = own;
        seen = context.signal;
        return completion('gpt-4o');
      });
      expect(seen).toBe(own);
    });

    it('should release the hold of a decision that arrives after the caller aborted', async () => {
      rig.fake.handler = (received) =>
        received.path === DECISION ? { body: restDecision(), delayMs: 150 } : allowAll(received);
      const purser = client();
      const controller = new AbortController();
      const call = jest.fn();
      const pending = purser.track(request, call, { signal: controller.signal });
      await waitFor(() => rig.fake.to(DECISION).length === 1);
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(call).not.toHaveBeenCalled();
      expect(rig.fake.to('/graphql').map((received) => received.body)).toEqual([
        expect.objectContaining({ variables: { id: 'dec_1' } }),
      ]);
      // Already aborted: Purser is not even asked.
      await expect(
        purser.track(request, call, { signal: controller.signal }),
      ).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(rig.fake.to(DECISION)).toHaveLength(1);
    });

    it('should not release a hold it does not have (no budget applied)', async () => {
      rig.fake.handler = (received) =>
        received.path === DECISION
          ? { body: restDecision({ reservation: null }) }
          : allowAll(received);
      await expect(
        client().track(request, async () => {
          throw new Error('x');
        }),
      ).rejects.toThrow('x');
      expect(rig.fake.to('/graphql')).toHaveLength(0);
    });

    it('should release and warn when the response carries no usage', async () => {
      const purser = client();
      await purser.track(request, async () => ({ model: 'gpt-4o', choices: [] }));
      expect(rig.fake.to('/graphql')).toHaveLength(1);
      expect(logger.lines.map((line) => line.message)).toContainEqual(
        expect.stringContaining('no usage'),
      );
    });

    it('should report what a cut stream consumed (observeUsage) instead of releasing', async () => {
      const purser = client();
      await expect(
        purser.track(
          { ...request, provider: 'anthropic', model: 'claude-sonnet-4-5' },
          async ({ observeUsage }) => {
            observeUsage({ input_tokens: 300, cache_read_input_tokens: 700, output_tokens: 1 });
            observeUsage({ output_tokens: 40 });
            throw new Error('connection reset mid-stream');
          },
        ),
      ).rejects.toThrow('connection reset');
      await purser.flush(2_000);
      expect(rig.fake.to('/graphql')).toHaveLength(0);
      expect(postedEvents(rig.fake)).toEqual([
        expect.objectContaining({
          provider: 'anthropic',
          status: 'error',
          error_type: 'error',
          decision_id: 'dec_1',
          usage: { input_tokens: 300, cache_read_tokens: 700, output_tokens: 40 },
        }),
      ]);
    });
  });

  describe('trackStream', () => {
    async function* chunks(parts: unknown[], failAfter?: number) {
      for (const [index, part] of parts.entries()) {
        if (index === failAfter) throw new Error('stream cut');
        yield part;
      }
    }
    const openaiChunks = [
      { choices: [{ delta: { content: 'a' } }] },
      { choices: [{ delta: { content: 'b' } }] },
      { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } },
    ];

    it('should pass every chunk through and report the final usage chunk', async () => {
      const purser = client();
      const seen: unknown[] = [];
      for await (const chunk of purser.trackStream(request, () => chunks(openaiChunks))) {
        seen.push(chunk);
      }
      expect(seen).toEqual(openaiChunks);
      await purser.flush(2_000);
      expect(postedEvents(rig.fake)).toEqual([
        expect.objectContaining({
          status: 'success',
          usage: { input_tokens: 10, output_tokens: 2 },
        }),
      ]);
    });

    it('should report the usage seen when the consumer stops early', async () => {
      const purser = client();
      const anthropic = [
        {
          type: 'message_start',
          message: { model: 'claude-x', usage: { input_tokens: 25, output_tokens: 1 } },
        },
        { type: 'content_block_delta', delta: { text: 'hi' } },
        { type: 'message_delta', usage: { output_tokens: 9 } },
      ];
      for await (const chunk of purser.trackStream({ ...request, provider: 'anthropic' }, () =>
        chunks(anthropic),
      )) {
        if ((chunk as { type: string }).type === 'content_block_delta') break;
      }
      await purser.flush(2_000);
      const [event] = postedEvents(rig.fake);
      expect(postedEvents(rig.fake)).toEqual([
        expect.objectContaining({
          model: 'claude-x',
          status: 'error',
          error_type: 'aborted',
          usage: { input_tokens: 25, output_tokens: 1 },
        }),
      ]);
      // The provider said the prompt's size: nothing is estimated.
      expect(event).not.toHaveProperty('tags');
      expect(rig.fake.to('/graphql')).toHaveLength(0);
    });

    it('should report the estimated prompt, not release, when an OpenAI stream is cut before its usage chunk', async () => {
      const purser = client();
      await expect(async () => {
        for await (const chunk of purser.trackStream(request, () => chunks(openaiChunks, 2), {
          tags: { route: 'chat' },
        })) {
          void chunk;
        }
      }).rejects.toThrow('stream cut');
      await purser.flush(2_000);
      expect(postedEvents(rig.fake)).toEqual([
        expect.objectContaining({
          decision_id: 'dec_1',
          model: 'gpt-4o',
          status: 'error',
          error_type: 'error',
          // The estimate the authorize request carried: OpenAI bills the prompt once it streams.
          usage: { input_tokens: 1200 },
          tags: { route: 'chat', usage_estimated: 'true' },
        }),
      ]);
      expect(rig.fake.to('/graphql')).toHaveLength(0);
    });

    it('should release, not report an empty event, when a stream with no input estimate is cut', async () => {
      const purser = client();
      await expect(async () => {
        for await (const chunk of purser.trackStream({ ...request, estimatedInputTokens: 0 }, () =>
          chunks(openaiChunks, 2),
        )) {
          void chunk;
        }
      }).rejects.toThrow('stream cut');
      await purser.flush(2_000);
      await waitFor(() => rig.fake.to('/graphql').length === 1);
      expect(postedEvents(rig.fake)).toEqual([]);
    });

    it('should report the estimated prompt and the output counted so far when the consumer stops early', async () => {
      const purser = client();
      let counted = 0;
      for await (const chunk of purser.trackStream(request, () => chunks(openaiChunks), {
        // The caller counts the output tokens of the deltas it has seen.
        usageOf: (part) => {
          const { usage, choices } = part as { usage?: unknown; choices: unknown[] };
          return usage ?? (choices.length > 0 ? { completion_tokens: ++counted } : undefined);
        },
      })) {
        if (counted === 2) break;
        void chunk;
      }
      await purser.flush(2_000);
      expect(postedEvents(rig.fake)).toEqual([
        expect.objectContaining({
          decision_id: 'dec_1',
          status: 'error',
          error_type: 'aborted',
          usage: { input_tokens: 1200, output_tokens: 2 },
          tags: { usage_estimated: 'true' },
        }),
      ]);
      expect(rig.fake.to('/graphql')).toHaveLength(0);
    });

    it('should only release when the stream fails before its first chunk, and rethrow', async () => {
      const purser = client();
      await expect(async () => {
        for await (const chunk of purser.trackStream(request, () => chunks(openaiChunks, 0))) {
          void chunk;
        }
      }).rejects.toThrow('stream cut');
      await expect(async () => {
        for await (const chunk of purser.trackStream(request, () => {
          throw new Error('connection refused');
        })) {
          void chunk;
        }
      }).rejects.toThrow('connection refused');
      expect(rig.fake.to('/graphql')).toHaveLength(2);
      await purser.flush(500);
      expect(postedEvents(rig.fake)).toHaveLength(0);
    });
  });

  describe('when Purser cannot be reached', () => {
    const closedPort = async () => {
      const server = http.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return `http://127.0.0.1:${port}`;
    };

    it.each([
      ['a 503', () => ({ status: 503, body: { code: 'UNAVAILABLE', message: 'db down' } })],
      ['a 429', () => ({ status: 429, body: {} })],
      ['a timeout', () => ({ hang: true })],
    ])('should refuse with UNAVAILABLE on %s when failing closed', async (_name, answer) => {
      rig.fake.handler = answer;
      const call = jest.fn();
      const started = Date.now();
      await expect(client({ timeoutMs: 200 }).track(request, call)).rejects.toMatchObject({
        name: 'PurserClientError',
        code: 'UNAVAILABLE',
        isRetryable: true,
      });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(call).not.toHaveBeenCalled();
    });

    it('should release the hold of a decision that arrives after the timeout', async () => {
      rig.fake.handler = (received) =>
        received.path === DECISION ? { body: restDecision(), delayMs: 300 } : allowAll(received);
      const purser = client({ timeoutMs: 100 });
      await expect(purser.track(request, jest.fn())).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      expect(rig.fake.to('/graphql')).toHaveLength(0);
      await waitFor(() => rig.fake.to('/graphql').length === 1);
      expect(rig.fake.to('/graphql')[0]!.body).toMatchObject({ variables: { id: 'dec_1' } });
      expect(purser.stats).toMatchObject({ lateReleases: 1, releaseFailures: 0 });

      // A late answer without a hold (no budget applied) asks for nothing.
      rig.fake.handler = (received) =>
        received.path === DECISION
          ? { body: restDecision({ reservation: null }), delayMs: 300 }
          : allowAll(received);
      await expect(purser.authorize(request)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(rig.fake.to('/graphql')).toHaveLength(1);
    });

    it('should refuse with UNAVAILABLE on a refused connection when failing closed', async () => {
      const purser = new PurserClient({
        url: await closedPort(),
        apiKey: 'k',
        failMode: 'closed',
        logger,
      });
      clients.push(purser);
      await expect(purser.authorize(request)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });

    it('should let the call through when failing open, and report its usage once Purser is back', async () => {
      let up = false;
      rig.fake.handler = (received) =>
        up ? allowAll(received) : { status: 503, body: { message: 'down' } };
      const purser = client({ failMode: 'open' });
      const models: string[] = [];
      await purser.track(request, async (context) => {
        models.push(context.model);
        expect(context.decision).toMatchObject({ failOpen: true, decisionId: '' });
        return completion(context.model);
      });
      expect(models).toEqual(['gpt-4o']);
      expect(purser.stats.failOpen).toBe(1);
      expect(logger.lines.map((line) => line.message)).toContainEqual(
        expect.stringContaining('fail open'),
      );
      await waitFor(() => rig.fake.to('/v1/usage').length >= 2);
      expect(postedEvents(rig.fake)).toHaveLength(rig.fake.to('/v1/usage').length);
      up = true;
      expect(await purser.flush(3_000)).toBe(true);
      const delivered = rig.fake.to('/v1/usage').at(-1)!.body as Record<string, unknown>[];
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).not.toHaveProperty('decision_id');
      expect(delivered[0]).toMatchObject({ usage: { input_tokens: 800, cache_read_tokens: 200 } });
      // Every attempt carried the same id: Purser stores it once.
      expect(new Set(postedEvents(rig.fake).map((event) => event.id)).size).toBe(1);
      expect(purser.stats).toMatchObject({ sent: 1, buffered: 0 });
      expect(purser.stats.retries).toBeGreaterThanOrEqual(1);
    });

    it('should fail open on a refused connection and on a timeout', async () => {
      const purser = new PurserClient({
        url: await closedPort(),
        apiKey: 'k',
        failMode: 'open',
        logger,
      });
      clients.push(purser);
      await expect(purser.authorize(request)).resolves.toMatchObject({
        failOpen: true,
        allow: true,
      });
      rig.fake.handler = () => ({ hang: true });
      await expect(
        client({ failMode: 'open', timeoutMs: 100 }).authorize(request),
      ).resolves.toMatchObject({
        failOpen: true,
        model: 'gpt-4o',
        maxOutputTokens: 512,
      });
    });
  });
});

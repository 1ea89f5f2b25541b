// `track` end to end: a real Purser (Postgres, NATS), a local OpenAI-shaped provider, a
// BLOCK budget and 50 concurrent calls. The budget's spend must equal the priced usage to the
// last decimal, nothing may stay reserved once every call settled, and an aborted call's hold
// must be released — once with usage over HTTP, once over JetStream.
import http from 'node:http';
import { PurserClient } from '@purser/adapters/client';
import { Money } from '@purser/pricing';
import type { NatsConnection } from '@nats-io/transport-node';
import { budgetState, createBudget, priceModel, unique } from '../support/decisions';
import { connectNats, createIngestConsumer, deleteIngestConsumer } from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';
import { chatCompletion, type MockProvider, startMockProvider } from './mock-provider';

const MODEL = 'client-e2e-model';
/** $10 per 1M input tokens, $30 per 1M output tokens. */
const PRICES = { inputTokens: '10', outputTokens: '30' };
const CALLS = 50;

const priced = (input: number, output: number) =>
  new Money(input).times(10).plus(new Money(output).times(30)).dividedBy(1_000_000);

describe('track end to end', () => {
  let service: RunningPurser;
  let provider: MockProvider;
  let gateway: string;
  let nats: NatsConnection | null = null;
  const agent = new http.Agent({ keepAlive: true });
  const consumer = unique('client-e2e');

  beforeAll(async () => {
    if (process.env.NATS_URL) {
      nats = await connectNats();
      // A consumer of new messages only: the shared stream keeps other suites' events.
      await createIngestConsumer(nats, consumer);
    }
    service = await startPurser({
      nats: Boolean(nats),
      env: { INGEST_CONSUMER_NAME: consumer },
    });
    gateway = await service.keyFor('gateway');
    await priceModel(service, MODEL, PRICES);
    provider = await startMockProvider();
  });
  afterAll(async () => {
    agent.destroy();
    await provider.close();
    await service.stop();
    if (nats) {
      await deleteIngestConsumer(nats, consumer);
      await nats.close();
    }
  });

  async function run(transport: 'http' | 'nats') {
    const team = unique('team');
    const budget = await createBudget(service, {
      name: `client ${transport}`,
      scope: { team },
      period: 'TOTAL',
      limit: '50',
      mode: 'BLOCK',
    });
    const warnings: string[] = [];
    const client = new PurserClient({
      url: service.url,
      apiKey: gateway,
      failMode: 'closed',
      timeoutMs: 10_000,
      logger: { warn: (message) => warnings.push(message) },
      ...(transport === 'nats' && nats ? { nats } : {}),
    });
    const request = {
      provider: 'openai',
      model: MODEL,
      attribution: { team, feature: 'e2e' },
      estimatedInputTokens: 2_000,
      maxOutputTokens: 300,
    };
    const consumed: { input: number; output: number }[] = [];
    const calls = Array.from({ length: CALLS }, (_, index) => {
      // Distinct, known counts: 1,000…1,049 prompt tokens and 7 + index × 5 completion tokens.
      const usage = { input: 1_000 + index, output: 7 + index * 5 };
      consumed.push(usage);
      return client.track(request, ({ model, maxOutputTokens, signal }) =>
        chatCompletion(provider, agent, {
          model,
          maxTokens: maxOutputTokens,
          promptTokens: usage.input,
          completionTokens: usage.output,
          signal,
        }),
      );
    });
    const controller = new AbortController();
    const aborted = client.track(
      request,
      ({ model, maxOutputTokens, signal }) =>
        chatCompletion(provider, agent, {
          model,
          maxTokens: maxOutputTokens,
          promptTokens: 999_999,
          completionTokens: 999_999,
          delayMs: 5_000,
          signal,
        }),
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    const answers = await Promise.all(calls);
    expect(answers.every((answer) => answer.model === MODEL)).toBe(true);
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(await client.flush(20_000)).toBe(true);

    const expected = consumed.reduce(
      (sum, usage) => sum.plus(priced(usage.input, usage.output)),
      new Money(0),
    );
    // HTTP ingest settles before it answers; JetStream's consumer settles a moment later.
    const deadline = Date.now() + 20_000;
    let state = await budgetState(service, budget.id);
    while (!new Money(state.spent).equals(expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await budgetState(service, budget.id);
    }
    expect({ spent: state.spent, reserved: state.reserved }).toEqual({
      spent: expected.toFixed(),
      reserved: '0',
    });
    expect(new Money(state.remaining).equals(new Money(50).minus(expected))).toBe(true);
    expect(client.stats).toMatchObject({
      buffered: 0,
      dropped: 0,
      rejected: 0,
      releaseFailures: 0,
    });
    expect(warnings).toEqual([]);
    await client.close();
  }

  it('should spend exactly the priced usage of 50 concurrent calls and release an aborted hold (HTTP)', async () => {
    await run('http');
  });

  it('should do the same with usage published to JetStream', async () => {
    if (!nats) throw new Error('NATS_URL is not set: the JetStream path cannot be tested');
    await run('nats');
  });
});

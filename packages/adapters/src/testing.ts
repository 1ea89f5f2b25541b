/**
 * Test helpers for other packages' tests, benchmarks and integration tests
 * (`@purser/adapters/testing`). Nothing here is used in production code.
 */
import type { UsageEventWireInput } from './contracts/usage-event';

/**
 * A valid wire usage event (an OpenAI chat call with a prompt-cache hit), with `overrides`
 * applied shallowly. Pass `undefined` for a key to remove it.
 */
export function makeUsageEvent(
  overrides: Partial<Record<keyof UsageEventWireInput | string, unknown>> = {},
): UsageEventWireInput {
  const event: Record<string, unknown> = {
    id: 'evt_test_0001',
    source: 'test',
    timestamp: '2026-11-23T09:30:00.000Z',
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    operation: 'chat',
    usage: { input_tokens: 93, cache_read_tokens: 1024, output_tokens: 46 },
    attribution: {
      team: 'search',
      feature: 'autocomplete',
      environment: 'production',
      customer: 'acme',
    },
    tags: {},
    latency_ms: 640,
    status: 'success',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete event[key];
    else event[key] = value;
  }
  return event as UsageEventWireInput;
}

/**
 * The outcome fields of a fully populated wire event: an errored, retried, batched call with
 * a reported cost and a decision id. A fresh object each call (tests may change it).
 */
export function fullWireOutcome(): Record<string, unknown> {
  return {
    latency_ms: 812.5,
    status: 'error',
    error_type: 'rate_limited',
    retry_count: 2,
    cache_hit: false,
    reported_cost: { amount: '0.00125', currency: 'usd' },
    decision_id: 'dec_1',
    batch: true,
  };
}

/** Seeded PRNG (mulberry32): fast, 32-bit state, identical sequences on every platform. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelProfile {
  provider: string;
  /** Model id as the provider returns it. */
  model: string;
  weight: number;
  /** Median prompt size; actual sizes are log-normal-ish around it. */
  prompt: number;
  output: number;
  /** Share of calls that hit the prompt cache. */
  cacheShare: number;
  reasoning?: boolean;
}

/** Traffic mix: cheap models dominate call counts, as in most production fleets. */
const MODELS: readonly ModelProfile[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    weight: 26,
    prompt: 1200,
    output: 250,
    cacheShare: 0.35,
  },
  {
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    weight: 12,
    prompt: 2500,
    output: 400,
    cacheShare: 0.4,
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-2025-04-14',
    weight: 10,
    prompt: 6000,
    output: 600,
    cacheShare: 0.5,
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-mini-2025-04-14',
    weight: 8,
    prompt: 3000,
    output: 300,
    cacheShare: 0.45,
  },
  {
    provider: 'openai',
    model: 'o3-mini-2025-01-31',
    weight: 3,
    prompt: 2000,
    output: 1800,
    cacheShare: 0.3,
    reasoning: true,
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    weight: 14,
    prompt: 9000,
    output: 700,
    cacheShare: 0.6,
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5-20251001',
    weight: 12,
    prompt: 3000,
    output: 300,
    cacheShare: 0.5,
  },
  {
    provider: 'google',
    model: 'gemini-2.5-flash',
    weight: 10,
    prompt: 4000,
    output: 350,
    cacheShare: 0.3,
    reasoning: true,
  },
  {
    provider: 'google',
    model: 'gemini-2.5-pro',
    weight: 3,
    prompt: 20000,
    output: 900,
    cacheShare: 0.25,
    reasoning: true,
  },
  {
    provider: 'mistral',
    model: 'mistral-small-latest',
    weight: 2,
    prompt: 1500,
    output: 200,
    cacheShare: 0,
  },
];

const TEAMS = {
  search: ['autocomplete', 'query-rewrite', 'answers'],
  support: ['ticket-triage', 'reply-draft'],
  growth: ['email-personalization', 'ad-copy'],
  platform: ['code-review', 'incident-summary'],
  data: ['sql-assistant', 'report-narration'],
} as const;
const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];
const ENVIRONMENTS = ['production', 'production', 'production', 'staging', 'development'];

/** Options of {@link realisticUsageEvents}. */
export interface RealisticUsageEventsOptions {
  /** Timestamp of the first event (default 2026-11-01T00:00:00Z). */
  start?: Date;
  /** Milliseconds between consecutive events (default 1000). */
  spacingMs?: number;
  /** Share of events sent as raw `provider_usage` instead of canonical `usage` (default 0.2). */
  providerUsageShare?: number;
  /** `source` of every event (default `bench`). */
  source?: string;
}

/**
 * A deterministic stream of realistic wire usage events: the same `(count, seed, options)`
 * yields the same events, so benchmarks and integration tests can assert exact totals.
 * Mixes providers and models, attribution (teams, features, customers, environments), cache
 * reads and writes, reasoning, web searches, errors, retries and gateway cache hits; some
 * events carry the provider's raw usage instead of canonical usage.
 */
export function* realisticUsageEvents(
  count: number,
  seed: number,
  options: RealisticUsageEventsOptions = {},
): Generator<UsageEventWireInput> {
  const random = createRandom(seed);
  const start = (options.start ?? new Date('2026-11-01T00:00:00Z')).getTime();
  const spacingMs = options.spacingMs ?? 1000;
  const providerUsageShare = options.providerUsageShare ?? 0.2;
  const source = options.source ?? 'bench';
  const totalWeight = MODELS.reduce((sum, model) => sum + model.weight, 0);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Roughly log-normal: most calls near the median, a long tail of big prompts.
  const around = (median: number): number =>
    Math.max(1, Math.round(median * Math.exp((random() + random() + random() - 1.5) * 1.4)));
  const teamNames = Object.keys(TEAMS) as (keyof typeof TEAMS)[];

  for (let index = 0; index < count; index += 1) {
    let roll = random() * totalWeight;
    let profile = MODELS[MODELS.length - 1]!;
    for (const candidate of MODELS) {
      roll -= candidate.weight;
      if (roll < 0) {
        profile = candidate;
        break;
      }
    }
    const team = pick(teamNames);
    const failed = random() < 0.02;
    const gatewayCacheHit = !failed && random() < 0.03;
    const prompt = around(profile.prompt);
    const cached = random() < profile.cacheShare ? Math.floor(prompt * (0.5 + random() * 0.45)) : 0;
    const anthropic = profile.provider === 'anthropic';
    const cacheWrite = anthropic && cached === 0 && random() < 0.25 ? Math.floor(prompt * 0.6) : 0;
    const cacheWrite1h = cacheWrite > 0 && random() < 0.3 ? Math.floor(cacheWrite / 2) : 0;
    const output = failed ? 0 : around(profile.output);
    const reasoning =
      profile.reasoning && !failed ? Math.floor(output * (0.3 + random() * 0.5)) : 0;
    const webSearches = anthropic && random() < 0.05 ? 1 + Math.floor(random() * 3) : 0;

    // Zero buckets are left out, as converters leave them out.
    const usage: Record<string, unknown> = {};
    if (prompt - cached - cacheWrite > 0) usage.input_tokens = prompt - cached - cacheWrite;
    if (output > 0) usage.output_tokens = output;
    if (cached > 0) usage.cache_read_tokens = cached;
    if (cacheWrite - cacheWrite1h > 0) usage.cache_write_tokens = cacheWrite - cacheWrite1h;
    if (cacheWrite1h > 0) usage.cache_write_1h_tokens = cacheWrite1h;
    if (reasoning > 0) usage.reasoning_tokens = reasoning;
    if (webSearches > 0) usage.units = { web_search_requests: webSearches };

    const event: Record<string, unknown> = {
      id: `evt_${seed}_${index}`,
      source,
      timestamp: new Date(start + index * spacingMs).toISOString(),
      provider: profile.provider,
      model: profile.model,
      operation: 'chat',
      attribution: {
        team,
        feature: pick(TEAMS[team]),
        environment: pick(ENVIRONMENTS),
        customer: pick(CUSTOMERS),
        user: `user_${Math.floor(random() * 500)}`,
      },
      tags: { region: pick(['us-east-1', 'eu-west-1']) },
      latency_ms: Math.round(200 + output * (5 + random() * 20)),
      status: failed ? 'error' : 'success',
    };
    if (failed) event.error_type = pick(['rate_limited', 'timeout', 'server_error']);
    if (random() < 0.05) event.retry_count = 1 + Math.floor(random() * 2);
    if (gatewayCacheHit) event.cache_hit = true;

    const useRaw = random() < providerUsageShare;
    const raw = useRaw ? toProviderUsage(profile, usage) : undefined;
    if (raw === undefined) event.usage = usage;
    else event.provider_usage = raw;
    yield event as UsageEventWireInput;
  }
}

/** The same usage in the provider's own shape, so that converters are exercised end to end. */
function toProviderUsage(
  profile: ModelProfile,
  usage: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const n = (key: string): number => (usage[key] as number | undefined) ?? 0;
  switch (profile.provider) {
    case 'openai':
      return {
        prompt_tokens: n('input_tokens') + n('cache_read_tokens'),
        completion_tokens: n('output_tokens'),
        total_tokens: n('input_tokens') + n('cache_read_tokens') + n('output_tokens'),
        prompt_tokens_details: { cached_tokens: n('cache_read_tokens'), audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: n('reasoning_tokens'), audio_tokens: 0 },
      };
    case 'anthropic':
      return {
        input_tokens: n('input_tokens'),
        cache_read_input_tokens: n('cache_read_tokens'),
        cache_creation_input_tokens: n('cache_write_tokens') + n('cache_write_1h_tokens'),
        cache_creation: {
          ephemeral_5m_input_tokens: n('cache_write_tokens'),
          ephemeral_1h_input_tokens: n('cache_write_1h_tokens'),
        },
        output_tokens: n('output_tokens'),
        service_tier: 'standard',
        server_tool_use: {
          web_search_requests:
            (usage.units as Record<string, number> | undefined)?.web_search_requests ?? 0,
        },
      };
    case 'google':
      return {
        promptTokenCount: n('input_tokens') + n('cache_read_tokens'),
        cachedContentTokenCount: n('cache_read_tokens'),
        candidatesTokenCount: n('output_tokens') - n('reasoning_tokens'),
        thoughtsTokenCount: n('reasoning_tokens'),
        totalTokenCount: n('input_tokens') + n('cache_read_tokens') + n('output_tokens'),
      };
    default:
      return undefined;
  }
}

export {
  createMockBillingAdapter,
  makeProviderCostLine,
  type MockBillingAdapter,
  type MockBillingAdapterOptions,
} from './billing/testing';

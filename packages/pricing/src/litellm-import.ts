import { stripRoutingPrefixes } from './catalog';
import { formatDecimal, Money, TOKENS_PER_QUOTE } from './decimal';
import {
  type PriceCard,
  priceCardSchema,
  type PriceSource,
  type PriceTier,
  type TokenPrices,
} from './price-card';
import { canonicalProvider } from './providers';
import type { BilledTokenKey } from './usage';

/** Options of {@link importLiteLLM}. */
export interface LiteLLMImportOptions {
  /** Recorded on every card. */
  source: PriceSource;
  /** RFC 3339 instant from which the imported prices apply. */
  effective_from: string;
}

/** Result of {@link importLiteLLM}: nothing is dropped without a line in `skipped` or `errors`. */
export interface LiteLLMImportResult {
  /** Valid cards, ordered by provider then model. */
  cards: PriceCard[];
  /** Entries deliberately not imported, with the reason. */
  skipped: { key: string; reason: string }[];
  /** Entries that look like prices but are malformed (negative, non-numeric…). */
  errors: { key: string; message: string }[];
}

/** LiteLLM's per-token price fields and the usage key each one prices. */
const TOKEN_PRICE_FIELDS: Readonly<Record<string, BilledTokenKey>> = {
  input_cost_per_token: 'input_tokens',
  output_cost_per_token: 'output_tokens',
  cache_read_input_token_cost: 'cache_read_tokens',
  cache_creation_input_token_cost: 'cache_write_tokens',
  cache_creation_input_token_cost_above_1hr: 'cache_write_1h_tokens',
};

/** `<field>_above_<N>k_tokens`: a long-context tier of N × 1000 prompt tokens. */
const TIER_FIELD = /^(.+)_above_(\d+)k_tokens$/;
/** `<field>_batches`: the Batch API price. */
const BATCH_FIELD = /^(.+)_batches$/;

/** Modes whose price is per token (or for which per-token prices are the whole price). */
const TOKEN_PRICED_MODES = new Set(['chat', 'completion', 'responses', 'embedding']);

/**
 * Search context size whose per-query price becomes the `web_search_requests` unit price.
 * `medium` is the default `search_context_size` of OpenAI's web search tool, so it is what an
 * unconfigured call pays; providers with a flat per-search price list the same figure for
 * every size.
 */
const SEARCH_CONTEXT_SIZE = 'search_context_size_medium';

/** Unit name for web searches in `usage.units`. */
export const WEB_SEARCH_UNIT = 'web_search_requests';

/** Bedrock cross-region inference profile prefixes (`us.anthropic.…`). */
const BEDROCK_REGION_PREFIX = /^(?:us|eu|apac|global|us-gov|jp|au|ca)\.(?=[a-z0-9-]+\.)/;

class EntryError extends Error {}

/** LiteLLM per-token number → exact decimal string per 1M tokens. */
function perMillion(field: string, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EntryError(`${field} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  // String(n) is the shortest round-trip form of the double ("1.25e-7"), which is the figure
  // the file's author wrote; Decimal reads it exactly, so no binary rounding leaks in.
  return formatDecimal(new Money(String(value)).times(TOKENS_PER_QUOTE));
}

function perUnit(field: string, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EntryError(`${field} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return formatDecimal(new Money(String(value)));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cardId(provider: string, model: string, effectiveFrom: string): string {
  const instant = new Date(effectiveFrom).toISOString();
  const stamp = instant.endsWith('T00:00:00.000Z') ? instant.slice(0, 10) : instant;
  return `${provider}/${model}@${stamp}`;
}

/** The price content of a card, for "did the price change?" comparisons. */
export function priceFingerprint(card: PriceCard): string {
  const sorted = (record: Record<string, string | undefined> | undefined) =>
    record === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(record)
            .filter(([, value]) => value !== undefined)
            .sort(([left], [right]) => left.localeCompare(right)),
        );
  return JSON.stringify({
    currency: card.currency,
    prices: sorted(card.prices),
    tiers: [...card.tiers]
      .sort((left, right) => left.above_prompt_tokens - right.above_prompt_tokens)
      .map((tier) => ({ above: tier.above_prompt_tokens, prices: sorted(tier.prices) })),
    batch_prices: sorted(card.batch_prices),
    batch_discount: card.batch_discount,
    unit_prices: sorted(card.unit_prices),
  });
}

interface Draft {
  key: string;
  card: PriceCard;
}

/** Converts one entry, or says why it is skipped (string), or throws an EntryError. */
function convertEntry(
  key: string,
  entry: Record<string, unknown>,
  options: LiteLLMImportOptions,
): PriceCard | string {
  const mode = entry.mode;
  if (mode !== undefined && (typeof mode !== 'string' || !TOKEN_PRICED_MODES.has(mode))) {
    return `mode ${JSON.stringify(mode)} is not priced by text tokens`;
  }
  if (typeof entry.litellm_provider !== 'string' || entry.litellm_provider === '') {
    throw new EntryError('litellm_provider is missing');
  }

  const prices: TokenPrices = {};
  const batchPrices: TokenPrices = {};
  const tiers = new Map<number, TokenPrices>();
  const notes: string[] = [];
  for (const [field, value] of Object.entries(entry)) {
    const base = TOKEN_PRICE_FIELDS[field];
    if (base !== undefined) {
      prices[base] = perMillion(field, value);
      continue;
    }
    const tier = TIER_FIELD.exec(field);
    const tierKey = tier === null ? undefined : TOKEN_PRICE_FIELDS[tier[1]!];
    if (tier !== null && tierKey !== undefined) {
      const threshold = Number(tier[2]) * 1000;
      const tierPrices = tiers.get(threshold) ?? {};
      tierPrices[tierKey] = perMillion(field, value);
      tiers.set(threshold, tierPrices);
      continue;
    }
    const batch = BATCH_FIELD.exec(field);
    const batchKey = batch === null ? undefined : TOKEN_PRICE_FIELDS[batch[1]!];
    if (batch !== null && batchKey !== undefined) {
      batchPrices[batchKey] = perMillion(field, value);
    }
  }
  // DeepSeek's list calls cache reads "cache hits".
  if (
    prices.cache_read_tokens === undefined &&
    entry.input_cost_per_token_cache_hit !== undefined
  ) {
    prices.cache_read_tokens = perMillion(
      'input_cost_per_token_cache_hit',
      entry.input_cost_per_token_cache_hit,
    );
  }

  if (prices.input_tokens === undefined && prices.output_tokens === undefined) {
    return 'no per-token input or output price';
  }
  if (Object.values(prices).every((price) => price === '0')) {
    // Upstream uses 0 as "unknown" for some hosted models; a $0 card would price real
    // usage as free, which is the one mistake we must not make.
    return 'every token price is 0 (placeholder, not a price)';
  }

  const unitPrices: Record<string, string> = {};
  const search = entry.search_context_cost_per_query;
  if (search !== undefined) {
    const perQuery =
      search !== null && typeof search === 'object'
        ? (search as Record<string, unknown>)[SEARCH_CONTEXT_SIZE]
        : undefined;
    if (perQuery === undefined) {
      notes.push(`search_context_cost_per_query has no ${SEARCH_CONTEXT_SIZE}; not imported`);
    } else {
      unitPrices[WEB_SEARCH_UNIT] = perUnit(
        `search_context_cost_per_query.${SEARCH_CONTEXT_SIZE}`,
        perQuery,
      );
    }
  }

  for (const field of ['input_cost_per_audio_token', 'output_cost_per_audio_token']) {
    if (entry[field] !== undefined) notes.push(`${field} not imported: no audio usage key`);
  }
  for (const field of ['provider_specific_entry', 'regional_processing_uplift_multiplier_us']) {
    if (entry[field] !== undefined) {
      notes.push(`${field} ${JSON.stringify(entry[field])} not applied (multipliers)`);
    }
  }
  if (typeof entry._comment === 'string') notes.push(entry._comment);

  const provider = canonicalProvider(entry.litellm_provider);
  const model = stripRoutingPrefixes(key);
  const isBedrockBase =
    provider === 'bedrock' && !BEDROCK_REGION_PREFIX.test(model) && !model.includes('/');
  return priceCardSchema.parse({
    id: cardId(provider, model, options.effective_from),
    provider,
    model,
    aliases: model === key ? [] : [key],
    ...(isBedrockBase
      ? { pattern: `^(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\\.)?${escapeRegExp(model)}$` }
      : {}),
    effective_from: options.effective_from,
    prices,
    tiers: [...tiers.entries()]
      .sort(([left], [right]) => left - right)
      .map(([above, tierPrices]): PriceTier => ({
        above_prompt_tokens: above,
        prices: tierPrices,
      })),
    ...(Object.keys(batchPrices).length === 0 ? {} : { batch_prices: batchPrices }),
    unit_prices: unitPrices,
    source: options.source,
    ...(notes.length === 0 ? {} : { notes }),
  });
}

/**
 * Imports LiteLLM's `model_prices_and_context_window.json` (USD per token) as price cards
 * (USD per 1M tokens), exactly: every figure goes through its decimal string, never through
 * float arithmetic.
 *
 * - `input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`,
 *   `cache_creation_input_token_cost` (5-minute write) and
 *   `cache_creation_input_token_cost_above_1hr` (1-hour write) become base prices;
 *   `input_cost_per_token_cache_hit` stands in for a missing cache-read price (DeepSeek).
 * - `<field>_above_<N>k_tokens` becomes a tier above N × 1000 prompt tokens;
 *   `<field>_batches` becomes a batch price.
 * - `search_context_cost_per_query.search_context_size_medium` becomes the unit price of
 *   `web_search_requests` (medium is OpenAI's default context size; flat-priced providers
 *   list one figure for every size).
 * - Not imported, by design: `_priority` and `_flex` service tiers, audio/image/video/
 *   per-character/per-second prices (noted on the card when the model is otherwise token
 *   priced), and multipliers such as `provider_specific_entry`.
 * - Skipped with a reason: `sample_spec`, modes not priced by text tokens (image
 *   generation, audio transcription and speech, realtime, rerank, moderation), entries
 *   without a per-token price, and entries whose token prices are all 0.
 * - The provider is `canonicalProvider(litellm_provider)`; the model is the key without
 *   routing prefixes, the original key kept as an alias. Two keys that land on the same
 *   (provider, model) merge into one card when their prices are equal; otherwise the first
 *   wins and the second is skipped. A Bedrock cross-region id (`us.anthropic.…`) becomes an
 *   alias of its base id when their prices are equal; base Bedrock cards carry a pattern
 *   that accepts any region prefix.
 */
export function importLiteLLM(
  document: unknown,
  options: LiteLLMImportOptions,
): LiteLLMImportResult {
  const skipped: LiteLLMImportResult['skipped'] = [];
  const errors: LiteLLMImportResult['errors'] = [];
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return { cards: [], skipped, errors: [{ key: '', message: 'document must be a JSON object' }] };
  }

  const drafts: Draft[] = [];
  for (const [key, entry] of Object.entries(document as Record<string, unknown>)) {
    if (key === 'sample_spec') {
      skipped.push({ key, reason: 'sample_spec documents the format; it is not a model' });
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      errors.push({ key, message: 'entry must be an object' });
      continue;
    }
    try {
      const converted = convertEntry(key, entry as Record<string, unknown>, options);
      if (typeof converted === 'string') skipped.push({ key, reason: converted });
      else drafts.push({ key, card: converted });
    } catch (error) {
      if (error instanceof EntryError) errors.push({ key, message: error.message });
      else if (error instanceof Error)
        errors.push({ key, message: `invalid card: ${error.message}` });
      else throw error;
    }
  }

  // Fold duplicates: first the plain ids, then Bedrock region ids onto their base id.
  const byModel = new Map<string, Draft>();
  const modelKey = (card: PriceCard, model = card.model) =>
    `${card.provider}\u0000${model.toLowerCase()}`;
  const fold = (draft: Draft, target: string): boolean => {
    const existing = byModel.get(target);
    if (existing === undefined) return false;
    if (priceFingerprint(existing.card) !== priceFingerprint(draft.card)) {
      skipped.push({
        key: draft.key,
        reason: `prices differ from ${existing.key}, which prices ${existing.card.provider}/${existing.card.model}`,
      });
      return true;
    }
    const aliases = new Set([...existing.card.aliases, draft.key, draft.card.model]);
    aliases.delete(existing.card.model);
    existing.card = { ...existing.card, aliases: [...aliases] };
    return true;
  };
  const regional: Draft[] = [];
  for (const draft of drafts) {
    if (draft.card.provider === 'bedrock' && BEDROCK_REGION_PREFIX.test(draft.card.model)) {
      regional.push(draft);
    } else if (!fold(draft, modelKey(draft.card))) {
      byModel.set(modelKey(draft.card), draft);
    }
  }
  for (const draft of regional) {
    const base = draft.card.model.replace(BEDROCK_REGION_PREFIX, '');
    const baseKey = modelKey(draft.card, base);
    const baseDraft = byModel.get(baseKey);
    if (
      baseDraft !== undefined &&
      priceFingerprint(baseDraft.card) === priceFingerprint(draft.card)
    ) {
      fold(draft, baseKey);
    } else if (!fold(draft, modelKey(draft.card))) {
      // A regional price of its own (or no base entry): the region id is the model.
      byModel.set(modelKey(draft.card), draft);
    }
  }

  const cards = [...byModel.values()]
    .map((draft) => draft.card)
    .sort(
      (left, right) =>
        left.provider.localeCompare(right.provider) || left.model.localeCompare(right.model),
    );
  return { cards, skipped, errors };
}

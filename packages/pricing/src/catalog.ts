import { PricingError } from './errors';
import { type PriceCard, priceCardSchema } from './price-card';
import { canonicalProvider, isCanonicalProvider } from './providers';

/** How a request's model name found its card, strongest first. */
export type MatchKind = 'exact' | 'alias' | 'pattern';

/** The answer of {@link PricingCatalog.match}. */
export interface PriceMatch {
  /** The card in force at the requested instant. */
  card: PriceCard;
  /** Which rule matched. */
  matched_by: MatchKind;
  /** Canonical provider the request was resolved under. */
  provider: string;
  /** The model name that matched, after routing prefixes were stripped. */
  model: string;
}

/** Filters for {@link PricingCatalog.list}; every field optional. */
export interface ListPriceCardsOptions {
  /** Only cards of this provider (any spelling; canonicalised). */
  provider?: string;
  /** Only cards in force at this instant. */
  at?: Date;
}

/** A validated, immutable set of price cards with model matching. */
export interface PricingCatalog {
  /**
   * Finds the card that prices `model` at `provider` at instant `at`.
   *
   * Matching order:
   * 1. the provider is canonicalised (`vertex_ai` → `google`, `azure_openai` → `azure`);
   * 2. routing prefixes are stripped from the model (`openai/gpt-4o` → `gpt-4o`,
   *    `bedrock/us-east-1/anthropic.claude-v2` → `anthropic.claude-v2`); the name as given is
   *    kept as a second candidate, since aliases may carry the prefixed form;
   * 3. only cards of that provider in force at `at` are candidates
   *    (`effective_from <= at < effective_to`: at the boundary instant the newer version wins);
   * 4. a card whose `model` equals the name wins; else one listing the name in `aliases`;
   *    else the card with the longest `pattern` that matches the name. Names compare
   *    case-insensitively. Ties (two alias or equal-length pattern hits) go to the later
   *    `effective_from`, then to the smaller id, so the answer never depends on card order.
   *
   * Returns `undefined` when nothing matches: the caller reports the usage as unpriced.
   */
  match(provider: string, model: string, at: Date): PriceMatch | undefined;
  /** All cards, ordered by provider, model and `effective_from`. */
  list(options?: ListPriceCardsOptions): readonly PriceCard[];
  /** Every version of one model's price at one provider, oldest first. */
  versions(provider: string, model: string): readonly PriceCard[];
  /** Canonical providers that have at least one card, sorted. */
  providers(): readonly string[];
  /**
   * A fingerprint of the catalog's content (FNV-1a over the canonical JSON of its cards):
   * equal catalogs have equal revisions, so a cost can record the catalog it came from.
   */
  readonly revision: string;
}

interface IndexedCard {
  card: PriceCard;
  from: number;
  to: number;
  model: string;
  aliases: ReadonlySet<string>;
  pattern?: RegExp;
}

/** AWS region path segments used in routed Bedrock names (`us-east-1`, `us-gov-west-1`). */
const AWS_REGION_SEGMENT = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;
/** Bedrock API flavours LiteLLM puts in routed names. */
const BEDROCK_ROUTE_SEGMENTS = new Set(['invoke', 'converse']);

/**
 * Removes routing prefixes that gateways put in front of a model id. A leading segment is a
 * routing prefix when it names a provider; after a Bedrock prefix, AWS region and API-flavour
 * segments go too. Azure data-zone segments (`azure/eu/…`) are kept: they change the price.
 */
export function stripRoutingPrefixes(model: string): string {
  let segments = model.trim().split('/');
  let stripped = false;
  while (segments.length > 1) {
    const head = segments[0]!.toLowerCase();
    const canonical = canonicalProvider(head);
    const isProvider = isCanonicalProvider(canonical) || canonical !== head;
    const isBedrockRoute =
      stripped && (AWS_REGION_SEGMENT.test(head) || BEDROCK_ROUTE_SEGMENTS.has(head));
    if (!isProvider && !isBedrockRoute) break;
    segments = segments.slice(1);
    stripped = true;
  }
  return segments.join('/');
}

function key(provider: string, model: string): string {
  return `${provider}\u0000${model.toLowerCase()}`;
}

function compareForTies(left: IndexedCard, right: IndexedCard): number {
  return right.from - left.from || left.card.id.localeCompare(right.card.id);
}

/** FNV-1a, 32-bit, as 8 hex digits: tiny, deterministic, no I/O, no crypto dependency. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((name) => [name, sortKeys((value as Record<string, unknown>)[name])]),
    );
  }
  return value;
}

/**
 * Validates `cards` with {@link priceCardSchema} and builds a {@link PricingCatalog}.
 * Throws a `PricingError` (`INVALID_PRICE_CARD`) naming the first bad card, or
 * (`CONFLICTING_PRICE_CARDS`) on a duplicate id or two versions of one (provider, model)
 * whose effective ranges overlap — so `match` can never have two answers.
 */
export function createPricingCatalog(cards: readonly unknown[]): PricingCatalog {
  const parsed = cards.map((value, index) => {
    const result = priceCardSchema.safeParse(value);
    if (!result.success) {
      const id = (value as { id?: unknown } | null)?.id;
      throw new PricingError({
        code: 'INVALID_PRICE_CARD',
        message: `price card ${typeof id === 'string' ? id : `#${index}`} is invalid: ${result.error.issues
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ')}`,
        cause: result.error,
        details: { index, id },
      });
    }
    return { ...result.data, provider: canonicalProvider(result.data.provider) };
  });

  const ids = new Set<string>();
  for (const card of parsed) {
    if (ids.has(card.id)) {
      throw new PricingError({
        code: 'CONFLICTING_PRICE_CARDS',
        message: `duplicate price card id ${card.id}`,
        details: { id: card.id },
      });
    }
    ids.add(card.id);
  }

  const indexed: IndexedCard[] = parsed
    .map((card) => ({
      card,
      from: Date.parse(card.effective_from),
      to: card.effective_to === undefined ? Infinity : Date.parse(card.effective_to),
      model: card.model.toLowerCase(),
      aliases: new Set(card.aliases.map((alias) => alias.toLowerCase())),
      pattern: card.pattern === undefined ? undefined : new RegExp(card.pattern, 'i'),
    }))
    .sort(
      (left, right) =>
        left.card.provider.localeCompare(right.card.provider) ||
        left.model.localeCompare(right.model) ||
        left.from - right.from,
    );

  const byModel = new Map<string, IndexedCard[]>();
  const byProvider = new Map<string, IndexedCard[]>();
  for (const entry of indexed) {
    const versions = byModel.get(key(entry.card.provider, entry.model)) ?? [];
    const previous = versions[versions.length - 1];
    if (previous !== undefined && previous.to > entry.from) {
      throw new PricingError({
        code: 'CONFLICTING_PRICE_CARDS',
        message: `price cards ${previous.card.id} and ${entry.card.id} are both in force at ${entry.card.effective_from}`,
        details: { ids: [previous.card.id, entry.card.id] },
      });
    }
    versions.push(entry);
    byModel.set(key(entry.card.provider, entry.model), versions);
    const providerCards = byProvider.get(entry.card.provider) ?? [];
    providerCards.push(entry);
    byProvider.set(entry.card.provider, providerCards);
  }

  const revision = fnv1a(JSON.stringify(indexed.map((entry) => sortKeys(entry.card))));

  // Instants at which some card of a provider starts or stops: between two consecutive ones the
  // cards in force — hence every match — cannot change.
  const boundaries = new Map<string, number[]>();
  for (const [provider, entries] of byProvider) {
    const instants = new Set<number>();
    for (const entry of entries) {
      instants.add(entry.from);
      if (entry.to !== Infinity) instants.add(entry.to);
    }
    boundaries.set(
      provider,
      [...instants].sort((left, right) => left - right),
    );
  }

  /** `[from, to)` around `instant` in which the cards in force for `provider` are constant. */
  function stableRange(provider: string, instant: number): [number, number] {
    const instants = boundaries.get(provider) ?? [];
    let low = 0;
    let high = instants.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (instants[middle]! <= instant) low = middle + 1;
      else high = middle;
    }
    return [low === 0 ? -Infinity : instants[low - 1]!, instants[low] ?? Infinity];
  }

  // Ingest asks the same few (provider, model) pairs again and again; the catalog is
  // immutable, so an answer holds for the whole range in which the cards in force are the
  // same. Bounded in entries and in bytes: model names come from the outside, so a name
  // longer than any real one is matched without being remembered.
  const memo = new Map<string, { from: number; to: number; found: PriceMatch | undefined }[]>();
  const MEMO_LIMIT = 10_000;
  const MEMO_KEY_LIMIT = 512;

  function match(provider: string, model: string, at: Date): PriceMatch | undefined {
    const instant = at.getTime();
    if (Number.isNaN(instant)) return undefined;
    const memoKey = `${provider}\u0000${model}`;
    let ranges = memo.get(memoKey);
    if (ranges !== undefined) {
      for (const range of ranges) {
        if (range.from <= instant && instant < range.to) {
          return range.found === undefined ? undefined : { ...range.found };
        }
      }
    }
    const found = matchUncached(provider, model, instant);
    if (memoKey.length > MEMO_KEY_LIMIT) return found === undefined ? undefined : { ...found };
    const [from, to] = stableRange(canonicalProvider(provider), instant);
    if (ranges === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      ranges = [];
      memo.set(memoKey, ranges);
    }
    ranges.push({ from, to, found });
    return found === undefined ? undefined : { ...found };
  }

  function matchUncached(provider: string, model: string, instant: number): PriceMatch | undefined {
    const canonical = canonicalProvider(provider);
    const inForce = (byProvider.get(canonical) ?? []).filter(
      (entry) => entry.from <= instant && instant < entry.to,
    );
    if (inForce.length === 0) return undefined;
    const stripped = stripRoutingPrefixes(model);
    const names = [...new Set([stripped, model.trim()])];

    const found = (matchedBy: MatchKind, pick: (name: string) => IndexedCard | undefined) => {
      for (const name of names) {
        const entry = pick(name.toLowerCase());
        if (entry !== undefined) {
          return { card: entry.card, matched_by: matchedBy, provider: canonical, model: name };
        }
      }
      return undefined;
    };

    return (
      found('exact', (name) => inForce.find((entry) => entry.model === name)) ??
      found(
        'alias',
        (name) => inForce.filter((entry) => entry.aliases.has(name)).sort(compareForTies)[0],
      ) ??
      found(
        'pattern',
        (name) =>
          inForce
            .filter((entry) => entry.pattern?.test(name) === true)
            .sort(
              (left, right) =>
                right.card.pattern!.length - left.card.pattern!.length ||
                compareForTies(left, right),
            )[0],
      )
    );
  }

  return {
    match,
    list(options = {}) {
      const provider =
        options.provider === undefined ? undefined : canonicalProvider(options.provider);
      const instant = options.at?.getTime();
      return indexed
        .filter((entry) => provider === undefined || entry.card.provider === provider)
        .filter((entry) => instant === undefined || (entry.from <= instant && instant < entry.to))
        .map((entry) => entry.card);
    },
    versions(provider, model) {
      return (byModel.get(key(canonicalProvider(provider), model)) ?? []).map(
        (entry) => entry.card,
      );
    },
    providers() {
      return [...byProvider.keys()].sort();
    },
    revision,
  };
}

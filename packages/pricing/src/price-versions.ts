import { priceFingerprint } from './litellm-import';
import type { PriceCard } from './price-card';
import { canonicalProvider } from './providers';

/** Result of {@link mergePriceVersions}. */
export interface MergePriceVersionsResult {
  /** Every card after the merge, ordered by provider, model and `effective_from`. */
  cards: PriceCard[];
  /** Imported cards added: a new model, or a changed price (a new version). */
  created: number;
  /** Imported cards whose prices equal the version in force, but which added aliases. */
  updated: number;
  /** Imported cards identical in price and names to the version in force: nothing to do. */
  skipped: number;
  /** Imported cards that were not applied, with why (same start, different price). */
  conflicts: { id: string; message: string }[];
}

function modelKey(card: PriceCard): string {
  return `${canonicalProvider(card.provider)}\u0000${card.model.toLowerCase()}`;
}

const start = (card: PriceCard) => Date.parse(card.effective_from);
const end = (card: PriceCard) =>
  card.effective_to === undefined ? Infinity : Date.parse(card.effective_to);

/**
 * Merges freshly imported cards into an existing set as effective-dated versions, never
 * overwriting history. For each imported card, the existing version of the same
 * (provider, model) in force at the imported `effective_from` decides:
 *
 * - none → the card is added (`created`), ending where the next existing version starts;
 * - same prices → nothing changes (`skipped`), except that new aliases or a pattern are
 *   folded into the existing card (`updated`): re-importing the same file is a no-op;
 * - different prices, later start → the existing version ends (`effective_to`) at the
 *   imported start and the imported card takes over until the old version's end (`created`);
 * - different prices, same start → a conflict: history is not rewritten silently.
 *
 * Importing an older file after a newer one therefore slots the older prices in before the
 * newer version instead of replacing it.
 */
export function mergePriceVersions(
  existing: readonly PriceCard[],
  imported: readonly PriceCard[],
): MergePriceVersionsResult {
  const byModel = new Map<string, PriceCard[]>();
  for (const card of existing) {
    const versions = byModel.get(modelKey(card)) ?? [];
    versions.push(card);
    byModel.set(modelKey(card), versions);
  }
  const result: MergePriceVersionsResult = {
    cards: [],
    created: 0,
    updated: 0,
    skipped: 0,
    conflicts: [],
  };

  for (const card of imported) {
    const versions = (byModel.get(modelKey(card)) ?? []).sort(
      (left, right) => start(left) - start(right),
    );
    byModel.set(modelKey(card), versions);
    const from = start(card);
    const index = versions.findIndex((version) => start(version) <= from && from < end(version));
    const current = index === -1 ? undefined : versions[index]!;

    if (current === undefined) {
      const next = versions.find((version) => start(version) > from);
      const to = Math.min(end(card), next === undefined ? Infinity : start(next));
      versions.push(
        to === end(card) ? card : { ...card, effective_to: new Date(to).toISOString() },
      );
      result.created += 1;
      continue;
    }

    if (priceFingerprint(current) === priceFingerprint(card)) {
      const aliases = [...new Set([...current.aliases, ...card.aliases])].filter(
        (alias) => alias.toLowerCase() !== current.model.toLowerCase(),
      );
      const pattern = current.pattern ?? card.pattern;
      if (aliases.length !== current.aliases.length || pattern !== current.pattern) {
        versions[index] = { ...current, aliases, ...(pattern === undefined ? {} : { pattern }) };
        result.updated += 1;
      } else {
        result.skipped += 1;
      }
      continue;
    }

    if (start(current) === from) {
      result.conflicts.push({
        id: card.id,
        message: `${current.id} already starts at ${card.effective_from} with different prices`,
      });
      continue;
    }
    const currentEnd = current.effective_to;
    versions[index] = { ...current, effective_to: card.effective_from };
    versions.push(
      currentEnd === undefined || end(card) <= end(current)
        ? card
        : { ...card, effective_to: currentEnd },
    );
    result.created += 1;
  }

  result.cards = [...byModel.values()]
    .flat()
    .sort(
      (left, right) =>
        canonicalProvider(left.provider).localeCompare(canonicalProvider(right.provider)) ||
        left.model.localeCompare(right.model) ||
        start(left) - start(right),
    );
  return result;
}

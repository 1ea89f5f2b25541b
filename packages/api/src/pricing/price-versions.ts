import { type PriceCard, priceFingerprint } from '@purser/pricing';

/** What a price change does to the stored cards of one (provider, model). */
export interface PricePlan {
  /** `created`: first price of the model; `updated`: a new version; `unchanged`: nothing to do. */
  outcome: 'created' | 'updated' | 'unchanged';
  /** Rows to insert (new versions). */
  insert: PriceCard[];
  /** Ids of rows the inserted ones replace. */
  supersede: string[];
}

const instant = (value: string) => Date.parse(value);

/** `openai/gpt-4o@2026-07-24`, `…~v2`, `…~v3`: the base id without its version suffix. */
export function baseCardId(id: string): string {
  return id.replace(/~v\d+$/, '');
}

export function nextVersionId(id: string, taken: ReadonlySet<string>): string {
  const base = baseCardId(id);
  for (let version = 2; ; version += 1) {
    const candidate = `${base}~v${version}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function versionOf(id: string): number {
  const match = /~v(\d+)$/.exec(id);
  return match ? Number(match[1]) : 1;
}

/**
 * Plans how `incoming` enters the active cards of its (provider, model), never editing a
 * stored card:
 * - same `effective_from` as an active card → a correction: the old card is superseded;
 * - otherwise the card in force at `incoming.effective_from` is superseded by a copy that
 *   ends there, and `incoming` runs until the next scheduled card (or its own `effective_to`);
 * - a card whose prices, aliases and pattern equal the one in force → `unchanged`.
 * `taken` holds every id already stored (active or not), so new ids never collide.
 */
export function planPriceChange(
  active: readonly PriceCard[],
  incoming: PriceCard,
  taken: ReadonlySet<string>,
): PricePlan {
  const start = instant(incoming.effective_from);
  const inForce = active.find(
    (card) =>
      instant(card.effective_from) <= start &&
      (card.effective_to === undefined || instant(card.effective_to) > start),
  );
  if (inForce && sameCard(inForce, incoming))
    return { outcome: 'unchanged', insert: [], supersede: [] };

  const next = active
    .filter((card) => instant(card.effective_from) > start)
    .sort((left, right) => instant(left.effective_from) - instant(right.effective_from))[0];
  const ids = new Set(taken);
  const claim = (id: string) => {
    const free = ids.has(id) ? nextVersionId(id, ids) : id;
    ids.add(free);
    return free;
  };

  const insert: PriceCard[] = [];
  const supersede: string[] = [];
  let end = incoming.effective_to ?? next?.effective_from;
  if (inForce && instant(inForce.effective_from) === start) {
    supersede.push(inForce.id);
    end = incoming.effective_to ?? inForce.effective_to ?? next?.effective_from;
  } else if (inForce) {
    supersede.push(inForce.id);
    insert.push({ ...inForce, id: claim(inForce.id), effective_to: incoming.effective_from });
  }
  const { effective_to: _ignored, ...rest } = incoming;
  insert.push({ ...rest, id: claim(incoming.id), ...(end ? { effective_to: end } : {}) });
  return { outcome: active.length === 0 ? 'created' : 'updated', insert, supersede };
}

function sameCard(left: PriceCard, right: PriceCard): boolean {
  return (
    priceFingerprint(left) === priceFingerprint(right) &&
    JSON.stringify([...left.aliases].sort()) === JSON.stringify([...right.aliases].sort()) &&
    (left.pattern ?? null) === (right.pattern ?? null)
  );
}

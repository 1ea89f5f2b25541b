/**
 * The waste page's words: each category (and each kind of ungoverned spend) by name, symbol
 * and tone, and a finding's evidence as labelled lines. Evidence is whatever JSON the service
 * answers: every value is shown as text, none is dropped and none throws.
 */
import { formatMoney } from './format';

export type Tone = 'good' | 'warn' | 'bad' | 'info';

export interface CategoryLabel {
  tone: Tone;
  icon: string;
  /** The category in words, shown beside its colour and symbol. */
  text: string;
  /** What the category means, one line. */
  meaning: string;
}

/** The five categories of the contract (ARCHITECTURE.md, "Insights and console"). */
export const CATEGORIES: Record<string, CategoryLabel> = {
  MODEL_MISMATCH: {
    tone: 'warn',
    icon: '⇣',
    text: 'Model mismatch',
    meaning: "a premium model doing a cheaper model's job",
  },
  CONTEXT_BLOAT: {
    tone: 'warn',
    icon: '≡',
    text: 'Context bloat',
    meaning: 'the same large input sent again without cache reads',
  },
  RETRY_WASTE: {
    tone: 'bad',
    icon: '↻',
    text: 'Retry waste',
    meaning: 'paying for failed calls and their retries',
  },
  CACHE_MISS: {
    tone: 'info',
    icon: '○',
    text: 'Cache miss',
    meaning: 'cache writes nobody reads back',
  },
  UNGOVERNED_KEY: {
    tone: 'bad',
    icon: '⚑',
    text: 'Ungoverned spend',
    meaning: 'spend no budget or limit governs',
  },
};

/** UNGOVERNED_KEY's three kinds (evidence.kind), in words. */
export const UNGOVERNED_KINDS: Record<string, string> = {
  no_budget: 'no budget covers it',
  environment_on_production_key: 'non-production usage on a production key',
  agent_without_run_cap: 'an agent with no per-run cap',
};

/** A category's label; an unknown code is shown as itself, in words, never dropped. */
export function categoryLabel(category: string, evidence?: Record<string, unknown>): CategoryLabel {
  const known = CATEGORIES[category];
  const base = known ?? {
    tone: 'info' as const,
    icon: '•',
    text: category.toLowerCase().replace(/_/g, ' '),
    meaning: category,
  };
  const kind = typeof evidence?.kind === 'string' ? evidence.kind : null;
  if (category === 'UNGOVERNED_KEY' && kind) {
    return { ...base, meaning: UNGOVERNED_KINDS[kind] ?? kind.replace(/_/g, ' ') };
  }
  return base;
}

/** "exampleEventIds" → "example event ids"; "hitRatio" → "hit ratio". */
export function evidenceLabel(key: string): string {
  const words = key
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .trim();
  return words || key;
}

const LONGEST = 240;

/** Any JSON value as one line of text (lists joined, objects as JSON, long text cut). */
export function evidenceValue(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '—';
  else if (typeof value === 'boolean') text = value ? 'yes' : 'no';
  else if (typeof value === 'string') text = value === '' ? '—' : value;
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (Array.isArray(value))
    text = value.length ? value.map((item) => evidenceValue(item)).join(', ') : 'none';
  else text = JSON.stringify(value) ?? String(value);
  return text.length > LONGEST ? `${text.slice(0, LONGEST - 1)}…` : text;
}

/** A finding's evidence as [label, value] lines, in the service's order; `kind` is left out (the category says it). */
export function evidenceLines(
  evidence: Record<string, unknown> | null | undefined,
): [string, string][] {
  return Object.entries(evidence ?? {})
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => [evidenceLabel(key), evidenceValue(value)]);
}

/** An amount rounded to cents, except that one above zero but under a cent reads "< $0.01". */
export function wasteMoney(value: string, currency = 'USD'): string {
  const shown = formatMoney(value, currency);
  const nonZero = /[1-9]/.test(value);
  return nonZero && !/[1-9]/.test(shown) && !value.trim().startsWith('-')
    ? `< ${formatMoney('0.01', currency)}`
    : shown;
}

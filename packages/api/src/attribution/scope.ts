import { ATTRIBUTION_KEYS } from '@purser/adapters';
import { z } from 'zod';
import { wellFormed } from '../db/well-formed';

/** Attribution keys a budget scope or a virtual key may bind. */
export const SCOPE_KEYS = ATTRIBUTION_KEYS.filter(
  (key): key is Exclude<(typeof ATTRIBUTION_KEYS)[number], 'session' | 'request_path'> =>
    key !== 'session' && key !== 'request_path',
);
export type ScopeKey = (typeof SCOPE_KEYS)[number];
export type Scope = Partial<Record<ScopeKey, string>>;

/** Request attribution in wire (snake_case) form. */
export type WireAttribution = Partial<Record<ScopeKey | 'session' | 'request_path', string>>;

export const scopeSchema = z.partialRecord(z.enum(SCOPE_KEYS), z.string().min(1).max(256));

/**
 * How wide a scope is, for ordering nested budgets org → team → feature → customer → key:
 * fewer keys is wider; equal counts fall back to the key order above.
 */
export function scopeRank(scope: Scope): number {
  const keys = Object.keys(scope) as ScopeKey[];
  return keys.length * 100 + Math.max(-1, ...keys.map((key) => SCOPE_KEYS.indexOf(key)));
}

/** True when every key of the scope is in the attribution with the same value. */
export function scopeApplies(scope: Scope, attribution: WireAttribution): boolean {
  return Object.entries(scope).every(([key, value]) => attribution[key as ScopeKey] === value);
}

/** Attribution values made well formed (see {@link wellFormed}). */
export function wellFormedAttribution<T extends Record<string, string | undefined>>(
  attribution: T,
): T {
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(attribution)) {
    result[key] = typeof value === 'string' ? wellFormed(value) : value;
  }
  return result as T;
}

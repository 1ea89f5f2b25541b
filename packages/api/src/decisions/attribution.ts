import type { Scope } from '../budgets/budget-scope';
import type { AttributionInput } from './decision.types';

/**
 * The string with each lone UTF-16 surrogate replaced by U+FFFD: Postgres refuses one in a
 * JSON value, and attribution travels as JSON (scopes, holds, the decision log).
 */
export function wellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
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

/** GraphQL attribution (camelCase) → the snake_case form of the wire, scopes and the policy. */
export function toWireAttribution(
  input: AttributionInput | null | undefined,
): Record<string, string> {
  if (!input) return {};
  const pairs: [string, string | undefined][] = [
    ['team', input.team],
    ['feature', input.feature],
    ['environment', input.environment],
    ['customer', input.customer],
    ['project', input.project],
    ['user', input.user],
    ['agent', input.agent],
    ['session', input.session],
    ['request_path', input.requestPath],
    ['virtual_key', input.virtualKey],
  ];
  return Object.fromEntries(
    pairs
      .filter((pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '')
      .map(([key, value]) => [key, wellFormed(value)]),
  );
}

/** A budget scope: attribution without the per-request keys. */
export function toScope(input: AttributionInput | null | undefined): Scope {
  const { session: _session, request_path: _path, ...scope } = toWireAttribution(input);
  return scope as Scope;
}

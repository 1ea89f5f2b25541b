import type { Scope } from './scope';
import { wellFormed } from '../db/well-formed';
import type { AttributionInput } from '../graphql/attribution-fields';

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

// Reading a query string (`req.query`, or a CLI's flags read as one): every error is a
// BAD_USER_INPUT that names the parameter and echoes what was sent cut short.
import { badInput } from '../errors';

/** A value echoed in an error, cut short: the message stays small whatever was sent. */
export const shown = (value: string) =>
  JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/** One query parameter as a string (absent: null); given twice or as a structure: 400. */
export function single(query: Record<string, unknown>, name: string): string | null {
  const value = Object.hasOwn(query, name) ? query[name] : undefined;
  if (value === undefined) return null;
  if (typeof value !== 'string') throw badInput(`${name}: give it once, as text`);
  return value;
}

/**
 * Refuses the first parameter not in `known`, by name: a typo is an error, not a silently
 * different answer. `noun` is what the message calls a parameter.
 */
export function refuseUnknown(
  query: Record<string, unknown>,
  known: readonly string[],
  noun = 'query parameter',
): void {
  const unknown = Object.keys(query).find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw badInput(`${shown(unknown)}: unknown ${noun} (known: ${known.join(', ')})`);
  }
}

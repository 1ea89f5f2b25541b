// Reading a query string (`req.query`, or a CLI's flags read as one): every error is a
// BAD_USER_INPUT that names the parameter and echoes what was sent cut short.
import { badInput, PurserError } from '../errors';

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

/**
 * A command line of `--flag value` pairs read as the query a route takes (a CLI that writes
 * the file the route answers): `flags` maps each flag to its parameter, `--out FILE` is where
 * to write (`-` or none: stdout), and `parse` checks the query, its BAD_USER_INPUT becoming
 * the problem, named by the flag.
 */
export function parseQueryFlags<Query>(
  argv: readonly string[],
  flags: Record<string, string>,
  parse: (query: Record<string, string>) => Query,
): { query: Query; out: string | null } | { problem: string } {
  const query: Record<string, string> = {};
  let out: string | null = null;
  for (let index = 0; index < argv.length; index += 2) {
    const flag = argv[index]!;
    const value = argv[index + 1];
    if (value === undefined) return { problem: `${flag}: needs a value` };
    if (flag === '--out') {
      if (out !== null) return { problem: '--out: give it once' };
      out = value;
    } else if (Object.hasOwn(flags, flag)) {
      if (Object.hasOwn(query, flags[flag]!)) return { problem: `${flag}: give it once` };
      query[flags[flag]!] = value;
    } else {
      const known = [...Object.keys(flags), '--out'].join(', ');
      return { problem: `${flag}: unknown option (known: ${known})` };
    }
  }
  try {
    return { query: parse(query), out: out === '-' ? null : out };
  } catch (error) {
    if (error instanceof PurserError) return { problem: `--${error.message}` };
    throw error;
  }
}

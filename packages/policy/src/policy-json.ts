import { randomBytes } from 'node:crypto';

/**
 * Marks a bigint inside the JSON text until it is written out as a bare integer. A NUL
 * character and a random per-process token: no string a caller sends can carry it, so no
 * string is ever turned into a number.
 */
const MARK = `\u0000${randomBytes(12).toString('hex')}:`;
const MARKED = new RegExp(
  `"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`,
  'g',
);

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${MARK}${value}`;
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`cannot send ${value} to the policy`);
  }
  return value;
}

/**
 * JSON for the policy, with `bigint` written as a JSON integer. `JSON.stringify` refuses
 * bigint, and a JS number would lose precision past 2^53 nanos; the wasm runtime parses
 * integers of any size exactly. The text is built by `JSON.stringify` (native), each bigint
 * passing through as a marked string that is then unquoted.
 */
export function toPolicyJson(value: unknown): string {
  const json = JSON.stringify(value, replacer);
  if (json === undefined) throw new TypeError(`cannot send a ${typeof value} to the policy`);
  return json.includes(MARK.slice(1)) ? json.replace(MARKED, '$1') : json;
}

/**
 * JSON for the policy, with `bigint` written as a JSON integer. `JSON.stringify` refuses
 * bigint, and a JS number would lose precision past 2^53 nanos; the wasm runtime parses
 * integers of any size exactly.
 */
export function toPolicyJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : toPolicyJson(item))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const fields: string[] = [];
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      if (field === undefined || typeof field === 'function') continue;
      fields.push(`${JSON.stringify(key)}:${toPolicyJson(field)}`);
    }
    return `{${fields.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`cannot send ${value} to the policy`);
  }
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`cannot send a ${typeof value} to the policy`);
  return json;
}

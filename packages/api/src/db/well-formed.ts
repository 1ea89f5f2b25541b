/**
 * Text Postgres takes in JSON. `JSON.stringify` escapes a lone UTF-16 surrogate as `\ud800`,
 * which Postgres refuses in a json or jsonb value (a text parameter, sent as UTF-8, gets
 * U+FFFD in its place).
 */

/** The string with each lone surrogate replaced by U+FFFD. */
export function wellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/**
 * JSON of `value` that Postgres accepts: every string made well formed. The common case (no
 * `\ud…` escape in the text) costs one `JSON.stringify`.
 */
export function wellFormedJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\ud')) return json;
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === 'string' ? wellFormed(field) : field,
  );
}

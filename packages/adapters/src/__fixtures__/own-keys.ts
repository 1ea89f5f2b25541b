/** Copies and edits of test events that keep hostile own keys (`__proto__`) as own keys. */

/** Sets `key` as an own, plain data property, even `__proto__` (which `=` would not). */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    configurable: true,
    writable: true,
  });
}

/**
 * A deep copy that keeps what a JSON round trip or `structuredClone` would lose or change:
 * `undefined`, NaN, null-prototype objects, own `__proto__` keys (as `JSON.parse` makes
 * them) and this realm's prototypes.
 */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => clone(item)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const copy = (Object.getPrototypeOf(value) === null ? Object.create(null) : {}) as Record<
    string,
    unknown
  >;
  for (const key of Object.keys(value)) {
    setOwn(copy, key, clone((value as Record<string, unknown>)[key]));
  }
  return copy as T;
}

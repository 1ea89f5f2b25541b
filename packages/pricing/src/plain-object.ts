/**
 * Whether `value` is an object of the kind a literal or `JSON.parse` makes: not null, not an
 * array, not a class instance (its prototype is `Object.prototype` or null). The fast paths
 * beside the schemas (`docs/0008-fast-twins.md`) take only such objects and stand aside for
 * anything else. The one copy: adapters re-export it, policy imports it from here.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

import { isPlainObject } from '@purser/pricing';
import { depthIssue } from '../parse-json';
import { formatIssuePath } from '../zod-issues';

/**
 * Keys that are never data: assigning `"__proto__"` to an object sets its prototype, so a
 * copy of an object with such an own key (what `JSON.parse` makes of `{"__proto__": …}`)
 * would read the key's fields as its own.
 */
const FORBIDDEN_KEY = '__proto__';

/**
 * How deeply objects and arrays may nest in a usage event. Its own fields nest three levels;
 * a provider's raw usage object (an OTLP span) a dozen. Deeper values are refused: beyond a
 * few thousand levels `JSON.stringify` and any recursive reader overflow the stack, while
 * `JSON.parse` happily builds 500,000 levels from a 1 MiB body.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How many values (strings, numbers, objects… each counts one) an event may hold. A real one
 * holds dozens; its largest part, a provider's raw usage, is at most 64 KiB (some 30,000
 * values). The walk stops there: its time is bounded whatever the body.
 */
export const MAX_JSON_VALUES = 50_000;

/** Longest key shown in a path; longer ones are cut (a reason stays one readable line). */
const MAX_PATH_KEY_LENGTH = 64;

/** A value being visited, with what holds it, so that a path is built only for an issue. */
interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
  depth: number;
}

function pathOf(visit: Visit | undefined, last?: string | number): string {
  const segments: (string | number)[] = last === undefined ? [] : [last];
  for (let at = visit; at !== undefined && at.key !== undefined; at = at.parent) {
    segments.push(at.key);
  }
  return formatIssuePath(
    segments
      .reverse()
      .map((segment) =>
        typeof segment === 'string' && segment.length > MAX_PATH_KEY_LENGTH
          ? `${segment.slice(0, MAX_PATH_KEY_LENGTH)}…`
          : segment,
      ),
  );
}

function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  if (name === 'Object') return 'an object with a prototype of its own';
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
}

/**
 * What a usage event may not hold anywhere, whatever its schema says of the field, checked
 * over the whole value before anything reads or copies it, so that every path — NATS bytes,
 * an HTTP body, GraphQL variables or literals — gets the same answer:
 * - a `"__proto__"` key (see {@link FORBIDDEN_KEY});
 * - a NUL (U+0000) in a string or a key: Postgres text and jsonb cannot store it, so such an
 *   event could never be stored, and a dead letter could not name it;
 * - anything but JSON: objects must be plain (prototype `Object.prototype` or none); strings,
 *   numbers, booleans, `null`, arrays; `undefined` is read as absent;
 * - nesting deeper than {@link MAX_JSON_DEPTH}, or more than {@link MAX_JSON_VALUES} values.
 *
 * Answers one line per problem (at most `limit`), each naming the path, e.g.
 * `attribution.team: must not contain the NUL character (U+0000)`; none when clean. Visits
 * every value once without recursion: linear in the input, whatever its depth.
 */
export function jsonContentIssues(value: unknown, limit = 5): string[] {
  const issues: string[] = [];
  const stack: Visit[] = [{ value, parent: undefined, key: undefined, depth: 0 }];
  let visited = 0;
  while (stack.length > 0 && issues.length < limit) {
    const visit = stack.pop()!;
    visited += 1;
    if (visited > MAX_JSON_VALUES) {
      issues.push(`(root): more than ${MAX_JSON_VALUES} values`);
      break;
    }
    const current = visit.value;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) {
        issues.push(`${pathOf(visit)}: must not contain the NUL character (U+0000)`);
      }
      continue;
    }
    if (
      current === null ||
      current === undefined ||
      typeof current === 'number' ||
      typeof current === 'boolean'
    ) {
      continue;
    }
    if (visit.depth >= MAX_JSON_DEPTH) {
      // Named by the top-level field it is under, as a scan of the text names it.
      let top = visit;
      while (top.parent?.key !== undefined) top = top.parent;
      issues.push(depthIssue(top.key, MAX_JSON_DEPTH));
      continue;
    }
    const depth = visit.depth + 1;
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) {
        stack.push({ value: current[index], parent: visit, key: index, depth });
      }
      continue;
    }
    if (typeof current !== 'object') {
      issues.push(`${pathOf(visit)}: must be a JSON value (got ${kindOf(current)})`);
      continue;
    }
    if (!isPlainObject(current)) {
      issues.push(`${pathOf(visit)}: must be a JSON object (got ${kindOf(current)})`);
      continue;
    }
    const keys = Object.keys(current);
    for (const key of keys) {
      if (key === FORBIDDEN_KEY) {
        issues.push(`${pathOf(visit, key)}: not allowed as a key (it would set a prototype)`);
      } else if (key.includes('\u0000')) {
        issues.push(`${pathOf(visit, key)}: the key must not contain the NUL character (U+0000)`);
      }
    }
    // Pushed last to first, so that values are visited (and reported) in document order.
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index]!;
      if (key !== FORBIDDEN_KEY && !key.includes('\u0000')) {
        stack.push({ value: current[key], parent: visit, key, depth });
      }
    }
  }
  return issues.slice(0, limit);
}

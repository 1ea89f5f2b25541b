import { makeUsageEvent } from '../testing';
import { jsonTextDepthIssue } from '../parse-json';
import { jsonContentIssues, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-content';
import { parseUsageEvent, parseUsageEventJson } from './parse-usage-event';

const options = { now: new Date('2026-11-23T10:00:00Z') };

describe('jsonContentIssues', () => {
  it('should find nothing in a clean event, null-prototype objects and undefined included', () => {
    const event = makeUsageEvent({
      tags: Object.assign(Object.create(null) as object, { a: 'b' }),
    });
    expect(jsonContentIssues({ ...event, extra: undefined, list: [1, null, true] })).toEqual([]);
  });

  it('should name every NUL by its path, in document order, in values and in keys', () => {
    expect(
      jsonContentIssues({
        id: 'a\u0000',
        attribution: { team: '\u0000' },
        tags: { 'k\u0000': 'v', ok: 'x\u0000' },
        provider_usage: { list: ['fine', 'bad\u0000'] },
      }),
    ).toEqual([
      'id: must not contain the NUL character (U+0000)',
      'attribution.team: must not contain the NUL character (U+0000)',
      'tags["k\\u0000"]: the key must not contain the NUL character (U+0000)',
      'tags.ok: must not contain the NUL character (U+0000)',
      'provider_usage.list[1]: must not contain the NUL character (U+0000)',
    ]);
  });

  it('should refuse a __proto__ own key wherever it is, and stop at the limit', () => {
    const value = JSON.parse(
      '{"__proto__": {"id": "x"}, "usage": {"__proto__": {}}, "a": [{"__proto__": 1}]}',
    ) as unknown;
    expect(jsonContentIssues(value)).toEqual([
      '__proto__: not allowed as a key (it would set a prototype)',
      'usage.__proto__: not allowed as a key (it would set a prototype)',
      'a[0].__proto__: not allowed as a key (it would set a prototype)',
    ]);
    expect(jsonContentIssues(value, 1)).toHaveLength(1);
  });

  it('should refuse what JSON cannot hold: class instances, functions, symbols, bigints', () => {
    expect(
      jsonContentIssues({
        at: new Date(0),
        fn: () => 1,
        big: 1n,
        nested: { map: new Map() },
      }),
    ).toEqual([
      'at: must be a JSON object (got a Date)',
      'fn: must be a JSON value (got function)',
      'big: must be a JSON value (got bigint)',
      'nested.map: must be a JSON object (got a Map)',
    ]);
  });

  it('should refuse nesting deeper than MAX_JSON_DEPTH, however deep, without recursing', () => {
    const nest = (levels: number) => {
      let deep: unknown = 'end';
      for (let index = 0; index < levels; index += 1) deep = index % 2 ? [deep] : { k: deep };
      return deep;
    };
    expect(jsonContentIssues(nest(MAX_JSON_DEPTH))).toEqual([]);
    expect(jsonContentIssues(nest(MAX_JSON_DEPTH + 1))).toEqual([
      'k: nested more than 64 levels deep',
    ]);
    const text = `[1, ${'['.repeat(400_000)}${']'.repeat(400_000)}]`;
    expect(jsonContentIssues(JSON.parse(text))).toEqual(['[1]: nested more than 64 levels deep']);
    // A scan of the text words it the same, before JSON.parse builds 400,000 arrays.
    expect(jsonTextDepthIssue(text, MAX_JSON_DEPTH)).toBe('[1]: nested more than 64 levels deep');
  });

  it('should stop walking past MAX_JSON_VALUES values', () => {
    const many = { provider_usage: Array.from({ length: MAX_JSON_VALUES }, () => 1) };
    expect(jsonContentIssues(many)).toEqual(['(root): more than 50000 values']);
    many.provider_usage.pop();
    many.provider_usage.pop();
    expect(jsonContentIssues(many)).toEqual([]);
  });

  it('should cut a long key in a path', () => {
    const [issue] = jsonContentIssues({ tags: { ['k'.repeat(10_000)]: '\u0000' } });
    expect(issue).toBe(`tags["${'k'.repeat(64)}…"]: must not contain the NUL character (U+0000)`);
  });
});

describe('NUL and __proto__ through the parser', () => {
  it('should answer the same over text, bytes and a parsed value', () => {
    const event = makeUsageEvent({ model: 'gpt\u0000' });
    const text = JSON.stringify(event);
    const answers = [
      parseUsageEvent(event, options),
      parseUsageEventJson(text, options),
      parseUsageEventJson(Buffer.from(text), options),
    ];
    for (const answer of answers) {
      expect(answer).toMatchObject({
        ok: false,
        reason: 'model: must not contain the NUL character (U+0000)',
        details: { id: event.id },
      });
    }
  });

  it('should refuse a prototype set by assignment (a literal copied into a plain object)', () => {
    const smuggled = {} as Record<string, unknown>;
    Object.setPrototypeOf(smuggled, makeUsageEvent());
    const result = parseUsageEvent(smuggled, options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(
      '(root): must be a JSON object (got an object with a prototype of its own)',
    );
  });
});

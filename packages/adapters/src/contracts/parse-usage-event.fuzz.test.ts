// Generated inputs for the usage-event parser (fast-check): mutations of realistic events,
// arbitrary JSON and JavaScript values, random and corrupted bytes. Whatever comes in, the
// parser answers — a valid event or a reason naming the field — and never throws; "__proto__"
// never reaches an event or Object.prototype; text, bytes and parsed values get one answer;
// and the largest inputs a body may be are read in bounded time (the event loop's stall).
import fc from 'fast-check';
import { makeUsageEvent, realisticUsageEvents } from '../testing';
import { clone, setOwn } from '../__fixtures__/own-keys';
import { MAX_JSON_DEPTH } from './json-content';
import {
  parseUsageEvent,
  parseUsageEventJson,
  type ParseUsageEventResult,
} from './parse-usage-event';
import { USAGE_EVENT_WIRE_KEYS } from './usage-event';

const now = new Date('2026-11-23T10:00:00Z');
const options = { now, maxAgeMs: 400 * 86_400_000, maxFutureSkewMs: 300_000 };
/**
 * Bound on one parse of a body of the largest size (1 MiB): the longest the event loop may
 * stall on one message. V8's own JSON.parse of such a body takes 100–150 ms on this project's
 * machine (80,000 keys); what the parser adds must stay small and linear, never a blow-up.
 */
const STALL_BOUND_MS = 500;

/** The CPU time this process used since `start`, in milliseconds. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const BASES: Record<string, unknown>[] = [
  makeUsageEvent() as Record<string, unknown>,
  makeUsageEvent({ source: undefined, tags: undefined, attribution: undefined }) as Record<
    string,
    unknown
  >,
  ...([...realisticUsageEvents(40, 5, { providerUsageShare: 0.5 })] as Record<string, unknown>[]),
];

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const NESTED_KEYS: Record<string, string[]> = {
  usage: ['input_tokens', 'output_tokens', 'units', 'prompt_tokens', ...HOSTILE_KEYS],
  attribution: ['team', 'customer', 'user', 'virtual_key', ...HOSTILE_KEYS],
  tags: ['region', '', 'k\u0000', ...HOSTILE_KEYS],
  reported_cost: ['amount', 'currency', ...HOSTILE_KEYS],
  provider_usage: ['prompt_tokens', 'input_tokens', 'usageMetadata', 'model', ...HOSTILE_KEYS],
};
const TOP_KEYS = [...USAGE_EVENT_WIRE_KEYS, ...HOSTILE_KEYS, 'unknown_field'];

/** Values chosen to hit edges: bounds, types, NUL, lone surrogates, hostile shapes. */
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    'a\u0000b',
    '\u0000',
    'lone \ud800',
    '🚀',
    '2026-11-23T09:30:00Z',
    '0001-01-01T00:00:00Z',
    '2026-02-30T10:00:00Z',
    '9999-12-31T23:59:59Z',
    '2026-11-23T11:30:00+24:00',
    'openai',
    'anthropic',
    'openai-chat',
    'error',
    'USD',
    '0.0025',
    '1e-7',
    -1,
    0,
    1.5,
    1e9,
    1e9 + 1,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    null,
    [],
    {},
    { input_tokens: 5 },
    { units: { constructor: 1 } },
    { amount: '0.1', currency: 'eur' },
  ),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

type Json = Record<string, unknown>;

interface Mutation {
  top: string;
  inner?: string;
  value: unknown;
  remove: boolean;
}

const mutation: fc.Arbitrary<Mutation> = fc
  .record({
    top: fc.constantFrom(...TOP_KEYS),
    innerIndex: fc.nat(20),
    nested: fc.boolean(),
    value: nastyValue,
    remove: fc.nat(9).map((roll) => roll < 2),
  })
  .map(({ top, innerIndex, nested, value, remove }) => {
    const inner =
      nested && NESTED_KEYS[top]
        ? NESTED_KEYS[top][innerIndex % NESTED_KEYS[top].length]
        : undefined;
    return { top, inner, value, remove };
  });

function apply(event: Json, change: Mutation): void {
  let target = event;
  let key = change.top;
  if (change.inner !== undefined) {
    const holder = event[change.top];
    if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) {
      setOwn(event, change.top, {});
    }
    target = event[change.top] as Json;
    key = change.inner;
  }
  if (change.remove) delete target[key];
  else setOwn(target, key, change.value);
}

const mutatedEvent = fc
  .record({
    base: fc.nat(BASES.length - 1),
    changes: fc.array(mutation, { minLength: 0, maxLength: 4 }),
    envelope: fc.nat(9).map((roll) => roll === 0),
  })
  .map(({ base, changes, envelope }) => {
    const event = clone(BASES[base]!);
    for (const change of changes) apply(event, change);
    return { value: envelope ? wrapInCloudEvent(event) : event, changes, envelope };
  });

/** A CloudEvents 1.0 structured envelope holding the event. */
function wrapInCloudEvent(event: Json): Json {
  return {
    specversion: '1.0',
    id: 'ce-1',
    source: 'gateway',
    type: 'purser.usage.v1',
    datacontenttype: 'application/json',
    data: event,
  };
}

/** Every string and key of a value, walked without recursion. */
function* strings(value: unknown): Generator<string> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') yield current;
    else if (current !== null && typeof current === 'object') {
      for (const key of Object.keys(current)) {
        yield key;
        stack.push((current as Json)[key]);
      }
    }
  }
}

function hasOwnProtoAnywhere(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object' || current instanceof Date) continue;
    const prototype: unknown = Object.getPrototypeOf(current);
    if (!Array.isArray(current) && prototype !== Object.prototype && prototype !== null)
      return true;
    if (Object.hasOwn(current, '__proto__')) return true;
    for (const key of Object.keys(current)) stack.push((current as Json)[key]);
  }
  return false;
}

/** What every answer must be, whatever the input. */
function expectWellFormed(result: ParseUsageEventResult): void {
  if (!result.ok) {
    // "<field or position>: <what is wrong>", on every line.
    expect(result.reason).toMatch(/^\S[^\n]*?: \S/);
    for (const issue of result.details.issues) expect(issue).toMatch(/^\S[^\n]*?: \S/);
    return;
  }
  const { event } = result;
  expect(typeof event.id === 'string' && event.id.length > 0).toBe(true);
  expect(typeof event.source === 'string' && event.source.length > 0).toBe(true);
  const at = event.timestamp.getTime();
  expect(at).toBeGreaterThanOrEqual(now.getTime() - options.maxAgeMs);
  expect(at).toBeLessThanOrEqual(now.getTime() + options.maxFutureSkewMs);
  for (const text of strings(event)) expect(text.includes('\u0000')).toBe(false);
  expect(hasOwnProtoAnywhere(event)).toBe(false);
  expect(Object.getPrototypeOf(event.usage)).toBe(Object.prototype);
  expect(Object.getPrototypeOf(event.attribution)).toBe(Object.prototype);
}

/** Parses, failing the test with the input should the parser throw. */
function parse(input: unknown): ParseUsageEventResult {
  return typeof input === 'string' || input instanceof Uint8Array
    ? parseUsageEventJson(input, options)
    : parseUsageEvent(input, options);
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();

describe('parseUsageEvent under generated input', () => {
  const before = prototypeKeys();
  afterAll(() => {
    // Nothing any input did reached Object.prototype.
    expect(prototypeKeys()).toEqual(before);
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('should answer every mutated event with a valid event or a reason naming the field', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(mutatedEvent, ({ value, changes, envelope }) => {
        const result = parse(value);
        expectWellFormed(result);
        if (result.ok) {
          accepted += 1;
          return;
        }
        rejected += 1;
        // One change to a valid event: the reason names the field changed (or the one it
        // made required, such as usage_format for provider_usage).
        if (changes.length === 1 && !envelope) {
          const [change] = changes;
          const top = change!.top;
          const related = [top, ...(Object.hasOwn(RELATED, top) ? RELATED[top]! : [])];
          expect(related.some((field) => result.reason.includes(field))).toBe(true);
        }
      }),
      { numRuns: 4000, seed: 20261207 },
    );
    // Both answers are exercised, many times.
    expect(accepted).toBeGreaterThan(400);
    expect(rejected).toBeGreaterThan(400);
  });

  it('should give one answer for a value, its JSON text, its bytes and a null-prototype copy', () => {
    fc.assert(
      fc.property(mutatedEvent, ({ value }) => {
        const text = JSON.stringify(value);
        const parsed = JSON.parse(text) as unknown;
        const answer = parseUsageEvent(parsed, options);
        expect(parseUsageEventJson(text, options)).toEqual(answer);
        expect(parseUsageEventJson(Buffer.from(text), options)).toEqual(answer);
        // GraphQL literals arrive as null-prototype objects.
        expect(parseUsageEvent(nullPrototypeCopy(parsed), options)).toEqual(answer);
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('should answer arbitrary values, null-prototype and hostile objects included', () => {
    fc.assert(
      fc.property(
        fc.anything({
          maxDepth: 4,
          withNullPrototype: true,
          withObjectString: true,
          withBoxedValues: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withTypedArray: true,
          withSparseArray: true,
          key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...HOSTILE_KEYS, 'id')),
        }),
        (value) => expectWellFormed(parseUsageEvent(value, options)),
      ),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('should answer random bytes and corrupted JSON text without throwing', () => {
    const valid = BASES.map((event) => Buffer.from(JSON.stringify(event)));
    const corrupted = fc
      .record({
        base: fc.nat(valid.length - 1),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
      })
      .map(({ base, at, bytes }) => {
        const text = valid[base]!;
        const index = at % text.length;
        return Buffer.concat([text.subarray(0, index), bytes, text.subarray(index + bytes.length)]);
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), corrupted, fc.string()), (input) =>
        expectWellFormed(parse(input)),
      ),
      { numRuns: 3000, seed: 3 },
    );
  });
});

describe('parseUsageEvent on the largest inputs', () => {
  const MiB = 1024 * 1024;
  const base = JSON.stringify(makeUsageEvent()).slice(0, -1);
  const within = (bytes: number) => bytes - base.length - 64;
  const keys = (count: number, entry: (index: number) => string) =>
    Array.from({ length: count }, (_, index) => entry(index)).join(',');
  // [name, the body, whether it is a valid event]
  const cases: [string, () => string, boolean][] = [
    [
      'arrays nested as deep as a body allows',
      () => `${'['.repeat(MiB / 2 - 8)}${']'.repeat(MiB / 2 - 8)}`,
      false,
    ],
    [
      'provider_usage nested as deep as a body allows',
      () =>
        `${base}, "provider_usage": ${'{"a":'.repeat(within(MiB) / 6)}1${'}'.repeat(within(MiB) / 6)}}`,
      false,
    ],
    ['80,000 unknown fields', () => `${base}, ${keys(80_000, (index) => `"k${index}":1`)}}`, false],
    [
      '60,000 units',
      () =>
        `${base.replace('"input_tokens":93', `"units":{${keys(60_000, (index) => `"u${index}":1`)}}`)}}`,
      false,
    ],
    [
      '60,000 tags',
      () =>
        `${base.replace('"tags":{}', `"tags":{${keys(60_000, (index) => `"t${index}":"v"`)}}`)}}`,
      false,
    ],
    ['an id of a million characters', () => `${base}, "id": "${'x'.repeat(within(MiB))}"}`, false],
    [
      'a million escaped NULs',
      () => `${base}, "model": "${'\\u0000'.repeat(within(MiB) / 6)}"}`,
      false,
    ],
    ['40,000 __proto__ keys', () => `${base}, ${keys(40_000, () => '"__proto__":{}')}}`, false],
    [
      '30,000 objects in provider_usage',
      () => `${base}, "provider_usage": [${keys(30_000, () => '{"a":[1,"\\u0041"]}')}]}`,
      false,
    ],
  ];

  it.each(cases)('should answer %s within the stall bound', (_name, make, valid) => {
    const text = make();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MiB);
    parseUsageEventJson(text.slice(0, 1000), options); // warm the code paths up
    // CPU time, not wall time: a process waiting for a core on a loaded machine is no stall of
    // the parser's making (one CI run read 1.4 s of wall time for this parse).
    const start = process.cpuUsage();
    const result = parseUsageEventJson(text, options);
    const stalled = cpuMsSince(start);
    expectWellFormed(result);
    expect(result.ok).toBe(valid);
    // The bound grows with what V8's own parse of the same text takes in the same moment (a
    // blow-up is many times that, never 4x).
    const reference = process.cpuUsage();
    try {
      JSON.parse(text);
    } catch {
      // the malformed cases: V8 still read the text up to its error
    }
    const native = cpuMsSince(reference);
    expect(stalled).toBeLessThan(Math.max(STALL_BOUND_MS, 4 * native));
  });

  it('should refuse, not walk, nesting past MAX_JSON_DEPTH whatever the path', () => {
    let value: unknown = 1;
    for (let index = 0; index <= MAX_JSON_DEPTH; index += 1) value = { a: value };
    const result = parseUsageEvent({ ...makeUsageEvent(), provider_usage: value }, options);
    expect(result).toMatchObject({
      ok: false,
      reason: 'provider_usage: nested more than 64 levels deep',
    });
  });
});

/** Fields whose change another field's error may stand for. */
const RELATED: Record<string, string[]> = {
  provider_usage: ['usage_format', 'usage', 'provider', 'model'],
  usage_format: ['provider_usage', 'usage'],
  provider: ['provider_usage', 'usage_format', 'usage'],
  model: ['provider_usage'],
  usage: ['provider_usage', 'usage_format'],
  status: ['usage'],
  cache_hit: ['usage'],
  source: ['(root)'],
  constructor: ['(root)'],
  prototype: ['(root)'],
  toString: ['(root)'],
  hasOwnProperty: ['(root)'],
};

function nullPrototypeCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullPrototypeCopy);
  if (value === null || typeof value !== 'object') return value;
  const out = Object.create(null) as Json;
  for (const key of Object.keys(value)) out[key] = nullPrototypeCopy((value as Json)[key]);
  return out;
}

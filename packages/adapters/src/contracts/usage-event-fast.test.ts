import fc from 'fast-check';

import { TOKEN_KEYS } from '@purser/pricing';
import {
  checkTwin,
  expectEquivalent,
  type FastTwin,
  type PathTaken,
} from '@purser/pricing/testing';

import { createRandom, fullWireOutcome, makeUsageEvent, realisticUsageEvents } from '../testing';
import { clone, setOwn } from '../__fixtures__/own-keys';
import { ATTRIBUTION_KEYS, usageEventWireSchema, wireUsageSchema } from './usage-event';
import { fastUsageEventWire, fastWireUsage } from './usage-event-fast';

type Json = Record<string, unknown>;

/** The wire event's fast path and the schema it must equal. */
const WIRE_EVENT: FastTwin<Json, unknown> = {
  fast: fastUsageEventWire,
  reference: (input) => usageEventWireSchema.safeParse(input, { reportInput: true }),
  compare: (fast, schema) => {
    expect(fast).toStrictEqual(schema);
    // Same keys in the same order, all the way down.
    expect(JSON.stringify(fast)).toBe(JSON.stringify(schema));
  },
};

/** The fast path either answers exactly the schema's output or stands aside. */
function expectSameAsSchema(input: Json): PathTaken {
  return checkTwin(WIRE_EVENT, input);
}

const long = (length: number) => 'x'.repeat(length);

/** Values that sit on or just past every bound of the schema, and every wrong type. */
const NASTY: unknown[] = [
  undefined,
  null,
  '',
  'x',
  ' ',
  long(32),
  long(33),
  long(64),
  long(65),
  long(128),
  long(129),
  long(256),
  long(257),
  long(512),
  long(513),
  -1,
  -0,
  0,
  0.5,
  1,
  3,
  999,
  1000,
  1001,
  1_000_000,
  1_000_000.5,
  1_000_001,
  86_400_000,
  86_400_000.5,
  86_400_001,
  1e9,
  1e9 + 1,
  1e12,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  [],
  [1, 'a'],
  [undefined],
  {},
  { a: 1 },
  { amount: '0.1', currency: 'usd' },
  { amount: 0.1, currency: 'EUR' },
  { amount: '1e-7', currency: 'USD' },
  { amount: '0.0025', currency: 'US' },
  { amount: '01', currency: 'USD' },
  { amount: '0.0025', currency: 'usd', extra: true },
  { input_tokens: 5 },
  { input_tokens: 5, prompt_tokens: 3 },
  { input_tokens: -5 },
  { input_tokens: 1.5 },
  { units: { web_search_requests: 2 } },
  { units: { '': 1 } },
  { units: { images: -1 } },
  { units: { images: 0.25 } },
  { units: [] },
  { team: 'search', unknown_key: 'x' },
  { team: null },
  { team: '' },
  { team: long(256), user: 'u' },
  { team: long(257) },
  { region: 'eu' },
  { region: 5 },
  { '': 'empty key' },
  { [long(128)]: long(512) },
  { [long(129)]: 'v' },
  { k: long(513) },
  Object.fromEntries(Array.from({ length: 64 }, (_, index) => [`k${index}`, 'v'])),
  Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`k${index}`, 'v'])),
  Object.assign(Object.create(null) as Json, { team: 'search' }),
  JSON.parse('{"__proto__": {"team": "x"}, "team": "y"}') as Json,
  new Date('2026-11-23T09:30:00Z'),
  'success',
  'error',
  'SUCCESS',
  'openai',
  'USD',
  'usd',
  'anthropic-messages',
  '2026-11-23T09:30:00Z',
  '2026-11-23T09:30:00.123456789Z',
  '2026-11-23T11:30:00+02:00',
  '2026-11-23T11:30:00-23:59',
  '2026-11-23T11:30:00+24:00',
  '2026-11-23T11:30:00+0200',
  '2026-11-23 09:30:00Z',
  '2026-11-23T09:30Z',
  '2026-11-23T09:30:00',
  '2026-11-23T24:00:00Z',
  '2026-11-23T23:59:60Z',
  '2024-02-29T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-11-23T09:30:00.Z',
  '2026-11-23t09:30:00z',
  '\u00a0',
  '€',
];

const TOP_LEVEL_KEYS = [
  'id',
  'source',
  'timestamp',
  'provider',
  'model',
  'operation',
  'usage',
  'provider_usage',
  'usage_format',
  'attribution',
  'tags',
  'latency_ms',
  'status',
  'error_type',
  'retry_count',
  'cache_hit',
  'reported_cost',
  'decision_id',
  'batch',
  'unknown_field',
  '__proto__',
];

const NESTED_KEYS: Record<string, string[]> = {
  usage: [...TOKEN_KEYS, 'units', 'prompt_tokens'],
  attribution: [...ATTRIBUTION_KEYS, 'other'],
  tags: ['region', 'env', '', long(128), long(129)],
  reported_cost: ['amount', 'currency', 'extra'],
  provider_usage: ['prompt_tokens', 'input_tokens'],
};

/** A realistic event with every optional field set, so that every branch has something to break. */
function fullEvent(index: number): Json {
  return {
    ...(makeUsageEvent({ id: `evt_full_${index}` }) as Json),
    provider_usage: { prompt_tokens: 1117, completion_tokens: 46 },
    usage_format: 'openai-chat',
    usage: {
      input_tokens: 93,
      cache_read_tokens: 1024,
      cache_write_tokens: 10,
      cache_write_1h_tokens: 4,
      output_tokens: 46,
      reasoning_tokens: 20,
      units: { web_search_requests: 2, images: 0.5 },
    },
    attribution: {
      team: 'search',
      feature: 'autocomplete',
      environment: 'production',
      customer: 'acme',
      project: 'p',
      user: 'u',
      agent: 'a',
      session: 's',
      virtual_key: 'vk',
      request_path: '/v1/chat',
    },
    tags: { region: 'eu', tier: '' },
    ...fullWireOutcome(),
  };
}

/** Sets (or deletes, for `undefined` with `remove`) one field of `event`, maybe nested. */
function mutate(event: Json, random: () => number): void {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const value = NASTY[Math.floor(random() * NASTY.length)];
  const remove = random() < 0.1;
  const topKey = pick(TOP_LEVEL_KEYS);
  const nested = Object.hasOwn(NESTED_KEYS, topKey) ? NESTED_KEYS[topKey] : undefined;
  let target: Json = event;
  let key = topKey;
  if (nested && random() < 0.6) {
    const current = event[topKey];
    if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
      target = current as Json;
      key = pick(nested);
    } else if (topKey === 'usage' && random() < 0.5) {
      const units = (event.usage as Json | undefined)?.units;
      if (units !== null && typeof units === 'object') {
        target = units as Json;
        key = pick(['web_search_requests', 'images', '', '__proto__']);
      }
    }
  }
  if (remove) delete target[key];
  else if (key === '__proto__') setOwn(target, key, value);
  else target[key] = value;
}

describe('fastUsageEventWire', () => {
  it('should answer the schema output for every realistic event, without standing aside', () => {
    const events = [
      ...realisticUsageEvents(3000, 7, { providerUsageShare: 0.3 }),
      makeUsageEvent(),
      makeUsageEvent({ source: undefined, status: undefined, tags: undefined }),
      ...Array.from({ length: 5 }, (_, index) => fullEvent(index)),
    ];
    for (const event of events) expect(expectSameAsSchema(event as Json)).toBe('fast');
  });

  it('should upper-case the currency, apply defaults and drop unknown keys as the schema does', () => {
    const fast = fastUsageEventWire({
      id: 'e',
      timestamp: '2026-11-23T09:30:00Z',
      extra: 1,
      attribution: { team: 't', other: 'x' },
      reported_cost: { amount: '1.5', currency: 'eur', note: 'x' },
    });
    expect(fast).toStrictEqual({
      id: 'e',
      source: 'default',
      timestamp: '2026-11-23T09:30:00Z',
      attribution: { team: 't' },
      status: 'success',
      reported_cost: { amount: '1.5', currency: 'EUR' },
    });
  });

  it('should stand aside for what the schema must word or convert', () => {
    const base = makeUsageEvent() as Json;
    for (const input of [
      { ...base, usage: { input_tokens: -5 } },
      { ...base, usage: { prompt_tokens: 5 } },
      { ...base, timestamp: '2026-02-29T00:00:00Z' },
      { ...base, id: '' },
      { ...base, id: undefined },
      { ...base, latency_ms: Number.NaN },
      { ...base, reported_cost: { amount: 0.1, currency: 'USD' } },
      { ...base, tags: { region: 5 } },
      { ...base, attribution: { team: null } },
    ]) {
      expect(fastUsageEventWire(input)).toBeUndefined();
    }
  });

  it('should agree with the schema over many mutations of realistic events', () => {
    const random = createRandom(20261123);
    const bases: Json[] = [
      ...([...realisticUsageEvents(200, 11, { providerUsageShare: 0.3 })] as Json[]),
      ...Array.from({ length: 50 }, (_, index) => fullEvent(index)),
    ];
    const counts = { fast: 0, schema: 0, rejected: 0 };
    for (let round = 0; round < 40; round += 1) {
      for (const base of bases) {
        const event = clone(base);
        const mutations = 1 + Math.floor(random() * 3);
        for (let index = 0; index < mutations; index += 1) mutate(event, random);
        const outcome = expectSameAsSchema(event);
        counts[outcome] += 1;
        if (!usageEventWireSchema.safeParse(event).success) counts.rejected += 1;
      }
    }
    // The mutations must exercise both sides: many accepted fast, many left to the schema.
    expect(counts.fast).toBeGreaterThan(1000);
    expect(counts.schema).toBeGreaterThan(1000);
    expect(counts.rejected).toBeGreaterThan(1000);
  });

  it('should agree with the schema on each single field set to each awkward value', () => {
    const bases = [makeUsageEvent() as Json, fullEvent(0)];
    let fast = 0;
    for (const base of bases) {
      for (const key of TOP_LEVEL_KEYS) {
        for (const value of NASTY) {
          const event = clone(base);
          if (key === '__proto__') setOwn(event, key, value);
          else event[key] = value;
          if (expectSameAsSchema(event) === 'fast') fast += 1;
          const nested = Object.hasOwn(NESTED_KEYS, key) ? NESTED_KEYS[key] : undefined;
          const holder = base[key];
          if (!nested || holder === null || typeof holder !== 'object') continue;
          for (const inner of nested) {
            const deep = clone(base);
            (deep[key] as Json)[inner] = value;
            if (expectSameAsSchema(deep) === 'fast') fast += 1;
          }
        }
      }
    }
    expect(fast).toBeGreaterThan(200);
  });

  it('should check converted usage as the wire usage schema does', () => {
    const random = createRandom(99);
    let fast = 0;
    for (let round = 0; round < 3000; round += 1) {
      const event = fullEvent(round);
      for (let index = 0; index < Math.floor(random() * 3); index += 1) {
        const usage = event.usage as Json;
        const units = usage.units as Json;
        const unitsIsObject = units !== null && typeof units === 'object' && !Array.isArray(units);
        const target = random() < 0.7 || !unitsIsObject ? usage : units;
        const keys = target === usage ? NESTED_KEYS.usage! : ['web_search_requests', 'images', ''];
        target[keys[Math.floor(random() * keys.length)]!] =
          NASTY[Math.floor(random() * NASTY.length)];
      }
      const schema = wireUsageSchema.safeParse(event.usage);
      const checked = fastWireUsage(event.usage);
      if (checked === undefined) continue;
      fast += 1;
      expect(schema.success).toBe(true);
      expect(checked).toStrictEqual(schema.data);
      expect(JSON.stringify(checked)).toBe(JSON.stringify(schema.data));
    }
    expect(fast).toBeGreaterThan(800);
  });
});

describe('fastUsageEventWire on generated inputs', () => {
  const bases: Json[] = [
    ...([...realisticUsageEvents(50, 13, { providerUsageShare: 0.3 })] as Json[]),
    ...Array.from({ length: 10 }, (_, index) => fullEvent(index)),
  ];
  const nested = Object.entries(NESTED_KEYS).flatMap(([top, keys]) =>
    keys.map((key) => [top, key] as const),
  );
  /** A field (maybe nested) set to an awkward or arbitrary value, or removed. */
  const edit = fc.tuple(
    fc.oneof(
      fc.constantFrom(...TOP_LEVEL_KEYS).map((key) => [key] as const),
      fc.constantFrom(...nested),
    ),
    fc.oneof(fc.constantFrom(...NASTY), fc.jsonValue(), fc.anything()),
    fc.boolean(),
  );
  const events = fc
    .tuple(fc.constantFrom(...bases), fc.array(edit, { maxLength: 3 }))
    .map(([base, edits]) => {
      const event = clone(base);
      for (const [path, value, remove] of edits) {
        const holder = path.length === 2 ? event[path[0]] : event;
        if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) continue;
        const key = path[path.length - 1]!;
        if (remove) delete (holder as Json)[key];
        else setOwn(holder, key, value);
      }
      return event;
    });

  it('should answer the schema output or stand aside for every generated event', () => {
    const { fast, schema } = expectEquivalent({ ...WIRE_EVENT, arbitrary: events, runs: 3000 });
    expect(fast).toBeGreaterThan(300);
    expect(schema).toBeGreaterThan(300);
  });

  it('should check generated usage as the wire usage schema does', () => {
    /** Mostly a valid value, sometimes an awkward one. */
    const mostly = (valid: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { weight: 6, arbitrary: valid },
        { weight: 1, arbitrary: fc.constantFrom(...NASTY) },
      );
    const usage = fc.oneof(
      {
        weight: 9,
        arbitrary: fc.record(
          {
            input_tokens: mostly(fc.nat()),
            output_tokens: mostly(fc.nat()),
            cache_read_tokens: mostly(fc.integer({ min: 0, max: 2_000_000_000 })),
            reasoning_tokens: mostly(fc.nat()),
            units: mostly(
              fc.dictionary(
                fc.string({ minLength: 1, maxLength: 70 }),
                fc.double({ min: 0, max: 2e6 }),
                { maxKeys: 4 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const { fast, schema } = expectEquivalent({
      fast: fastWireUsage,
      reference: (value: unknown) => wireUsageSchema.safeParse(value),
      arbitrary: usage,
      runs: 3000,
    });
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(100);
  });
});

import { toPolicyJson } from './policy-json';

describe('toPolicyJson', () => {
  it.each([
    [{ amount: 50_000_000_000_000_000_000n }, '{"amount":50000000000000000000}'],
    [{ a: 'x"y', b: [1, null, true], c: undefined }, '{"a":"x\\"y","b":[1,null,true]}'],
    [[1n, undefined], '[1,null]'],
  ])('should write %p as %s', (value, expected) => {
    expect(toPolicyJson(value)).toBe(expected);
  });

  it('should refuse a non-finite number', () => {
    expect(() => toPolicyJson({ a: Number.NaN })).toThrow(TypeError);
  });
});

describe('toPolicyJson and strings', () => {
  it('should write negative and very large bigints bare, and leave every string a string', () => {
    const sneaky = `\u0000${'0'.repeat(24)}:123`;
    expect(toPolicyJson({ a: -5n, b: 10n ** 30n, c: sneaky, d: '123', e: ['1', 2n] })).toBe(
      `{"a":-5,"b":1000000000000000000000000000000,"c":${JSON.stringify(sneaky)},"d":"123","e":["1",2]}`,
    );
  });

  it('should write nested objects and arrays as JSON.stringify does, apart from bigints', () => {
    const value = {
      request: { model: 'gpt-4o', attribution: { team: 'a\nb', user: 'é' }, metadata: {} },
      budgets: [{ limit_nanos: 1n, soft_thresholds: [0.8, 0.95], resets_at: null }],
      skipped: undefined,
    };
    expect(toPolicyJson(value)).toBe(
      JSON.stringify(value, (_key, field: unknown) =>
        typeof field === 'bigint' ? Number(field) : field,
      ),
    );
  });
});

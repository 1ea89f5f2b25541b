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

import { wellFormed, wellFormedJson } from './well-formed';

describe('text Postgres takes in JSON', () => {
  it('should replace lone surrogates and keep pairs and plain text', () => {
    expect(wellFormed('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(wellFormed('🚀 \ud83d\ude80 plain')).toBe('🚀 🚀 plain');
  });

  it('should write JSON whose strings are all well formed, keys and nested values included', () => {
    const value = { team: 'x\ud800', nested: [{ note: '\udfff' }], fine: 'é 🚀', n: 1 };
    expect(JSON.parse(wellFormedJson(value))).toEqual({
      team: 'x\ufffd',
      nested: [{ note: '\ufffd' }],
      fine: 'é 🚀',
      n: 1,
    });
    expect(wellFormedJson(value)).not.toMatch(/\\ud[89a-f]/i);
  });

  it('should leave JSON with a literal backslash-u text as it is', () => {
    const value = { text: 'literal \\ud800 text' };
    expect(wellFormedJson(value)).toBe(JSON.stringify(value));
  });
});

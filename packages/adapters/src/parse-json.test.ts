import { z } from 'zod';

import { locateJsonSyntaxError, parseJson } from './parse-json';

const schema = z.object({ id: z.string().min(1), count: z.number().int().nonnegative() });

describe('parseJson', () => {
  it('should return the validated value', () => {
    expect(parseJson('{"id":"a","count":2,"extra":true}', schema)).toEqual({
      ok: true,
      value: { id: 'a', count: 2 },
    });
  });

  it('should accept a Buffer', () => {
    const result = parseJson(Buffer.from('{"id":"é","count":0}'), schema);
    expect(result).toEqual({ ok: true, value: { id: 'é', count: 0 } });
  });

  it('should say invalid JSON with line, column and position', () => {
    const result = parseJson('{\n  "id": "a",\n  "count": }', schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe('invalid_json');
    expect(result.position).toBe(26);
    expect(result.message).toMatch(/^invalid JSON at line 3, column 12 \(position 26\): /);
  });

  it('should name the field of a schema violation and what it got', () => {
    const result = parseJson('{"id":"","count":-5}', schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe('schema');
    expect(result.issues).toHaveLength(2);
    expect(result.issues[0]).toMatch(/^id: .*\(got ""\)$/);
    expect(result.issues[1]).toMatch(/^count: .*\(got -5\)$/);
  });

  it('should reject a body above the size limit before parsing', () => {
    const result = parseJson('{"id":"abcdef","count":1}', schema, { maxBytes: 10 });
    expect(result).toMatchObject({ ok: false, kind: 'too_large' });
  });
});

describe('locateJsonSyntaxError', () => {
  it.each([
    ['', 0, 'unexpected end of input'],
    ['{"a":1,}', 7, 'expected a property name in double quotes'],
    ['[1 2]', 3, "expected ',' or ']' in an array"],
    ['{"a":tru}', 8, 'expected "true"'],
    ['{"a":"x\\q"}', 8, 'invalid escape sequence'],
    ['{"a":1} x', 8, 'unexpected data after the JSON value'],
    ['{"a":-}', 5, 'invalid number'],
    ["{'a':1}", 1, 'expected a property name in double quotes'],
    ['"abc', 4, 'unterminated string'],
  ])('should locate the error in %j at %d', (text, position, problem) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(locateJsonSyntaxError(text)).toMatchObject({ position, problem });
  });
});

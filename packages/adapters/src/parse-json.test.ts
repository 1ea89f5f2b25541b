import { z } from 'zod';

import { firstInvalidUtf8Offset, locateJsonSyntaxError, parseJson } from './parse-json';

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

describe('a syntax error quoting control characters', () => {
  it('should escape them in the message, which a dead letter and a log can then hold', () => {
    const result = parseJson('\u0000\u0000x', schema);
    expect(result).toMatchObject({ ok: false, kind: 'invalid_json' });
    if (result.ok) return;
    expect(result.message).toContain('\\u0000');
    expect(result.message).not.toContain('\u0000');
  });
});

describe('strict UTF-8', () => {
  it('should refuse bytes that are not UTF-8 instead of reading U+FFFD', () => {
    const bytes = Buffer.from('{"id":"caf\u00e9","count":0}', 'latin1');
    expect(parseJson(bytes, schema)).toEqual({
      ok: false,
      kind: 'invalid_utf8',
      message: '(body): not valid UTF-8 (invalid byte 0xe9 at byte 10)',
      issues: [],
      position: 10,
    });
  });

  it('should keep a byte-order mark, which JSON refuses as it always has', () => {
    const result = parseJson(Buffer.from('\ufeff{"id":"a","count":0}'), schema);
    expect(result).toMatchObject({ ok: false, kind: 'invalid_json' });
  });

  it.each([
    [
      'ascii and well-formed sequences',
      [0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x9a, 0x80],
      10,
    ],
    ['a lone continuation byte', [0x41, 0x80], 1],
    ['an overlong form', [0xc0, 0xaf], 0],
    ['an overlong three-byte form', [0x41, 0xe0, 0x80, 0xaf], 1],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a truncated sequence', [0x41, 0x42, 0xe2, 0x82], 2],
    ['0xff', [0xff], 0],
  ])('should find the first invalid byte: %s', (_name, bytes, offset) => {
    const data = Uint8Array.from(bytes);
    expect(firstInvalidUtf8Offset(data)).toBe(offset);
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      valid = false;
    }
    expect(valid).toBe(offset === data.length);
  });
});

describe('locateJsonSyntaxError', () => {
  it.each(['[', '{"a":'])(
    'should answer, not overflow the stack, on %s nested 50,000 deep',
    (open) => {
      const text = open.repeat(50_000);
      expect(locateJsonSyntaxError(text)).toMatchObject({
        position: open.length * 1000,
        problem: 'nested more than 1000 levels deep',
      });
      expect(parseJson(text, schema)).toMatchObject({ ok: false, kind: 'invalid_json' });
    },
  );

  it('should still locate an error past many closed containers', () => {
    const text = `[${'[[]],'.repeat(5000)}1,]`;
    expect(locateJsonSyntaxError(text).problem).toBe('unexpected character "]"');
  });

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

import { Readable } from 'node:stream';

import { AdapterError } from '../errors';
import { type CsvField, CsvRecordParser, readCsvRecords } from './focus-csv';

async function parse(
  source: string | Uint8Array | AsyncIterable<string | Uint8Array>,
  maxRecordChars?: number,
): Promise<CsvField[][]> {
  const out: CsvField[][] = [];
  for await (const { record } of readCsvRecords(source, { maxRecordChars })) out.push(record);
  return out;
}

/** Feeds `text` to a parser in chunks of `size` characters. */
function parseInChunks(text: string, size: number): CsvField[][] {
  const parser = new CsvRecordParser();
  const out: CsvField[][] = [];
  for (let start = 0; start < text.length; start += size) {
    parser.push(text.slice(start, start + size), (record) => out.push(record));
  }
  parser.end((record) => out.push(record));
  return out;
}

describe('CsvRecordParser', () => {
  it.each([
    [
      'plain fields',
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'CRLF line ends and no final line end',
      'a,b\r\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'a lone CR line end',
      'a,b\r1,2\r',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    ['an embedded comma', '"x, y",z\n', [['x, y', 'z']]],
    [
      'an embedded newline (LF and CRLF)',
      '"line 1\nline 2","a\r\nb"\n',
      [['line 1\nline 2', 'a\r\nb']],
    ],
    ['doubled quotes', '"say ""hi""",""""\n', [['say "hi"', '"']]],
    [
      'NULL and empty unquoted are null, quoted stay strings',
      'NULL,,"NULL",""\n',
      [[null, null, 'NULL', '']],
    ],
    ['a trailing comma', 'a,\n', [['a', null]]],
    ['blank lines', '\n\na\n\r\n\nb\n', [['a'], ['b']]],
    ['a byte-order mark', '\uFEFFa,b\n', [['a', 'b']]],
    [
      'JSON tags',
      '"{""team"": ""support"", ""k"": ""a,b""}"\n',
      [['{"team": "support", "k": "a,b"}']],
    ],
    ['a quote inside an unquoted field (kept)', 'ab"c,d\n', [['ab"c', 'd']]],
  ])('should read %s', async (_label, text, expected) => {
    expect(await parse(text)).toEqual(expected);
  });

  it('should give the same records whatever the chunk size', () => {
    const text = 'h1,h2,h3\r\n"a,""b""\r\nc",NULL,x\r\n1,,"2"\n"",3,"é ≤ 200k"\r\n';
    const whole = parseInChunks(text, text.length);
    for (const size of [1, 2, 3, 5, 7, 13]) expect(parseInChunks(text, size)).toEqual(whole);
    expect(whole).toEqual([
      ['h1', 'h2', 'h3'],
      ['a,"b"\r\nc', null, 'x'],
      ['1', null, '2'],
      ['', '3', 'é ≤ 200k'],
    ]);
  });

  it('should read a byte stream with multi-byte characters split across chunks', async () => {
    const bytes = Buffer.from('name,value\n"Gemini ≤ 200k",€\n', 'utf8');
    const chunks = Array.from(bytes).map((byte) => Buffer.from([byte]));
    expect(await parse(Readable.from(chunks))).toEqual([
      ['name', 'value'],
      ['Gemini ≤ 200k', '€'],
    ]);
  });

  it.each([
    ['an unclosed quote', 'a,b\n"open,c\n', 'CSV line 2: a quoted field that is never closed'],
    [
      'a character after a closing quote',
      'a\n"x"y\n',
      'CSV line 2: a character other than a comma or a line end after a closing quote',
    ],
    [
      'a record longer than the limit',
      `a\n${'x'.repeat(200)}\n`,
      'CSV line 2: a record longer than 100 characters',
    ],
  ])('should refuse %s with the line number', async (_label, text, message) => {
    const error = await parse(text, 100).catch((caught: unknown) => caught);
    expect(AdapterError.isInstance(error) && error.code).toBe('INVALID_BILLING_FILE');
    expect((error as Error).message).toBe(message);
  });

  it('should refuse bytes that are not UTF-8', async () => {
    await expect(parse(new Uint8Array([0x61, 0x0a, 0xff, 0xfe]))).rejects.toThrow(
      'CSV file: not valid UTF-8',
    );
  });

  it('should parse 1 MB of pathological CSV in linear time (as fast as plain CSV, give or take)', () => {
    // Timed against 1 MB of ordinary rows, runs interleaved and the best of each kept, so a
    // loaded machine slows both alike. A quadratic scan of 1 MB would be thousands of times
    // slower; linear work on these inputs measured 1–5× the baseline.
    const plain = `${'abcdefgh,'.repeat(100)}\n`.repeat(1100);
    for (const text of [
      `"${'""'.repeat(500_000)}"\n`, // one field of doubled quotes
      `${','.repeat(4_000)}\n`.repeat(250), // a million empty fields
      `"${'a\n'.repeat(500_000)}"\n`, // one field of newlines
      `${'x'.repeat(1_000_000)}\n`, // one unquoted field
    ]) {
      let baseline = Number.POSITIVE_INFINITY;
      let pathological = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 4; run += 1) {
        let started = performance.now();
        parseInChunks(plain, 64 * 1024);
        baseline = Math.min(baseline, performance.now() - started);
        started = performance.now();
        expect(parseInChunks(text, 64 * 1024).length).toBeGreaterThan(0);
        pathological = Math.min(pathological, performance.now() - started);
      }
      expect(pathological).toBeLessThan(Math.max(20 * baseline, 50));
    }
  });
});

import { AdapterError } from '../errors';
import type { FocusSource } from './focus-import-result';

/**
 * A CSV field: a string, or null for an unquoted `NULL` (the FOCUS sample data's null) or
 * an unquoted empty field (Microsoft's exports). A quoted `"NULL"` or `""` stays a string.
 */
export type CsvField = string | null;

/** Options of {@link CsvRecordParser}. */
export interface CsvParserOptions {
  /** Longest record accepted, in characters (default 1 MiB). */
  readonly maxRecordChars?: number;
  /** Most fields in one record (default 4,096). */
  readonly maxFields?: number;
}

/** Default of {@link CsvParserOptions.maxRecordChars}. */
export const DEFAULT_MAX_CSV_RECORD_CHARS = 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

/**
 * An RFC 4180 CSV parser fed chunk by chunk: quoted fields with embedded commas, newlines
 * and doubled quotes; CRLF, LF or CR line ends; blank lines skipped. One pass over each
 * character, memory bounded by the longest record (`maxRecordChars`), so a 100 MB export
 * is parsed in constant memory when read as a stream.
 */
export class CsvRecordParser {
  private readonly maxRecordChars: number;
  private readonly maxFields: number;
  private state: State = 'fieldStart';
  private parts: string[] = [];
  private record: CsvField[] = [];
  private recordChars = 0;
  private fieldQuoted = false;
  private skipLineFeed = false;
  private started = false;
  /** Line (1-based) the parser is on, newlines inside quoted fields counted. */
  line = 1;
  /** Line the current record started on. */
  private recordLine = 1;

  constructor(options: CsvParserOptions = {}) {
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_CSV_RECORD_CHARS;
    this.maxFields = options.maxFields ?? 4096;
  }

  /** Parses `chunk`, calling `emit` with each completed record and the line it started on. */
  push(chunk: string, emit: (record: CsvField[], line: number) => void): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    }
    let segmentStart = 0;
    const length = text.length;
    for (let index = 0; index < length; index += 1) {
      const code = text.charCodeAt(index);
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (code === LF) {
          segmentStart = index + 1;
          continue;
        }
      }
      this.recordChars += 1;
      if (this.recordChars > this.maxRecordChars) {
        throw this.error(`a record longer than ${this.maxRecordChars} characters`);
      }
      switch (this.state) {
        case 'fieldStart':
          if (code === QUOTE) {
            this.state = 'quoted';
            this.fieldQuoted = true;
            segmentStart = index + 1;
          } else if (code === COMMA) {
            this.endField();
          } else if (code === LF || code === CR) {
            // After a comma the line end closes an empty last field.
            if (this.record.length > 0) this.endField();
            this.endRecord(code, emit);
          } else {
            this.state = 'unquoted';
            this.fieldQuoted = false;
            segmentStart = index;
          }
          break;
        case 'unquoted': {
          // Tight scan to the end of the field; the characters skipped count towards the record.
          let end = index;
          let next = code;
          while (next !== COMMA && next !== LF && next !== CR) {
            end += 1;
            if (end >= length) break;
            next = text.charCodeAt(end);
          }
          this.countSkipped(end - index);
          index = end;
          if (end >= length) break;
          this.parts.push(text.slice(segmentStart, end));
          this.endField();
          if (next !== COMMA) this.endRecord(next, emit);
          break;
        }
        case 'quoted': {
          let end = index;
          let next = code;
          while (next !== QUOTE) {
            if (next === LF) this.line += 1;
            end += 1;
            if (end >= length) break;
            next = text.charCodeAt(end);
          }
          this.countSkipped(end - index);
          index = end;
          if (end >= length) break;
          this.parts.push(text.slice(segmentStart, end));
          this.state = 'quoteInQuoted';
          break;
        }
        case 'quoteInQuoted':
          if (code === QUOTE) {
            // A doubled quote is one quote; the field goes on.
            this.state = 'quoted';
            segmentStart = index;
          } else if (code === COMMA) {
            this.endField();
          } else if (code === LF || code === CR) {
            this.endField();
            this.endRecord(code, emit);
          } else {
            throw this.error(`a character other than a comma or a line end after a closing quote`);
          }
          break;
      }
    }
    if (this.state === 'unquoted' || this.state === 'quoted') {
      this.parts.push(text.slice(segmentStart));
    }
  }

  /** Ends the input: emits the last record (without a final line end) or fails on an open quote. */
  end(emit: (record: CsvField[], line: number) => void): void {
    if (this.state === 'quoted') {
      throw this.error('a quoted field that is never closed', this.recordLine);
    }
    if (this.state !== 'fieldStart' || this.record.length > 0) {
      this.endField();
      this.finishRecord(emit);
    }
  }

  /** Counts `count` characters scanned past in one go towards the record's length. */
  private countSkipped(count: number): void {
    this.recordChars += count;
    if (this.recordChars > this.maxRecordChars) {
      throw this.error(`a record longer than ${this.maxRecordChars} characters`);
    }
  }

  private endField(): void {
    const value = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.record.push(!this.fieldQuoted && (value === '' || value === 'NULL') ? null : value);
    if (this.record.length > this.maxFields) {
      throw this.error(`a record with more than ${this.maxFields} fields`);
    }
    this.state = 'fieldStart';
    this.fieldQuoted = false;
  }

  private endRecord(code: number, emit: (record: CsvField[], line: number) => void): void {
    this.finishRecord(emit);
    this.line += 1;
    this.recordLine = this.line;
    if (code === CR) this.skipLineFeed = true;
  }

  private finishRecord(emit: (record: CsvField[], line: number) => void): void {
    const record = this.record;
    this.record = [];
    this.recordChars = 0;
    this.state = 'fieldStart';
    // A blank line is no record.
    if (record.length > 0) emit(record, this.recordLine);
  }

  private error(problem: string, line = this.line): AdapterError {
    return new AdapterError({
      code: 'INVALID_BILLING_FILE',
      message: `CSV line ${line}: ${problem}`,
      details: { line },
    });
  }
}

/** Source chunks of at most this many characters when the source is one string. */
const STRING_CHUNK_CHARS = 1024 * 1024;

async function* textChunks(source: FocusSource): AsyncGenerator<string> {
  if (typeof source === 'string') {
    for (let start = 0; start < source.length; start += STRING_CHUNK_CHARS) {
      yield source.slice(start, start + STRING_CHUNK_CHARS);
    }
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(bytes, { stream });
    } catch {
      throw new AdapterError({
        code: 'INVALID_BILLING_FILE',
        message: 'CSV file: not valid UTF-8',
      });
    }
  };
  if (source instanceof Uint8Array) {
    for (let start = 0; start < source.byteLength; start += STRING_CHUNK_CHARS) {
      yield decode(source.subarray(start, start + STRING_CHUNK_CHARS), true);
    }
    yield decode(new Uint8Array(0), false);
    return;
  }
  for await (const chunk of source) {
    if (typeof chunk === 'string') yield chunk;
    else if (chunk instanceof Uint8Array) yield decode(chunk, true);
    else
      throw new AdapterError({
        code: 'INVALID_BILLING_FILE',
        message: 'CSV file: a chunk that is neither text nor bytes',
      });
  }
  yield decode(new Uint8Array(0), false);
}

/**
 * The records of a CSV source, read chunk by chunk (a string, bytes, or a stream such as
 * `fs.createReadStream`), each with the line it starts on. Throws `INVALID_BILLING_FILE`
 * naming the line on malformed CSV.
 */
export async function* readCsvRecords(
  source: FocusSource,
  options: CsvParserOptions = {},
): AsyncGenerator<{ record: CsvField[]; line: number }> {
  const parser = new CsvRecordParser(options);
  let batch: { record: CsvField[]; line: number }[] = [];
  const emit = (record: CsvField[], line: number): void => {
    batch.push({ record, line });
  };
  for await (const chunk of textChunks(source)) {
    parser.push(chunk, emit);
    const ready = batch;
    batch = [];
    yield* ready;
  }
  parser.end(emit);
  yield* batch;
}

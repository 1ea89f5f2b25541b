import { Money } from '@purser/pricing';
import type { RunningPurser } from '../support/purser';

/** An export answer: status, content type and body (records when it is CSV). */
export interface ExportAnswer {
  status: number;
  contentType: string | null;
  text: string;
  records: string[][];
}

/** GETs an export with `token`; parses a CSV body strictly as RFC 4180. */
export async function getExport(
  service: RunningPurser,
  path: string,
  token: string | null = service.adminToken,
): Promise<ExportAnswer> {
  const response = await fetch(`${service.url}/v1/exports/${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  return {
    status: response.status,
    contentType,
    text,
    records: contentType?.startsWith('text/csv') ? readCsv(text) : [],
  };
}

/** A strict RFC 4180 reader (CRLF records, quoted fields with doubled quotes). */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let index = 0;
  while (index < text.length) {
    let field = '';
    if (text[index] === '"') {
      let close = -1;
      for (let at = index + 1; at < text.length; at += 1) {
        if (text[at] === '"') {
          if (text[at + 1] === '"') at += 1;
          else {
            close = at;
            break;
          }
        }
      }
      if (close < 0) throw new Error('unterminated quoted field');
      field = text.slice(index + 1, close).replaceAll('""', '"');
      index = close + 1;
    } else {
      const end = text.slice(index).search(/,|\r\n/);
      const stop = end < 0 ? text.length : index + end;
      field = text.slice(index, stop);
      if (/["\n\r]/.test(field)) throw new Error(`bare quote or line break in ${field}`);
      index = stop;
    }
    record.push(field);
    if (text[index] === ',') index += 1;
    else if (text.startsWith('\r\n', index)) {
      records.push(record);
      record = [];
      index += 2;
    } else throw new Error(`record without CRLF at ${index}`);
  }
  return records;
}

/** Records as objects keyed by the header record. */
export function rowsOf(records: string[][]): Record<string, string>[] {
  const [header, ...rest] = records;
  return rest.map((record) =>
    Object.fromEntries(header.map((name, index) => [name, record[index]])),
  );
}

export const sumOf = (values: readonly string[]) =>
  values.reduce((total, value) => total.plus(value || 0), new Money(0));

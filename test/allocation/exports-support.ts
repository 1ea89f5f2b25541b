import { makeUsageEvent } from '@purser/adapters/testing';
import { Money } from '@purser/pricing';
import type { RunningPurser } from '../support/purser';
import { createCenters, createRule } from './allocation-support';

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

/**
 * Creates `centers` and the two rules the export suites allocate by, from 2026-10-01: team
 * search DIRECT to CC-SEARCH (priority 10) and feature evals EVEN over CC-SEARCH, CC-ADS and
 * CC-ORG (priority 20).
 */
export async function createExportRules(
  service: RunningPurser,
  centers: { code: string; name: string; parentCode?: string; glAccount?: string }[],
): Promise<void> {
  await createCenters(service, centers);
  const effectiveFrom = '2026-10-01T00:00:00Z';
  await createRule(service, {
    name: 'search team',
    priority: 10,
    match: { team: 'search' },
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-SEARCH' }],
    effectiveFrom,
  });
  await createRule(service, {
    name: 'evals, shared',
    priority: 20,
    match: { feature: 'evals' },
    method: 'EVEN',
    targets: [{ costCenter: 'CC-SEARCH' }, { costCenter: 'CC-ADS' }, { costCenter: 'CC-ORG' }],
    effectiveFrom,
  });
}

/**
 * A usage event of the export suites: `input` tokens in and 7 out, on gpt-4o-mini (openai) or
 * claude-3-haiku (anthropic), with `cacheRead` tokens read from a cache when there are any.
 */
export const exportUsage = (
  id: string,
  timestamp: string,
  attribution: Record<string, unknown>,
  input: number,
  provider = 'openai',
  cacheRead = 0,
) =>
  makeUsageEvent({
    id,
    provider,
    model: provider === 'openai' ? 'gpt-4o-mini' : 'claude-3-haiku-20240307',
    timestamp,
    usage: {
      input_tokens: input,
      output_tokens: 7,
      ...(cacheRead ? { cache_read_tokens: cacheRead } : {}),
    },
    attribution,
  });

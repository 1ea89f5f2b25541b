import { z } from 'zod';

import { AdapterError } from '../errors';
import type { BillingFetchRequest } from './billing-fetch-request';
import type { BillingFetchResult } from './billing-fetch-result';
import type { BillingHttpClient, QueryParameter } from './billing-http';
import { parseBillingShape, readBillingJson, WarningList } from './billing-json';

/** Default of {@link BillingFetchRequest.maxPages}. */
export const DEFAULT_MAX_BILLING_PAGES = 1000;

/**
 * The page envelope OpenAI and Anthropic share: `data[]` of buckets, `has_more`,
 * `next_page` (an opaque token passed back as `page=`). Unknown fields are ignored.
 */
const pageEnvelopeSchema = z.object({
  data: z.array(z.unknown()).max(100_000),
  has_more: z.boolean().nullish(),
  next_page: z.string().max(4096).nullish(),
});

/** Throws `INVALID_BILLING_SETTINGS` unless `from` and `to` are dates with `from < to`. */
export function checkFetchRange(provider: string, request: BillingFetchRequest): void {
  const from = request.from?.getTime?.();
  const to = request.to?.getTime?.();
  if (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to)) {
    throw new AdapterError({
      code: 'INVALID_BILLING_SETTINGS',
      message: `${provider} billing: from and to must be valid dates`,
    });
  }
  if (from >= to) {
    throw new AdapterError({
      code: 'INVALID_BILLING_SETTINGS',
      message: `${provider} billing: from (${request.from.toISOString()}) must be before to (${request.to.toISOString()})`,
    });
  }
}

/**
 * GETs every page of a paginated billing endpoint, converting each bucket with
 * `convertBucket` as it arrives. Follows `next_page` while `has_more`; a repeated token or
 * more than `maxPages` pages fails instead of looping.
 */
export async function fetchAllPages<Line>(options: {
  client: BillingHttpClient;
  provider: string;
  path: string;
  query: readonly QueryParameter[];
  request: BillingFetchRequest;
  convertBucket: (bucket: unknown, where: string, warnings: WarningList) => Line[];
}): Promise<BillingFetchResult<Line>> {
  const { client, provider, path, query, request } = options;
  const maxPages = request.maxPages ?? DEFAULT_MAX_BILLING_PAGES;
  const lines: Line[] = [];
  const warnings = new WarningList();
  const seen = new Set<string>();
  let page: string | undefined;
  let pages = 0;
  for (;;) {
    const text = await client.get(
      path,
      page === undefined ? query : [...query, ['page', page]],
      request.signal,
    );
    pages += 1;
    const where = `${provider} ${path} page ${pages}`;
    const envelope = parseBillingShape(pageEnvelopeSchema, readBillingJson(text, where), where);
    envelope.data.forEach((bucket, index) => {
      for (const line of options.convertBucket(bucket, `${where} data[${index}]`, warnings)) {
        lines.push(line);
      }
    });
    const next = envelope.next_page ?? undefined;
    if (envelope.has_more !== true) break;
    if (next === undefined || next === '') {
      // A partial bill is not stored: a sync restates the lines it no longer sees to 0.
      throw new AdapterError({
        code: 'INVALID_BILLING_RESPONSE',
        message: `${where}: has_more is true but next_page is missing; the rest of the range cannot be read`,
      });
    }
    if (seen.has(next)) {
      throw new AdapterError({
        code: 'INVALID_BILLING_RESPONSE',
        message: `${where}: next_page repeats an earlier page token; stopped to avoid a loop`,
      });
    }
    if (pages >= maxPages) {
      throw new AdapterError({
        code: 'INVALID_BILLING_RESPONSE',
        message: `${where}: still has_more after ${maxPages} pages (maxPages)`,
      });
    }
    seen.add(next);
    page = next;
  }
  return { lines, warnings: warnings.toArray(), pages };
}

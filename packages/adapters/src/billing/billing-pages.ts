import { z } from 'zod';

import { AdapterError } from '../errors';
import type { BillingAdapterSettings } from './billing-adapter-settings';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import type { BillingFetchRequest } from './billing-fetch-request';
import type { BillingFetchResult } from './billing-fetch-result';
import { BillingHttpClient, type BillingHttpProvider, type QueryParameter } from './billing-http';
import { parseBillingShape, readBillingJson, WarningList } from './billing-json';
import type { ProviderCostLine } from './provider-cost-line';
import type { ProviderUsageLine } from './provider-usage-line';

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

/** Buckets per page asked for: the most the OpenAI and Anthropic reports give by day. */
const DAILY_PAGE_LIMIT = '31';

/** One daily report of a provider API: its path, its grouping and its bucket converter. */
export interface DailyReport<Line> {
  path: string;
  /** The `group_by[]` keys, in order. */
  groupBy: readonly string[];
  convertBucket: (bucket: unknown, where: string, warnings: WarningList) => Line[];
}

/** A provider API's daily cost report and daily usage report, and how both take a range. */
export interface DailyReports {
  /** The query parameters of the range's start and end, in the provider's own words. */
  timeRange: (request: BillingFetchRequest) => QueryParameter[];
  costs: DailyReport<ProviderCostLine>;
  usage: DailyReport<ProviderUsageLine>;
}

/**
 * A billing adapter of a provider API with a daily cost report and a daily usage report:
 * each fetch checks the range, then reads every page of day buckets, grouped by the
 * report's `groupBy` in that order.
 */
export function createDailyReportAdapter(
  provider: BillingHttpProvider,
  settings: BillingAdapterSettings,
  reports: DailyReports,
): BillingAdapterV1 {
  const client = new BillingHttpClient(provider, settings);
  const fetchReport = async <Line>(
    request: BillingFetchRequest,
    report: DailyReport<Line>,
  ): Promise<BillingFetchResult<Line>> => {
    checkFetchRange(provider.id, request);
    return fetchAllPages({
      client,
      provider: provider.id,
      path: report.path,
      query: [
        ...reports.timeRange(request),
        ['bucket_width', '1d'],
        ...report.groupBy.map((key): QueryParameter => ['group_by[]', key]),
        ['limit', DAILY_PAGE_LIMIT],
      ],
      request,
      convertBucket: report.convertBucket,
    });
  };
  return {
    specificationVersion: 'v1',
    id: provider.id,
    doFetchCosts: (request) => fetchReport(request, reports.costs),
    doFetchUsage: (request) => fetchReport(request, reports.usage),
  };
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

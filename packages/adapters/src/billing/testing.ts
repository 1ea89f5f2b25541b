import { AdapterError } from '../errors';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import type { BillingFetchRequest } from './billing-fetch-request';
import type { FocusImportResult } from './focus-import-result';
import type { ProviderCostLine } from './provider-cost-line';
import type { ProviderUsageLine } from './provider-usage-line';

/** Options of {@link createMockBillingAdapter}. */
export interface MockBillingAdapterOptions {
  /** Registry id the mock answers as (default `mock`). */
  id?: string;
  /** Cost lines served; a fetch returns those whose day is in the requested range. */
  costLines?: ProviderCostLine[];
  /** Usage lines served, filtered the same way. */
  usageLines?: ProviderUsageLine[];
  /** Warnings added to every result. */
  warnings?: string[];
  /** When set, every fetch rejects with this error (e.g. a `BillingHttpError`). */
  failWith?: Error;
  /** What `doImportFile` answers (default: no lines). */
  importResult?: FocusImportResult;
}

/** A mock billing adapter that records its calls. */
export interface MockBillingAdapter extends BillingAdapterV1 {
  /** Every call, in order: the method and its request. */
  readonly calls: {
    method: 'doFetchCosts' | 'doFetchUsage' | 'doImportFile';
    request?: BillingFetchRequest;
  }[];
  /** Replaces the lines served from now on (a provider restating a day). */
  setCostLines(lines: ProviderCostLine[]): void;
}

function inRange(day: string, request: BillingFetchRequest): boolean {
  const start = Date.parse(`${day}T00:00:00Z`);
  return (
    start >= Math.floor(request.from.getTime() / 86_400_000) * 86_400_000 &&
    start < request.to.getTime()
  );
}

/**
 * A billing adapter for tests: serves the lines it is given for the days of each request's
 * range, records every call, and fails on demand. Rejects `from >= to` as the real ones do.
 */
export function createMockBillingAdapter(
  options: MockBillingAdapterOptions = {},
): MockBillingAdapter {
  let costLines = [...(options.costLines ?? [])];
  const usageLines = [...(options.usageLines ?? [])];
  const calls: MockBillingAdapter['calls'] = [];
  const check = (request: BillingFetchRequest): void => {
    if (options.failWith) throw options.failWith;
    if (!(request.from.getTime() < request.to.getTime())) {
      throw new AdapterError({
        code: 'INVALID_BILLING_SETTINGS',
        message: 'mock billing: from must be before to',
      });
    }
  };
  return {
    specificationVersion: 'v1',
    id: options.id ?? 'mock',
    calls,
    setCostLines(lines) {
      costLines = [...lines];
    },
    async doFetchCosts(request) {
      calls.push({ method: 'doFetchCosts', request });
      check(request);
      const lines = costLines.filter((line) => inRange(line.day, request));
      return { lines, warnings: [...(options.warnings ?? [])], pages: 1 };
    },
    async doFetchUsage(request) {
      calls.push({ method: 'doFetchUsage', request });
      check(request);
      const lines = usageLines.filter((line) => inRange(line.day, request));
      return { lines, warnings: [...(options.warnings ?? [])], pages: 1 };
    },
    async doImportFile() {
      calls.push({ method: 'doImportFile' });
      if (options.failWith) throw options.failWith;
      return (
        options.importResult ?? {
          lines: [],
          warnings: [],
          summary: {
            version: '1.0',
            rows: 0,
            imported: 0,
            skipped: 0,
            skippedByReason: {
              not_model_service: 0,
              ai_service_not_model_hosting: 0,
              invalid_row: 0,
            },
            withoutModel: 0,
          },
        }
      );
    },
  };
}

/** A cost line with defaults (an OpenAI gpt-4.1 input line of 2026-07-01), `overrides` applied. */
export function makeProviderCostLine(overrides: Partial<ProviderCostLine> = {}): ProviderCostLine {
  return {
    day: '2026-07-01',
    provider: 'openai',
    model: 'gpt-4.1-2025-04-14',
    lineItem: 'gpt-4.1-2025-04-14, input',
    costType: 'tokens',
    tokenType: 'input_tokens',
    project: 'proj_test',
    amount: '6.209044',
    currency: 'USD',
    quantity: '3104522',
    unit: 'tokens',
    dimensions: {},
    raw: {},
    ...overrides,
  };
}

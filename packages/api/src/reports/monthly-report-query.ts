import { parseMonth } from '../allocation/allocation-exports-query';
import type { MonthRange } from '../allocation/chargeback-csv-source';
import { badInput } from '../errors';
import { refuseUnknown, shown, single } from '../http/query-parameters';

export const REPORT_FORMATS = ['pdf', 'html', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The monthly report's query, checked. */
export interface MonthlyReportQuery {
  range: MonthRange;
  format: ReportFormat;
}

const PARAMETERS: readonly string[] = ['month', 'format'];

/** `pdf` (the default), `html` or `csv`; anything else names `format`. */
export function parseFormat(value: string | null): ReportFormat {
  if (value === null) return 'pdf';
  const format = REPORT_FORMATS.find((known) => known === value);
  if (!format) {
    throw badInput(`format: one of ${REPORT_FORMATS.join(', ')} (got ${shown(value)})`);
  }
  return format;
}

/**
 * Checks `GET /v1/reports/monthly`'s query: `month` (required, `2026-11`, a UTC calendar
 * month from 1970) and `format` (`pdf` by default, `html`, `csv`); known parameters only,
 * each at most once; every error names the parameter.
 */
export function parseMonthlyReportQuery(query: unknown): MonthlyReportQuery {
  const values = (query ?? {}) as Record<string, unknown>;
  refuseUnknown(values, PARAMETERS);
  return {
    range: parseMonth(single(values, 'month')),
    format: parseFormat(single(values, 'format')),
  };
}

/** The content type and file name of each format. */
export const FORMAT_TYPES: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

import { monthlyReportCsv } from './monthly-report-csv';
import { monthlyReportHtml } from './monthly-report-html';
import { monthlyReportPdf } from './monthly-report-pdf';
import type { ReportFormat } from './monthly-report-query';
import type { MonthlyReportData } from './monthly-report-types';

/** The report in one format, as the bytes the route sends and the CLI writes. */
export async function renderMonthlyReport(
  data: MonthlyReportData,
  format: ReportFormat,
): Promise<Buffer> {
  if (format === 'pdf') return monthlyReportPdf(data);
  return Buffer.from(format === 'html' ? monthlyReportHtml(data) : monthlyReportCsv(data), 'utf8');
}

/** The file name a download of the report gets: `purser-report-2026-11.pdf`. */
export function reportFileName(month: string, format: ReportFormat): string {
  return `purser-report-${month}.${format}`;
}

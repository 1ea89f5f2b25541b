import type { Request, Router } from 'express';
import { type HttpServices, restHandler } from '../http/rest';
import { FORMAT_TYPES, parseMonthlyReportQuery } from './monthly-report-query';
import { renderMonthlyReport, reportFileName } from './monthly-report-render';
import type { MonthlyReportService } from './monthly-report.service';

/** What the report route uses of the services. */
type RouteServices = HttpServices & { reports: Pick<MonthlyReportService, 'monthly'> };

/**
 * `GET /v1/reports/monthly?month=2026-11&format=pdf|html|csv`: the month's report (spend
 * trend, top cost centers and features, variance against the provider bills, waste, unit
 * economics, budget outcomes) as a PDF (the default), one HTML page, or its data as CSV.
 * Read with `reports.read` (admin, finance, viewer). A bad parameter answers 400 naming it.
 * The report is rendered whole before the status is sent: a failure answers as an error,
 * never as a cut file.
 */
export function monthlyReportRoutes(router: Router, services: RouteServices): void {
  router.get(
    '/reports/monthly',
    restHandler(services, 'reports.read', async (request: Request, response) => {
      const query = parseMonthlyReportQuery(request.query);
      const data = await services.reports.monthly(query.range);
      const body = await renderMonthlyReport(data, query.format);
      const name = reportFileName(query.range.month, query.format);
      response.status(200);
      response.set({
        'content-type': FORMAT_TYPES[query.format],
        // HTML is shown in the browser; the PDF and CSV are files to keep.
        'content-disposition': `${query.format === 'html' ? 'inline' : 'attachment'}; filename="${name}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // The page needs its inline style and nothing else: no script, no fetch, no frame.
        ...(query.format === 'html'
          ? {
              'content-security-policy':
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            }
          : {}),
      });
      response.end(body);
    }),
  );
}

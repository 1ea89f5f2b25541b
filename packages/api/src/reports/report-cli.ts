import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AllocationService } from '../allocation/allocation.service';
import { ReconciliationService } from '../billing/reconciliation.service';
import { parseQueryFlags } from '../http/query-parameters';
import { BusinessMetricService } from '../metrics/business-metrics.service';
import { UnitEconomicsService } from '../metrics/unit-economics.service';
import type { Logger } from '../observability/logger';
import { PricingService } from '../pricing/pricing.service';
import { SpendService } from '../usage/spend.service';
import { parseMonthlyReportQuery, type MonthlyReportQuery } from './monthly-report-query';
import { renderMonthlyReport } from './monthly-report-render';
import { MonthlyReportService } from './monthly-report.service';

export const REPORT_CLI_USAGE = `  report monthly --month 2026-11 [--format pdf|html|csv] [--out FILE]
                    the month's report, the bytes GET /v1/reports/monthly answers
                    (default format pdf; default output stdout, - too)
`;

/** A parsed `report monthly` command line, or the problem with it. */
export type ReportArguments =
  { query: MonthlyReportQuery; out: string | null } | { problem: string };

const FLAGS: Record<string, string> = { '--month': 'month', '--format': 'format' };

/** `monthly --month 2026-11 [--format pdf|html|csv] [--out FILE]`. */
export function parseReportArguments(argv: readonly string[]): ReportArguments {
  if (argv[0] !== 'monthly') {
    return { problem: `report ${argv[0] ?? ''}: unknown (report monthly --month 2026-11)` };
  }
  return parseQueryFlags(argv.slice(1), FLAGS, parseMonthlyReportQuery);
}

/**
 * The report service as the running service builds it (`services.ts`): the chargeback
 * spreads reconciled variance (true-up) the same way, so the CLI's file is the route's.
 */
export function createReportService(dataSource: DataSource, logger: Logger): MonthlyReportService {
  const spend = new SpendService(dataSource);
  const allocation = new AllocationService(dataSource);
  const reconciliation = new ReconciliationService(
    dataSource,
    new PricingService(dataSource, logger),
  );
  allocation.chargebacks.variance = reconciliation;
  return new MonthlyReportService({
    dataSource,
    spend,
    allocation,
    reconciliation,
    unitEconomics: new UnitEconomicsService(spend, new BusinessMetricService(dataSource)),
  });
}

/** Writes the report to `out` (a file path) or `stdout`. */
export async function runReportCommand(
  reports: Pick<MonthlyReportService, 'monthly'>,
  args: { query: MonthlyReportQuery; out: string | null },
  stdout: Writable = process.stdout,
): Promise<void> {
  const body = await renderMonthlyReport(
    await reports.monthly(args.query.range),
    args.query.format,
  );
  if (args.out !== null) {
    await writeFile(args.out, body);
    return;
  }
  await new Promise<void>((resolve, reject) =>
    stdout.write(body, (error) => (error ? reject(error) : resolve())),
  );
}

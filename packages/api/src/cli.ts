import { ConfigError, loadEnv } from './config/env';
import { openDatabase } from './database';
import { createLogger } from './observability/logger';
import { PricingService } from './pricing/pricing.service';
import { AllocationService } from './allocation/allocation.service';
import { parseAllocationArguments, runAllocationCommand } from './allocation/allocation-plan-apply';
import { FocusExportService } from './focus/focus-export.service';
import { FOCUS_CLI_USAGE, parseFocusArguments, runFocusExport } from './focus/focus-cli';
import { BILLING_CLI_USAGE, parseBillingArguments, runBillingSync } from './billing/billing-cli';
import { BillingSourceService } from './billing/billing-source.service';
import { BillingSyncService } from './billing/billing-sync.service';
import { ReconciliationService } from './billing/reconciliation.service';
import { VarianceAlerts } from './billing/variance-alerts';
import {
  createReportService,
  parseReportArguments,
  REPORT_CLI_USAGE,
  runReportCommand,
} from './reports/report-cli';
import { WasteService } from './insights/waste.service';
import { PolicyRuntime } from './decisions/policy-runtime';
import { DEFAULT_BUNDLE_PATH } from '@purser/policy';

const USAGE = `Usage: purser <command>

Commands:
  migrate           apply pending database migrations
  catalog reload    load the default price catalog shipped with this release
                    (new versions for changed prices; unchanged ones are skipped)
  allocation export FILE   write the cost centers and rules in force as YAML (FILE - : stdout)
  allocation plan FILE     print what applying FILE would change (exit 65: invalid file)
  allocation apply FILE    make the stored allocation match FILE, step by step
                    each takes --effective-from 2026-12-01T00:00:00Z (a whole UTC hour): rule
                    changes from then, compared with the rules in force then (default: now)
${FOCUS_CLI_USAGE}${BILLING_CLI_USAGE}${REPORT_CLI_USAGE}`;

/** The operator CLI: `pnpm purser <command>`. Reads the same environment as the service. */
export async function runCli(
  argv: string[],
  source: Record<string, string | undefined> = process.env,
): Promise<number> {
  const command = argv.join(' ');
  const allocation = argv[0] === 'allocation' ? parseAllocationArguments(argv.slice(1)) : null;
  if (allocation && 'problem' in allocation) {
    process.stderr.write(`${allocation.problem}\n\n${USAGE}`);
    return 64; // EX_USAGE
  }
  const focus =
    argv[0] === 'export' && argv[1] === 'focus' ? parseFocusArguments(argv.slice(2)) : null;
  if (focus && 'problem' in focus) {
    process.stderr.write(`${focus.problem}\n\n${USAGE}`);
    return 64; // EX_USAGE
  }
  const billing = argv[0] === 'billing' ? parseBillingArguments(argv.slice(1)) : null;
  if (billing && 'problem' in billing) {
    process.stderr.write(`${billing.problem}\n\n${USAGE}`);
    return 64; // EX_USAGE
  }
  const report = argv[0] === 'report' ? parseReportArguments(argv.slice(1)) : null;
  if (report && 'problem' in report) {
    process.stderr.write(`${report.problem}\n\n${USAGE}`);
    return 64; // EX_USAGE
  }
  if (
    command !== 'migrate' &&
    command !== 'catalog reload' &&
    !allocation &&
    !focus &&
    !billing &&
    !report
  ) {
    process.stderr.write(command ? `Unknown command: ${command}\n\n${USAGE}` : USAGE);
    return 64; // EX_USAGE
  }
  const env = loadEnv(source);
  const logger = createLogger(env.LOG_LEVEL);
  const dataSource = await openDatabase({ url: env.DATABASE_URL, dataDir: env.PURSER_DATA_DIR });
  try {
    if (allocation) {
      return await runAllocationCommand(
        allocation.command,
        allocation.file,
        new AllocationService(dataSource),
        { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
        allocation.options,
      );
    }
    if (focus) {
      const service = new FocusExportService(dataSource, new AllocationService(dataSource));
      await runFocusExport(service, focus);
      return 0;
    }
    if (billing) {
      const sources = new BillingSourceService(dataSource, env.PURSER_SECRET_KEY);
      await sources.checkSecret();
      const clock = () => new Date();
      const reconciliation = new ReconciliationService(
        dataSource,
        new PricingService(dataSource, logger),
      );
      const sync = new BillingSyncService(
        dataSource,
        sources,
        logger,
        clock,
        new VarianceAlerts({ reconciliation, logger, nats: () => null, clock }),
      );
      return await runBillingSync(
        { list: () => sources.list(), sync: (id, from, to) => sync.sync(id, from, to) },
        billing,
        { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
      );
    }
    if (report) {
      // Waste findings as the service finds them: MODEL_MISMATCH reads the bundle's chains.
      const policy = await PolicyRuntime.load(
        env.PURSER_POLICY_BUNDLE ?? DEFAULT_BUNDLE_PATH,
        logger,
        false,
      );
      try {
        const reports = createReportService(dataSource, logger);
        reports.waste = new WasteService(
          dataSource,
          new PricingService(dataSource, logger),
          () => policy.chains,
        );
        await runReportCommand(reports, report);
      } finally {
        policy.close();
      }
      return 0;
    }
    if (command === 'catalog reload') {
      const result = await new PricingService(dataSource, logger).reloadDefaults(
        'cli: catalog reload',
      );
      process.stdout.write(
        `catalog reloaded: ${result.created} created, ${result.updated} updated, ${result.skipped} unchanged\n`,
      );
    } else {
      process.stdout.write('migrations applied\n');
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(
        `${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(error instanceof ConfigError ? 78 : 1);
    },
  );
}

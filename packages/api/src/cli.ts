import { ConfigError, loadEnv } from './config/env';
import { openDatabase } from './database';
import { createLogger } from './observability/logger';
import { PricingService } from './pricing/pricing.service';

const USAGE = `Usage: purser <command>

Commands:
  migrate           apply pending database migrations
  catalog reload    load the default price catalog shipped with this release
                    (new versions for changed prices; unchanged ones are skipped)
`;

/** The operator CLI: `pnpm purser <command>`. Reads the same environment as the service. */
export async function runCli(
  argv: string[],
  source: Record<string, string | undefined> = process.env,
): Promise<number> {
  const command = argv.join(' ');
  if (command !== 'migrate' && command !== 'catalog reload') {
    process.stderr.write(command ? `Unknown command: ${command}\n\n${USAGE}` : USAGE);
    return 64; // EX_USAGE
  }
  const env = loadEnv(source);
  const logger = createLogger(env.LOG_LEVEL);
  const dataSource = await openDatabase({ url: env.DATABASE_URL, dataDir: env.PURSER_DATA_DIR });
  try {
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

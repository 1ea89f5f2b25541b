import { ConfigError, loadEnv } from './config/env';
import { Purser } from './app';
import { createLogger } from './observability/logger';
import { tuneHeapGrowth } from './runtime/heap';

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  tuneHeapGrowth(env.PURSER_HEAP_GROWTH_PERCENT);
  const logger = createLogger(env.LOG_LEVEL);
  // Logs are written asynchronously: flush them before the process ends.
  const exitAfterFlush = (code: number) => logger.flush(() => process.exit(code));
  const purser = await Purser.create({ env, logger });
  await purser.listen();

  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      exitAfterFlush(1);
    }, env.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    timer.unref();
    purser.stop().then(
      () => exitAfterFlush(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterFlush(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(
    `Purser failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

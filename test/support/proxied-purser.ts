import { createTestDatabase, type TestDatabase } from './database';
import { startPurser, type RunningPurser } from './purser';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** A Purser whose Postgres connections go through a TCP proxy a test can cut and restore. */
export interface ProxiedPurser {
  service: RunningPurser;
  proxy: TcpProxy;
  database: TestDatabase;
  /** Restores the proxy (if cut), stops the instance, closes the proxy and drops the database. */
  close(): Promise<void>;
}

/**
 * Starts a Purser on a database of its own, reached through {@link startTcpProxy}, so a test
 * can take Postgres away (`proxy.cut()`) and give it back (`proxy.restore()`).
 * Needs a Postgres server (`hasPostgres`): PGlite runs in-process.
 */
export async function startPurserBehindProxy(
  env: Record<string, string> = {},
): Promise<ProxiedPurser> {
  const database = await createTestDatabase();
  const proxy = await startTcpProxy({
    host: new URL(database.url!).hostname,
    port: Number(new URL(database.url!).port || 5432),
  });
  const proxied = new URL(database.url!);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const service = await startPurser({ database: { ...database, url: proxied.toString() }, env });
  return {
    service,
    proxy,
    database,
    async close() {
      await proxy.restore().catch(() => undefined);
      await service.stop();
      await proxy.close();
      await database.drop();
    },
  };
}

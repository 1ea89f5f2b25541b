// The scheduled sync (PURSER_BILLING_SYNC_INTERVAL) on a real instance: it syncs every API
// source on its own, keeps going past a source whose provider refuses it, and logs that
// failure without the key.
import { Purser, loadEnv, type Logger } from '@purser/api';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/nats';
import { openaiCostsAnswer } from './fixtures';
import { startReplay, type Replay } from './replay';

const SECRET = 'schedule-test-secret-of-at-least-32-chars';
const GOOD_KEY = 'sk-admin-good-0123456789abcdef';
const BAD_KEY = 'sk-admin-refused-fedcba9876543210';

/** A logger that keeps every line as text (fields, error messages included). */
function recordingLogger(lines: string[]): Logger {
  const record =
    (level: string) =>
    (fields: unknown, message?: string): void => {
      const text =
        typeof fields === 'string'
          ? fields
          : JSON.stringify(fields, (_key, value: unknown) =>
              value instanceof Error ? { message: value.message, stack: value.stack } : value,
            );
      lines.push(`${level} ${text} ${message ?? ''}`);
    };
  const logger = {
    level: 'info',
    fatal: record('fatal'),
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    trace: record('trace'),
    child: () => logger,
    isLevelEnabled: () => true,
  };
  return logger as unknown as Logger;
}

describe('scheduled billing sync', () => {
  let replay: Replay;
  let database: TestDatabase;
  let purser: Purser;
  const logs: string[] = [];

  beforeAll(async () => {
    replay = await startReplay((request) => {
      if (request.headers.authorization === `Bearer ${BAD_KEY}`) {
        return { status: 401, body: { error: { message: `invalid key ${BAD_KEY}` } } };
      }
      return openaiCostsAnswer(request);
    });
    database = await createTestDatabase();
    const admin = `test-admin-${randomBytes(8).toString('hex')}`;
    const env = loadEnv({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PURSER_ADMIN_TOKEN: admin,
      PURSER_SECRET_KEY: SECRET,
      PURSER_BILLING_SYNC_INTERVAL: '1s',
      ...(database.url ? { DATABASE_URL: database.url } : { PURSER_DATA_DIR: database.dataDir }),
    });
    purser = await Purser.create({ env, logger: recordingLogger(logs) });
    for (const [name, apiKey] of [
      ['refused', BAD_KEY],
      ['good', GOOD_KEY],
    ]) {
      await purser.services.billingSources.create({
        provider: 'openai',
        name: name!,
        baseUrl: replay.url,
        apiKey,
      });
    }
  });
  afterAll(async () => {
    await purser?.stop();
    await database?.drop();
    await replay?.close();
  });

  it('should sync every source on its own and log a refused one without its key', async () => {
    await eventually(async () => {
      const sources = await purser.services.billingSources.list();
      expect(sources.find((source) => source.name === 'good')!.lastSyncedAt).not.toBeNull();
    }, 20_000);
    const [{ n }] = await purser.dataSource.query(
      `SELECT count(*)::int AS n FROM provider_cost_lines`,
    );
    expect(n).toBe(18);
    await eventually(() => expect(logs.join('')).toMatch(/billing source sync failed/), 20_000);
    const all = logs.join('');
    expect(all).not.toContain(BAD_KEY);
    expect(all).not.toContain(GOOD_KEY);
    // The refused source was never marked synced.
    const refused = (await purser.services.billingSources.list()).find(
      (source) => source.name === 'refused',
    )!;
    expect(refused.lastSyncedAt).toBeNull();
  });
});

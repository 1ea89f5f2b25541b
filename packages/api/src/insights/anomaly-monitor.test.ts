import type { AnomalyDetected } from '@purser/adapters';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../observability/logger';
import { AnomalyMonitor } from './anomaly-monitor';
import { AnomalyService } from './anomaly.service';

/** A recorded row as the outbox query reads it. */
const row = (id: string, value: string | null) => ({
  id,
  dimension: 'feature',
  value,
  hour: new Date('2026-11-24T14:00:00Z'),
  currency: 'USD',
  expected: '10',
  observed: '510',
  score: 500,
  baseline_weeks: 8,
  detected_at: new Date('2026-11-24T15:05:00Z'),
});

/** A data source whose outbox holds `rows`; it records every statement it is given. */
function fakeDataSource(rows: Record<string, unknown>[]) {
  const statements: { sql: string; params?: unknown[] }[] = [];
  const manager = {
    query: async (sql: string, params?: unknown[]) => {
      statements.push({ sql, params });
      return sql.trimStart().startsWith('SELECT') ? rows : [];
    },
  } as unknown as EntityManager;
  const dataSource = {
    transaction: async (work: (manager: EntityManager) => Promise<unknown>) => work(manager),
    query: manager.query,
  } as unknown as DataSource;
  return { dataSource, statements };
}

function logger() {
  const errors: unknown[] = [];
  const log = {
    error: (...args: unknown[]) => errors.push(args),
    warn: () => undefined,
    info: () => undefined,
  };
  return { logger: log as unknown as Logger, errors };
}

describe('AnomalyMonitor outbox', () => {
  it('should tell the listeners of the rows that fit the contract, log the one that does not, and mark them all', async () => {
    const { dataSource, statements } = fakeDataSource([
      row('1', 'chat'),
      row('2', 'x'.repeat(300)),
      row('3', null),
    ]);
    const anomalies = new AnomalyService(dataSource);
    const told: AnomalyDetected[][] = [];
    anomalies.onAnomalies(async (list) => {
      told.push(list);
    });
    const { logger: log, errors } = logger();
    const monitor = new AnomalyMonitor({
      dataSource,
      anomalies,
      nats: () => null,
      logger: log,
      clock: () => new Date('2026-11-24T15:05:00Z'),
      intervalMs: 1000,
    });
    expect(await monitor.notify()).toBe(3);
    expect(told).toHaveLength(1);
    expect(told[0]!.map((anomaly) => anomaly.value)).toEqual(['chat', null]);
    expect(told[0]![0]).toMatchObject({
      dimensions: { feature: 'chat', hour: '2026-11-24T14:00:00.000Z' },
      excess: '500',
      score: 500,
    });
    expect(errors).toHaveLength(1);
    const update = statements.find(({ sql }) => sql.startsWith('UPDATE'));
    expect(update?.sql).toMatch(/SET notified_at = now\(\)/);
    expect(update?.params).toEqual([['1', '2', '3']]);
    // Without NATS nothing is published, and nothing is read for it.
    const before = statements.length;
    expect(await monitor.publish()).toBe(0);
    expect(statements.length).toBe(before);
  });

  it('should not tell anyone, nor read, without a listener', async () => {
    const { dataSource, statements } = fakeDataSource([row('1', 'chat')]);
    const { logger: log } = logger();
    const monitor = new AnomalyMonitor({
      dataSource,
      anomalies: new AnomalyService(dataSource),
      nats: () => null,
      logger: log,
      clock: () => new Date(),
      intervalMs: 1000,
    });
    expect(await monitor.notify()).toBe(0);
    expect(statements).toEqual([]);
  });
});

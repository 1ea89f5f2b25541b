import { makeUsageEvent } from '@purser/adapters/testing';
import { createDefaultPricingCatalog } from '@purser/pricing';
import type { DataSource, EntityManager } from 'typeorm';
import { loadEnv } from '../config/env';
import type { Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import type { PricingService } from '../pricing/pricing.service';
import { IngestService } from './ingest.service';
import type { PricedEvent } from './usage-rows';

const catalog = createDefaultPricingCatalog();

/**
 * A data source that records where each statement ran: `autocommit` (one statement on its
 * own) or inside `transaction` N. The batch statement answers every event of its document as
 * inserted except the ids in `alreadyStored`.
 */
function recordingDataSource(
  options: { alreadyStored?: string[]; failWith?: unknown; failInTransaction?: boolean } = {},
) {
  const statements: { where: string; sql: string }[] = [];
  let transactions = 0;
  const answer = async (where: string, sql: string, params: unknown[] = []) => {
    statements.push({ where, sql });
    if (options.failWith && (where !== 'autocommit') === Boolean(options.failInTransaction))
      throw options.failWith;
    if (!sql.includes('INSERT INTO usage_events')) return [];
    const rows = JSON.parse(params[0] as string) as string[][];
    return rows
      .filter(([, id]) => !(options.alreadyStored ?? []).includes(id))
      .map(([source, id]) => ({ source, event_id: id }));
  };
  const dataSource = {
    query: (sql: string, params?: unknown[]) => answer('autocommit', sql, params),
    async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
      transactions += 1;
      const where = `transaction ${transactions}`;
      const manager = {
        where,
        query: (sql: string, params?: unknown[]) => answer(where, sql, params),
      } as unknown as EntityManager;
      return work(manager);
    },
  } as unknown as DataSource;
  return { dataSource, statements, transactions: () => transactions };
}

/** The default catalog, except that matching the model `explodes` throws (a pricing bug). */
const explosiveCatalog: typeof catalog = {
  ...catalog,
  match(provider, model, at) {
    if (model === 'explodes') throw new TypeError('a bug in pricing');
    return catalog.match(provider, model, at);
  },
};

function service(
  dataSource: DataSource,
  options: { clock?: () => Date; env?: Record<string, string> } = {},
): IngestService {
  return new IngestService({
    env: loadEnv(options.env ?? {}),
    dataSource,
    pricing: { catalog: async () => explosiveCatalog } as unknown as PricingService,
    logger: { warn: () => undefined, error: () => undefined } as unknown as Logger,
    metrics: createMetrics(),
    nats: () => null,
    clock: options.clock ?? (() => new Date('2026-11-23T12:00:00Z')),
  });
}

const item = (overrides: Record<string, unknown>) => ({
  body: makeUsageEvent({ source: 'unit', ...overrides }),
  subject: 'test',
});

describe('IngestService writes', () => {
  it('should write a batch as one statement outside a transaction when no hook may act', async () => {
    const { dataSource, statements, transactions } = recordingDataSource({
      alreadyStored: ['b'],
    });
    const ingest = service(dataSource);
    const asked: string[][] = [];
    const hook = jest.fn(async () => undefined);
    ingest.onStored(hook, {
      mayAct: (events) => {
        asked.push(events.map((row) => row.event.id));
        return false;
      },
    });
    const outcomes = await ingest.ingest([item({ id: 'a' }), item({ id: 'b' })], 'test');
    expect(outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['a', 'accepted'],
      ['b', 'duplicate'],
    ]);
    expect(asked).toEqual([['a', 'b']]);
    expect(hook).not.toHaveBeenCalled();
    expect(transactions()).toBe(0);
    expect(statements.map((statement) => statement.where)).toEqual(['autocommit']);
  });

  it('should run a hook that may act in the transaction of the batch, with the stored events only, and what it answers after commit', async () => {
    const { dataSource, statements, transactions } = recordingDataSource({
      alreadyStored: ['b'],
    });
    const ingest = service(dataSource);
    const order: string[] = [];
    let seen: { where: unknown; stored: string[] } | undefined;
    ingest.onStored(
      async (manager, stored: PricedEvent[]) => {
        seen = {
          where: (manager as unknown as { where: string }).where,
          stored: stored.map((row) => row.event.id),
        };
        await manager.query('UPDATE budget_windows SET spent = spent');
        order.push('hook');
        return () => order.push('after commit');
      },
      { mayAct: () => true },
    );
    await ingest.ingest([item({ id: 'a' }), item({ id: 'b' }), item({ id: 'c' })], 'test');
    expect(transactions()).toBe(1);
    expect(seen).toEqual({ where: 'transaction 1', stored: ['a', 'c'] });
    expect(statements.map((statement) => statement.where)).toEqual([
      'transaction 1',
      'transaction 1',
    ]);
    expect(order).toEqual(['hook', 'after commit']);
  });

  it('should run a hook registered without mayAct for every batch, in its transaction', async () => {
    const { dataSource, transactions } = recordingDataSource();
    const ingest = service(dataSource);
    const hook = jest.fn(async () => undefined);
    ingest.onStored(hook);
    await ingest.ingest([item({ id: 'a' })], 'test');
    expect(transactions()).toBe(1);
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it('should write events and dead letters of one batch in one transaction', async () => {
    const { dataSource, statements, transactions } = recordingDataSource();
    const ingest = service(dataSource);
    const outcomes = await ingest.ingest(
      [item({ id: 'a' }), item({ id: 'bad', usage: { input_tokens: -1 } })],
      'test',
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['accepted', 'rejected']);
    expect(transactions()).toBe(1);
    expect(statements.map((statement) => statement.where)).toEqual([
      'transaction 1',
      'transaction 1',
    ]);
    expect(statements[1]!.sql).toContain('INSERT INTO dead_letters');
  });

  it('should answer a retryable error and store nothing when the single statement cannot reach the database', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { dataSource } = recordingDataSource({ failWith: refused });
    const ingest = service(dataSource);
    await expect(ingest.ingest([item({ id: 'a' })], 'test')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      isRetryable: true,
    });
  });

  it('should dead-letter the one event pricing throws on and store the rest of the batch', async () => {
    const { dataSource, statements } = recordingDataSource();
    const ingest = service(dataSource);
    const outcomes = await ingest.ingest(
      [item({ id: 'a' }), item({ id: 'boom', model: 'explodes' }), item({ id: 'c' })],
      'test',
    );
    expect(outcomes).toEqual([
      { id: 'a', source: 'unit', status: 'accepted' },
      {
        id: 'boom',
        source: 'unit',
        status: 'rejected',
        reason: 'unprocessable: the event could not be priced (TypeError: a bug in pricing)',
      },
      { id: 'c', source: 'unit', status: 'accepted' },
    ]);
    expect(statements.map((statement) => statement.sql)).toEqual([
      expect.stringContaining('INSERT INTO usage_events'),
      expect.stringContaining('INSERT INTO dead_letters'),
    ]);
  });

  it("should judge how late or early an event is by the injected clock, not the machine's", async () => {
    const { dataSource } = recordingDataSource();
    const clock = () => new Date('2031-05-01T00:00:00Z');
    const ingest = service(dataSource, { clock, env: { INGEST_MAX_AGE_DAYS: '10' } });
    const outcomes = await ingest.ingest(
      [
        item({ id: 'then', timestamp: '2031-04-30T23:59:00Z' }),
        item({ id: 'old', timestamp: '2031-04-01T00:00:00Z' }),
      ],
      'test',
    );
    expect(outcomes.map((outcome) => [outcome.status, outcome.reason])).toEqual([
      ['accepted', undefined],
      ['rejected', 'timestamp: 2031-04-01T00:00:00Z is older than the accepted age of 10 days'],
    ]);
  });
});

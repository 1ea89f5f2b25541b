// What unit tests cannot catch: usage_daily is written by the same statements as usage_hourly
// (ingest, late events, redelivery, re-ratings), so after each of them every daily row must
// equal the sum of its hourly rows and of its events exactly; a spend report reading whole days
// from it must answer what the events alone say, for ranges with partial days and hours; and
// the migration's backfill must sum the hourly rows already stored.
import { createDataSource, migrations } from '@purser/api';
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money, TOKEN_KEYS } from '@purser/pricing';
import {
  chargeback,
  createCenters,
  createRule,
  gql,
  UPDATE_RULE,
} from '../allocation/allocation-support';
import { DATABASE_BACKENDS } from '../support/database';
import { upsertPrice } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const MODELS = ['daily-new', 'daily-known'];
const TEAMS = ['search', 'ads', null];
const DIMENSIONS =
  'provider, model, team, feature, environment, customer, project, user_id, agent, currency';
/** The rollups' sums: request counts, cost, and a column per token bucket of the vocabulary. */
const SUMS = ['requests', 'unpriced_requests', 'cost', ...TOKEN_KEYS];
/** The sums, as text, trailing zeros of costs trimmed (1.50 and 1.5 are the same amount). */
const sumsOf = (expression: (column: string) => string) =>
  SUMS.map((column) =>
    column === 'cost'
      ? `trim_scale(${expression(column)})::text AS cost`
      : `(${expression(column)})::text AS ${column}`,
  ).join(', ');
const EVENT_SUM = (column: string) =>
  column === 'requests'
    ? 'count(*)'
    : column === 'unpriced_requests'
      ? 'count(*) FILTER (WHERE unpriced)'
      : `sum(${column})`;

/** Ranges with whole days, partial days and partial hours at either end. */
const RANGES: [string, string, string][] = [
  ['whole days', '2026-06-02T00:00:00Z', '2026-06-04T00:00:00Z'],
  ['partial days and hours at both ends', '2026-06-01T22:17:31Z', '2026-06-04T03:42:07.5Z'],
  ['whole hours around whole days', '2026-06-01T21:00:00Z', '2026-06-04T05:00:00Z'],
  ['one day and a bit', '2026-06-02T00:00:00Z', '2026-06-03T00:30:00Z'],
  ['under a day across midnight', '2026-06-02T13:00:00Z', '2026-06-03T09:15:00Z'],
  ['whole days across two rule changes', '2026-06-02T00:00:00Z', '2026-06-05T00:00:00Z'],
];

/** Some events carry a pool, some an owner, some both, most neither. */
function tagsOf(index: number): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  if (index % 4 === 1) tags.pool = 'evals';
  if (index % 5 === 0) tags.owner = 'ml';
  if (index % 7 === 0) tags.owner = 'web';
  return Object.keys(tags).length ? tags : undefined;
}

describe('usage_daily: the exact sum of its hours and events', () => {
  let service: RunningPurser;
  let project: string;
  let gateway: string;
  const query = (sql: string, params: unknown[] = []) =>
    service.purser.dataSource.query(sql, params) as Promise<Record<string, unknown>[]>;

  const ingest = async (events: ReturnType<typeof makeUsageEvent>[]) => {
    const result = await service.graphql<{ ingestUsage: { accepted: number } }>(
      `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }`,
      { events },
      gateway,
    );
    expect(result.errors).toBeUndefined();
  };

  const event = (index: number, timestamp: string) => {
    const team = TEAMS[index % TEAMS.length];
    return makeUsageEvent({
      id: `${project}-${index}`,
      source: project,
      timestamp,
      provider: 'openai',
      model: MODELS[index % 2],
      usage: { input_tokens: 1000 + index, output_tokens: 7 * index },
      attribution: { project, ...(team ? { team } : {}), ...(index % 4 ? { user: 'u1' } : {}) },
      ...(index % 11 === 0 ? { cache_hit: true } : {}),
      ...(tagsOf(index) ? { tags: tagsOf(index) } : {}),
    });
  };

  /** Daily rows, hourly rows summed by day, events summed by day: all three must be equal. */
  const expectDailyExact = async () => {
    const order = 'ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11';
    const group = 'GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11';
    const daily = await query(
      `SELECT day, ${DIMENSIONS}, ${sumsOf((column) => column)} FROM usage_daily
       WHERE project = $1 AND requests <> 0 ${order}`,
      [project],
    );
    const hourly = await query(
      `SELECT date_trunc('day', hour, 'UTC') AS day, ${DIMENSIONS}, ${sumsOf((column) => `sum(${column})`)}
       FROM usage_hourly WHERE project = $1 ${group} HAVING sum(requests) <> 0 ${order}`,
      [project],
    );
    const events = await query(
      `SELECT date_trunc('day', occurred_at, 'UTC') AS day, ${DIMENSIONS}, ${sumsOf(EVENT_SUM)}
       FROM usage_events WHERE project = $1 ${group} ${order}`,
      [project],
    );
    const emptied = await query(
      `SELECT count(*)::int AS rows FROM usage_daily
       WHERE project = $1 AND requests = 0 AND (cost <> 0 OR unpriced_requests <> 0 OR input_tokens <> 0)`,
      [project],
    );
    expect(events.length).toBeGreaterThan(0);
    expect(daily).toEqual(events);
    expect(hourly).toEqual(events);
    expect(emptied[0]!.rows).toBe(0);
    await expectTaggedExact();
    return events;
  };

  /** `usage_daily_tagged`: the events with tags, by day, combination and whole tag set. */
  const expectTaggedExact = async () => {
    const order = 'ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12';
    const tagged = await query(
      `SELECT day, ${DIMENSIONS}, tags, requests::text AS requests, trim_scale(cost)::text AS cost,
              tags_key = sha256(convert_to(tags::text, 'UTF8')) AS keyed
       FROM usage_daily_tagged WHERE project = $1 AND (requests <> 0 OR cost <> 0) ${order}`,
      [project],
    );
    const events = await query(
      `SELECT date_trunc('day', occurred_at, 'UTC') AS day, ${DIMENSIONS}, tags,
              count(*)::text AS requests, trim_scale(sum(cost))::text AS cost, true AS keyed
       FROM usage_events WHERE project = $1 AND tags <> '{}'::jsonb
       GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 ${order}`,
      [project],
    );
    const emptied = await query(
      `SELECT count(*)::int AS rows FROM usage_daily_tagged WHERE project = $1 AND requests = 0 AND cost <> 0`,
      [project],
    );
    expect(new Set(events.map((row) => JSON.stringify(row.tags))).size).toBe(5);
    expect(tagged).toEqual(events);
    expect(emptied[0]!.rows).toBe(0);
  };

  beforeAll(async () => {
    service = await startPurser();
    project = `daily-rollup-${Date.now()}`;
    gateway = await service.keyFor('gateway');
    await upsertPrice(service, {
      model: MODELS[1]!,
      effectiveFrom: '2026-01-01T00:00:00Z',
      currency: 'USD',
      prices: { inputTokens: '1.25', outputTokens: '3' },
    });
    // Three days, events near midnight on both sides, every hour of the day touched.
    await ingest(
      Array.from({ length: 72 }, (_, index) => {
        const day = 2 + (index % 3);
        const hour = (index * 5) % 24;
        return event(
          index,
          `2026-06-0${day}T${String(hour).padStart(2, '0')}:${String((index * 7) % 60).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}.${String(index % 1000).padStart(3, '0')}Z`,
        );
      }),
    );
  });
  afterAll(() => service?.stop());

  it('should hold the sums of the hours and events as ingested', async () => {
    const rows = await expectDailyExact();
    expect(new Set(rows.map((row) => String(row.day))).size).toBe(3);
    expect(rows.some((row) => row.unpriced_requests !== '0')).toBe(true);
  });

  it('should add late events to their day once, a redelivered batch adding nothing', async () => {
    const late = [
      ...Array.from({ length: 12 }, (_, index) =>
        event(
          100 + index,
          `2026-06-0${2 + (index % 3)}T23:59:59.${String(index).padStart(3, '0')}Z`,
        ),
      ),
      // Tagged, in the partial days at the ends of the chargeback's ranges below.
      event(301, '2026-06-01T22:30:00Z'),
      event(305, '2026-06-01T23:59:59.999Z'),
      event(309, '2026-06-03T00:10:00Z'),
    ];
    await ingest(late);
    await ingest([...late, event(0, '2026-06-02T00:00:00Z'), event(200, '2026-06-01T00:00:00Z')]);
    const rows = await expectDailyExact();
    expect(rows.map((row) => new Date(row.day as Date).toISOString())).toContain(
      '2026-06-01T00:00:00.000Z',
    );
  });

  it('should stay the sums through re-ratings, into another currency and back', async () => {
    const reprice = (batchSize: number) =>
      service.purser.services.reprice.reprice({
        from: new Date('2026-06-01T00:00:00Z'),
        to: new Date('2026-06-05T00:00:00Z'),
        provider: 'openai',
        batchSize,
      });
    const setPrice = (price: string, currency = 'USD') =>
      upsertPrice(service, {
        model: MODELS[0]!,
        effectiveFrom: '2026-06-01T00:00:00Z',
        currency,
        prices: { inputTokens: price, outputTokens: price },
      });
    await setPrice('2');
    expect((await reprice(5)).newlyPriced).toBeGreaterThan(0);
    await expectDailyExact();
    await setPrice('3.5', 'EUR');
    expect((await reprice(7)).changed).toBeGreaterThan(0);
    const euro = await expectDailyExact();
    expect(new Set(euro.map((row) => row.currency))).toEqual(new Set(['USD', 'EUR']));
    await setPrice('0.125');
    expect((await reprice(1000)).changed).toBeGreaterThan(0);
    const back = await expectDailyExact();
    expect(back.every((row) => row.currency === 'USD')).toBe(true);
  });

  it.each(RANGES)(
    'should report over %s what the events alone say, whatever the grouping',
    async (_name, from, to) => {
      for (const groupBy of [[], ['day'], ['team', 'user'], ['day', 'model'], ['hour']] as const) {
        const report = await service.purser.services.spend.report({
          from: new Date(from),
          to: new Date(to),
          groupBy: [...groupBy],
          filter: { project },
          currency: 'USD',
        });
        const expected = await query(
          `SELECT count(*)::int AS requests, (count(*) FILTER (WHERE unpriced))::int AS unpriced,
                coalesce(trim_scale(sum(cost)), 0)::text AS cost, coalesce(sum(input_tokens), 0)::int AS input
         FROM usage_events WHERE project = $1 AND currency = 'USD' AND occurred_at >= $2 AND occurred_at < $3`,
          [project, from, to],
        );
        expect(expected[0]!.requests).toBeGreaterThan(0);
        expect({
          requests: report.requests,
          unpriced: report.unpricedRequests,
          cost: report.total,
          input: report.rows.reduce((sum, row) => sum + (row.tokens.input_tokens ?? 0), 0),
        }).toEqual(expected[0]);
      }
    },
  );

  describe('the chargeback, reading tagged usage from usage_daily_tagged for whole days', () => {
    const CHANGE = '2026-06-03T13:00:00Z';
    /** A second change at midnight: whole days on both sides of it read from the rollup. */
    const MIDNIGHT_CHANGE = '2026-06-04T00:00:00Z';
    /** What each cost center takes, in rule order, as SQL over the events alone. */
    const CLAIMS: [string, string][] = [
      ['CC-SEARCH-EVALS', `tags ->> 'pool' = 'evals' AND team = 'search'`],
      ['CC-ML', `tags ->> 'owner' = 'ml' AND occurred_at < '${CHANGE}'`],
      ['CC-ML2', `tags ->> 'owner' = 'ml' AND occurred_at >= '${CHANGE}'`],
      ['CC-EVALS2', `tags ->> 'pool' = 'evals' AND occurred_at >= '${MIDNIGHT_CHANGE}'`],
      ['CC-EVALS', `tags ->> 'pool' = 'evals'`],
      ['CC-ADS', `team = 'ads'`],
    ];

    beforeAll(async () => {
      await createCenters(
        service,
        ['CC-SEARCH-EVALS', 'CC-ML', 'CC-ML2', 'CC-EVALS', 'CC-EVALS2', 'CC-ADS'].map((code) => ({
          code,
        })),
      );
      const rule = (name: string, priority: number, match: object, costCenter: string) => ({
        name,
        priority,
        match,
        method: 'DIRECT',
        targets: [{ costCenter }],
        effectiveFrom: '2026-05-01T00:00:00Z',
      });
      await createRule(
        service,
        rule('search evals', 1, { team: 'search', tags: { pool: 'evals' } }, 'CC-SEARCH-EVALS'),
      );
      const ml = rule('ml', 2, { tags: { owner: 'ml' } }, 'CC-ML');
      const { id } = await createRule(service, ml);
      await gql(service, UPDATE_RULE, {
        id,
        input: { ...ml, targets: [{ costCenter: 'CC-ML2' }], effectiveFrom: CHANGE },
      });
      const evals = rule('evals', 3, { tags: { pool: 'evals' } }, 'CC-EVALS');
      const created = await createRule(service, evals);
      await gql(service, UPDATE_RULE, {
        id: created.id,
        input: { ...evals, targets: [{ costCenter: 'CC-EVALS2' }], effectiveFrom: MIDNIGHT_CHANGE },
      });
      await createRule(service, rule('ads', 4, { team: 'ads' }, 'CC-ADS'));
    });

    it.each(RANGES)(
      'should charge over %s what the events alone say, tag sets with two keys included',
      async (_name, from, to) => {
        const report = await chargeback(service, from, to);
        const claimed: string[] = [];
        const expected: Record<string, string> = {};
        for (const [center, condition] of CLAIMS) {
          const [row] = await query(
            `SELECT coalesce(sum(cost), 0)::text AS cost FROM usage_events
             WHERE currency = 'USD' AND occurred_at >= $1 AND occurred_at < $2
               AND (${condition}) ${claimed.map((earlier) => `AND NOT coalesce(${earlier}, false)`).join(' ')}`,
            [from, to],
          );
          expected[center] = row!.cost as string;
          claimed.push(`(${condition})`);
        }
        const charged = Object.fromEntries(
          report.rows.filter((row) => !row.rolledUp).map((row) => [row.costCenter, row.direct]),
        );
        for (const [center, cost] of Object.entries(expected)) {
          expect([center, new Money(charged[center] ?? '0').minus(cost).isZero()]).toEqual([
            center,
            true,
          ]);
        }
        expect(
          new Money(expected['CC-ML']!).isZero() && new Money(expected['CC-ML2']!).isZero(),
        ).toBe(false);
        const [total] = await query(
          `SELECT coalesce(sum(cost), 0)::text AS cost FROM usage_events
           WHERE currency = 'USD' AND occurred_at >= $1 AND occurred_at < $2`,
          [from, to],
        );
        expect(new Money(report.total).minus(total!.cost as string).isZero()).toBe(true);
      },
    );
  });
});

/**
 * A fresh database migrated to the end, `name`'s migration taken down, `seed` run, the migration
 * brought up again (its backfill reads what `seed` stored): answers what `read` reads then.
 */
async function afterBackfill<T>(
  makeDatabase: (typeof DATABASE_BACKENDS)[number][1],
  name: string,
  seed: string,
  read: string,
): Promise<T> {
  const database = await makeDatabase();
  const dataSource = createDataSource({ url: database.url, dataDir: database.dataDir });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    const Migration = migrations.find((migration) => migration.name.startsWith(name))!;
    const runner = dataSource.createQueryRunner();
    try {
      await new Migration().down(runner);
      await dataSource.query(seed);
      await new Migration().up(runner);
    } finally {
      await runner.release();
    }
    return (await dataSource.query(read)) as T;
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}

describe.each(DATABASE_BACKENDS)('usage_daily migration on %s', (_name, makeDatabase) => {
  it('should backfill the daily rows from the hourly rows already stored', async () => {
    const rows = await afterBackfill(
      makeDatabase,
      'DailyRollup',
      `INSERT INTO usage_hourly (hour, provider, model, team, currency, requests, unpriced_requests, cost, input_tokens)
       VALUES ('2026-06-02T00:00:00Z', 'openai', 'm', NULL, 'USD', 2, 1, 0.10, 5),
              ('2026-06-02T23:00:00Z', 'openai', 'm', NULL, 'USD', 3, 0, 0.000000000000000001, 7),
              ('2026-06-02T05:00:00Z', 'openai', 'm', 'ads', 'USD', 1, 0, 1, 1),
              ('2026-06-03T00:00:00Z', 'openai', 'm', NULL, 'USD', 4, 2, 2.5, 11)`,
      `SELECT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS day, team,
              requests::int AS requests, unpriced_requests::int AS unpriced, cost::text AS cost,
              input_tokens::int AS input
       FROM usage_daily ORDER BY day, team NULLS LAST`,
    );
    expect(rows).toEqual([
      { day: '2026-06-02T00:00', team: 'ads', requests: 1, unpriced: 0, cost: '1', input: 1 },
      {
        day: '2026-06-02T00:00',
        team: null,
        requests: 5,
        unpriced: 1,
        cost: '0.100000000000000001',
        input: 12,
      },
      { day: '2026-06-03T00:00', team: null, requests: 4, unpriced: 2, cost: '2.5', input: 11 },
    ]);
  });
});

describe.each(DATABASE_BACKENDS)('usage_daily_tagged migration on %s', (_name, makeDatabase) => {
  it('should backfill the tagged rows from the events already stored, keyed by their tag set', async () => {
    // Two events of one day and tag set (keys written in another order), one of another tag
    // set, one the next day, one without tags (not in the table).
    const rows = await afterBackfill(
      makeDatabase,
      'DailyTaggedRollup',
      `INSERT INTO usage_events (source, event_id, occurred_at, ingest_path, provider, model,
         team, tags, cost, currency, cost_breakdown, unpriced)
       VALUES ('s', 'e1', '2026-06-02T00:00:00Z', 'http', 'openai', 'm', 'ads', '{"a": "1", "b": "2"}', 0.1, 'USD', '[]', false),
              ('s', 'e2', '2026-06-02T23:59:59.999Z', 'http', 'openai', 'm', 'ads', '{"b": "2", "a": "1"}', 0.000000000000000001, 'USD', '[]', false),
              ('s', 'e3', '2026-06-02T12:00:00Z', 'http', 'openai', 'm', 'ads', '{"a": "1"}', 2, 'USD', '[]', false),
              ('s', 'e4', '2026-06-03T00:00:00Z', 'http', 'openai', 'm', NULL, '{"a": "1"}', 3, 'USD', '[]', false),
              ('s', 'e5', '2026-06-02T01:00:00Z', 'http', 'openai', 'm', 'ads', '{}', 5, 'USD', '[]', false)`,
      `SELECT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS day, team, tags,
              requests::int AS requests, cost::text AS cost,
              tags_key = sha256(convert_to(tags::text, 'UTF8')) AS keyed
       FROM usage_daily_tagged ORDER BY day, requests DESC`,
    );
    expect(rows).toEqual([
      {
        day: '2026-06-02T00:00',
        team: 'ads',
        tags: { a: '1', b: '2' },
        requests: 2,
        cost: '0.100000000000000001',
        keyed: true,
      },
      {
        day: '2026-06-02T00:00',
        team: 'ads',
        tags: { a: '1' },
        requests: 1,
        cost: '2',
        keyed: true,
      },
      {
        day: '2026-06-03T00:00',
        team: null,
        tags: { a: '1' },
        requests: 1,
        cost: '3',
        keyed: true,
      },
    ]);
  });
});

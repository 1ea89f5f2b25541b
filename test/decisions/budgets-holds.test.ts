// What unit tests cannot catch: the life of a hold against a real database — settled by the
// usage event that names its decision, released, expired by the sweeper — and budget windows
// that turn over at local midnight (DST included), late events filed in their own window,
// threshold alerts recorded and published once per window, and the fail mode when Postgres
// goes away.
import { ALERTS_SUBJECT } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { createTestDatabase, hasPostgres } from '../support/database';
import {
  authorize,
  budgetState,
  createBudget,
  pennyAsk,
  pennyTeamBudget,
  priceModel,
  postUsageJson,
  unique,
  PENNY,
} from '../support/decisions';
import { connectNats } from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';
import { startPurserBehindProxy } from '../support/proxied-purser';

const MODEL = 't-penny';

const ask = (attribution: Record<string, string>) => pennyAsk(MODEL, attribution);

function usage(
  attribution: Record<string, string>,
  inputTokens: number,
  timestamp: string,
  extra: Record<string, unknown> = {},
) {
  return makeUsageEvent({
    id: unique('evt'),
    provider: 'openai',
    model: MODEL,
    timestamp,
    usage: { input_tokens: inputTokens, output_tokens: 0 },
    attribution,
    ...extra,
  });
}

const RELEASE = 'mutation($id: ID!) { releaseReservation(id: $id) }';
const ALERTS = `query($budgetId: ID) { budgetAlerts(budgetId: $budgetId) { threshold kind windowStart spent limit publishedAt } }`;

interface Alert {
  threshold: number;
  kind: string;
  windowStart: string;
  spent: string;
  limit: string;
  publishedAt: string | null;
}

describe('budgets and holds', () => {
  let service: RunningPurser;
  let gateway: string;
  let nats: NatsConnection | null = null;
  /** The service's clock: real time unless a test pins it. */
  let pinned: Date | null = null;
  const setClock = (iso: string | null) => {
    pinned = iso ? new Date(iso) : null;
  };

  beforeAll(async () => {
    service = await startPurser({
      nats: Boolean(process.env.NATS_URL),
      clock: () => (pinned ? new Date(pinned) : new Date()),
      env: {
        PURSER_HOLD_TTL_SECONDS: '30',
        // Only the test's own tick() sweeps, so a moved clock expires nothing behind its back.
        PURSER_SWEEP_INTERVAL_SECONDS: '3600',
        INGEST_CONSUMER_NAME: unique('holds-consumer'),
      },
    });
    gateway = await service.keyFor('gateway');
    await priceModel(service, MODEL, PENNY);
    if (process.env.NATS_URL) nats = await connectNats();
  });
  afterEach(() => setClock(null));
  afterAll(async () => {
    await nats?.close();
    await service.stop();
  });

  const postUsage = async (events: unknown[]) => {
    const response = await postUsageJson(service, gateway, events);
    const body = (await response.json()) as { accepted: number; rejected: number };
    expect({ status: response.status, accepted: body.accepted }).toEqual({
      status: 200,
      accepted: events.length,
    });
  };

  describe('settle, release, expire', () => {
    it('should settle a hold with the usage event naming its decision and count the real cost', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'settle',
        scope: { team },
        period: 'TOTAL',
        limit: '1',
        mode: 'BLOCK',
      });
      const decision = await authorize(service, ask({ team }), gateway);
      expect(decision.reservation?.amount).toBe('0.01');
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0',
        reserved: '0.01',
        remaining: '0.99',
      });
      await postUsage([
        usage({ team }, 600, new Date(Date.now() - 1000).toISOString(), {
          decision_id: decision.decisionId,
        }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({
        limit: '1',
        spent: '0.006',
        reserved: '0',
        remaining: '0.994',
      });
      // A settled hold can no longer be released.
      const again = await service.graphql<{ releaseReservation: boolean }>(RELEASE, {
        id: decision.reservation!.id,
      });
      expect(again.data?.releaseReservation).toBe(false);
    });

    it('should free a hold on release, and answer false to a second release', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'release',
        scope: { team },
        period: 'TOTAL',
        limit: '1',
        mode: 'BLOCK',
      });
      const decision = await authorize(service, ask({ team }), gateway);
      const first = await service.graphql<{ releaseReservation: boolean }>(
        RELEASE,
        { id: decision.reservation!.id },
        gateway,
      );
      expect(first).toEqual({ data: { releaseReservation: true } });
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0',
        reserved: '0',
        remaining: '1',
      });
      const second = await service.graphql<{ releaseReservation: boolean }>(
        RELEASE,
        { id: decision.reservation!.id },
        gateway,
      );
      expect(second).toEqual({ data: { releaseReservation: false } });
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0' });
    });

    it('should expire a hold past its TTL when the sweeper runs', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'expire',
        scope: { team },
        period: 'TOTAL',
        limit: '1',
        mode: 'BLOCK',
      });
      setClock('2026-11-20T10:00:00Z');
      const decision = await authorize(service, ask({ team }), gateway);
      expect(decision.reservation?.expiresAt).toBe('2026-11-20T10:00:30.000Z');
      setClock('2026-11-20T10:00:29Z');
      await service.purser.maintenance!.tick();
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0.01' });
      setClock('2026-11-20T10:00:31Z');
      await service.purser.maintenance!.tick();
      expect(await budgetState(service, budget.id)).toMatchObject({
        reserved: '0',
        remaining: '1',
      });
      const release = await service.graphql<{ releaseReservation: boolean }>(RELEASE, {
        id: decision.reservation!.id,
      });
      expect(release.data?.releaseReservation).toBe(false);
    });
  });

  describe('windows', () => {
    it('should turn a DAILY America/New_York budget over at local midnight and file late events in their own day', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'new york day',
        scope: { team },
        period: 'DAILY',
        timezone: 'America/New_York',
        limit: '1',
        mode: 'BLOCK',
      });
      // 23:59 on Saturday 7 March 2026 in New York (EST, UTC-5).
      setClock('2026-03-08T04:59:00Z');
      const before = await authorize(service, ask({ team }), gateway);
      expect(before.budgets).toEqual([
        expect.objectContaining({
          id: budget.id,
          spent: '0',
          reserved: '0.01',
          resetsAt: '2026-03-08T05:00:00.000Z',
        }),
      ]);
      await postUsage([
        usage({ team }, 600, '2026-03-08T04:59:30Z', { decision_id: before.decisionId }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0.006',
        reserved: '0',
        resetsAt: '2026-03-08T05:00:00.000Z',
      });

      // 00:00:01 on Sunday 8 March: a fresh window, and this day is 23 hours long (DST starts).
      setClock('2026-03-08T05:00:01Z');
      const after = await authorize(service, ask({ team }), gateway);
      expect(after.budgets).toEqual([
        expect.objectContaining({
          id: budget.id,
          spent: '0',
          reserved: '0.01',
          remaining: '0.99',
          resetsAt: '2026-03-09T04:00:00.000Z',
        }),
      ]);

      // A late event from Saturday evening lands on Saturday, not on today.
      await postUsage([usage({ team }, 500, '2026-03-08T04:30:00Z')]);
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0',
        reserved: '0.01',
        resetsAt: '2026-03-09T04:00:00.000Z',
      });
      setClock('2026-03-08T04:59:59Z');
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0.011',
        reserved: '0',
      });
      const windows = await service.purser.dataSource.query(
        `SELECT window_start, window_end, spent::text AS spent, reserved::text AS reserved
         FROM budget_windows WHERE budget_id = $1 ORDER BY window_start`,
        [budget.id],
      );
      expect(
        windows.map((row: Record<string, unknown>) => ({
          start: new Date(row.window_start as string).toISOString(),
          end: new Date(row.window_end as string).toISOString(),
          spent: Number(row.spent),
          reserved: Number(row.reserved),
        })),
      ).toEqual([
        {
          start: '2026-03-07T05:00:00.000Z',
          end: '2026-03-08T05:00:00.000Z',
          spent: 0.011,
          reserved: 0,
        },
        {
          start: '2026-03-08T05:00:00.000Z',
          end: '2026-03-09T04:00:00.000Z',
          spent: 0,
          reserved: 0.01,
        },
      ]);
    });
  });

  describe('threshold alerts', () => {
    it('should record (and publish) each threshold once per window, however often it is crossed', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'alerts',
        scope: { team },
        period: 'DAILY',
        timezone: 'UTC',
        limit: '0.01',
        mode: 'BLOCK',
        softThresholds: [0.5],
      });
      const received: Record<string, unknown>[] = [];
      const subscription = nats?.subscribe(ALERTS_SUBJECT, {
        callback: (error, message) => {
          if (error) return;
          const alert = message.json<Record<string, unknown>>();
          if (alert.budget_id === budget.id) received.push(alert);
        },
      });
      await nats?.flush();
      const day1 = '2026-11-10T';
      const day2 = '2026-11-11T';
      // Day 1: 0.006 (past 50%), 0.001, 0.004 (past 100%), 0.002 (past again): two alerts.
      for (const [tokens, hour] of [
        [600, '08'],
        [100, '09'],
        [400, '10'],
        [200, '11'],
      ] as const) {
        await postUsage([usage({ team }, tokens, `${day1}${hour}:00:00Z`)]);
      }
      // Day 2 crosses both again in one event: its own two alerts.
      await postUsage([usage({ team }, 1200, `${day2}08:00:00Z`)]);
      // A late day-1 event crosses nothing new.
      await postUsage([usage({ team }, 100, `${day1}23:00:00Z`)]);
      await service.purser.maintenance!.tick();
      const alerts = await service.graphql<{ budgetAlerts: Alert[] }>(ALERTS, {
        budgetId: budget.id,
      });
      expect(alerts.errors).toBeUndefined();
      const rows = alerts.data!.budgetAlerts.map(({ publishedAt, ...alert }) => ({
        ...alert,
        published: publishedAt !== null,
      }));
      expect(
        rows.sort(
          (a, b) => a.windowStart.localeCompare(b.windowStart) || a.threshold - b.threshold,
        ),
      ).toEqual([
        {
          threshold: 0.5,
          kind: 'soft_threshold',
          windowStart: '2026-11-10T00:00:00.000Z',
          spent: '0.006',
          limit: '0.01',
          published: Boolean(nats),
        },
        {
          threshold: 1,
          kind: 'limit_reached',
          windowStart: '2026-11-10T00:00:00.000Z',
          spent: '0.011',
          limit: '0.01',
          published: Boolean(nats),
        },
        {
          threshold: 0.5,
          kind: 'soft_threshold',
          windowStart: '2026-11-11T00:00:00.000Z',
          spent: '0.012',
          limit: '0.01',
          published: Boolean(nats),
        },
        {
          threshold: 1,
          kind: 'limit_reached',
          windowStart: '2026-11-11T00:00:00.000Z',
          spent: '0.012',
          limit: '0.01',
          published: Boolean(nats),
        },
      ]);
      if (nats) {
        await nats.flush();
        // Another pass publishes nothing more.
        await service.purser.maintenance!.tick();
        await nats.flush();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(
          received
            .map(
              (alert) => `${(alert.window as { starts_at: string }).starts_at} ${alert.threshold}`,
            )
            .sort(),
        ).toEqual([
          '2026-11-10T00:00:00.000Z 0.5',
          '2026-11-10T00:00:00.000Z 1',
          '2026-11-11T00:00:00.000Z 0.5',
          '2026-11-11T00:00:00.000Z 1',
        ]);
        expect(received[0]).toMatchObject({
          budget_name: 'alerts',
          limit: '0.01',
          currency: 'USD',
        });
      }
      subscription?.unsubscribe();
    });
  });

  describe('budget CRUD', () => {
    it('should page budgets in creation order without skipping one when an earlier one is deleted between pages', async () => {
      const team = unique('paging');
      const created: string[] = [];
      for (const name of ['p1', 'p2', 'p3', 'p4']) {
        created.push(
          (
            await createBudget(service, {
              name,
              scope: { team },
              period: 'MONTHLY',
              limit: '1',
              mode: 'BLOCK',
            })
          ).id,
        );
      }
      type Page = {
        budgets: {
          edges: { node: { id: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
      const page = async (after?: string) =>
        (
          await service.graphql<Page>(
            `query($after: String) { budgets(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
            { after },
          )
        ).data!.budgets;
      // Walk to the page that holds p1 and p2, then delete p1 before asking for the next.
      let current = await page();
      const seen: string[] = [];
      while (!current.edges.some((edge) => edge.node.id === created[1])) {
        current = await page(current.pageInfo.endCursor!);
      }
      seen.push(...current.edges.map((edge) => edge.node.id));
      await service.graphql('mutation($id: ID!) { deleteBudget(id: $id) }', { id: created[0] });
      for (;;) {
        if (!current.pageInfo.hasNextPage) break;
        current = await page(current.pageInfo.endCursor!);
        seen.push(...current.edges.map((edge) => edge.node.id));
      }
      const ours = seen.filter((id) => created.includes(id));
      expect(ours).toEqual(created.filter((id) => seen.includes(id)));
      expect(ours).toEqual(expect.arrayContaining([created[1], created[2], created[3]]));
    });

    it('should apply an updated limit, list the budget with a forecast, and stop applying it once deleted', async () => {
      const team = unique('t');
      setClock('2026-11-22T06:00:00Z');
      const budget = await createBudget(service, {
        name: 'crud',
        scope: { team },
        period: 'DAILY',
        limit: '0.01',
        mode: 'BLOCK',
      });
      // A quarter of the UTC day gone, $0.006 spent: at this rate the day ends at $0.024.
      await postUsage([usage({ team }, 600, '2026-11-22T05:00:00Z')]);
      const listed = await service.graphql<{
        budgets: {
          edges: { node: { id: string; limit: string; spent: string; forecast: string } }[];
        };
      }>(`{ budgets(first: 100) { edges { node { id limit spent forecast } } } }`);
      expect(listed.data?.budgets.edges.map((edge) => edge.node)).toContainEqual({
        id: budget.id,
        limit: '0.01',
        spent: '0.006',
        forecast: '0.024',
      });

      expect((await authorize(service, ask({ team }), gateway)).action).toBe('DENY');
      const updated = await service.graphql<{ updateBudget: { limit: string; remaining: string } }>(
        'mutation($id: ID!, $input: UpdateBudgetInput!) { updateBudget(id: $id, input: $input) { limit remaining } }',
        { id: budget.id, input: { limit: '0.02' } },
      );
      expect(updated.data?.updateBudget).toEqual({ limit: '0.02', remaining: '0.014' });
      const allowed = await authorize(service, ask({ team }), gateway);
      expect(allowed).toMatchObject({ allow: true, action: 'ALLOW' });
      expect(allowed.budgets).toEqual([
        expect.objectContaining({ id: budget.id, limit: '0.02', remaining: '0.004' }),
      ]);

      const deleted = await service.graphql<{ deleteBudget: boolean }>(
        'mutation($id: ID!) { deleteBudget(id: $id) }',
        { id: budget.id },
      );
      expect(deleted.data?.deleteBudget).toBe(true);
      const deletedAgain = await service.graphql<{ deleteBudget: boolean }>(
        'mutation($id: ID!) { deleteBudget(id: $id) }',
        { id: budget.id },
      );
      expect(deletedAgain.data?.deleteBudget).toBe(false);
      const free = await authorize(service, ask({ team }), gateway);
      expect(free).toMatchObject({ allow: true, action: 'ALLOW', budgets: [] });
      const gone = await service.graphql<{ budget: unknown }>(
        'query($id: ID!) { budget(id: $id) { id } }',
        { id: budget.id },
      );
      expect(gone.data?.budget).toBeNull();
    });
  });
});

describe('fail mode when Postgres is unreachable', () => {
  if (!hasPostgres) {
    it.skip('needs a Postgres server to cut (PGlite runs in-process)', () => {});
    return;
  }

  async function throughProxy(failMode?: string) {
    const proxied = await startPurserBehindProxy(failMode ? { PURSER_FAIL_MODE: failMode } : {});
    const { service } = proxied;
    const gateway = await service.keyFor('gateway');
    const team = await pennyTeamBudget(service, MODEL, 'cut');
    // Warm: the key and the catalog are known before the cut.
    expect((await authorize(service, ask({ team }), gateway)).allow).toBe(true);
    return { ...proxied, gateway, team };
  }

  it('should deny with purser_unavailable by default', async () => {
    const setup = await throughProxy();
    try {
      await setup.proxy.cut();
      const answer = await authorize(setup.service, ask({ team: setup.team }), setup.gateway);
      expect(answer).toMatchObject({ allow: false, action: 'DENY', reservation: null });
      expect(answer.reasons.map((reason) => reason.code)).toEqual(['purser_unavailable']);
    } finally {
      await setup.close();
    }
  });

  it('should deny with purser_overloaded when every connection of the replica stays busy', async () => {
    const database = await createTestDatabase();
    const service = await startPurser({ database, env: { DATABASE_POOL_SIZE: '1' } });
    try {
      const gateway = await service.keyFor('gateway');
      await priceModel(service, MODEL, PENNY);
      const team = unique('t');
      await createBudget(service, {
        name: 'busy',
        scope: { team },
        period: 'TOTAL',
        limit: '1',
        mode: 'BLOCK',
      });
      expect((await authorize(service, ask({ team }), gateway)).allow).toBe(true);
      // The only connection is taken for longer than the pool waits for one (5 s).
      const busy = service.purser.dataSource.query('SELECT pg_sleep(7)');
      const answer = await authorize(service, ask({ team }), gateway);
      expect(answer).toMatchObject({ allow: false, action: 'DENY', reservation: null });
      expect(answer.reasons.map((reason) => reason.code)).toEqual(['purser_overloaded']);
      await busy;
    } finally {
      await service.stop();
      await database.drop();
    }
  }, 30_000);

  it('should allow with a fail_open warning and no hold when PURSER_FAIL_MODE=fail_open', async () => {
    const setup = await throughProxy('fail_open');
    try {
      await setup.proxy.cut();
      const answer = await authorize(setup.service, ask({ team: setup.team }), setup.gateway);
      expect(answer).toMatchObject({ allow: true, action: 'WARN', reservation: null });
      expect(answer.reasons.map((reason) => reason.code)).toEqual(['fail_open']);
    } finally {
      await setup.close();
    }
  });
});

// Holds are placed in batches: one statement (`purser_hold_batch`) decides many holds in
// order, each all or nothing on what the holds before it left. These tests call the ledger
// of a running instance directly, against the suite's database (Postgres with DATABASE_URL).
import { randomUUID } from 'node:crypto';
import { startPurser, type RunningPurser } from '../support/purser';

const AT = new Date('2026-11-20T10:00:00.000Z');
const MINUTE = new Date('2026-11-20T10:00:00.000Z');

describe('holds in batches (purser_hold_batch)', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser({ clock: () => AT });
  });

  afterAll(async () => {
    await service?.stop();
  });

  const services = () => service.purser.services;

  const budget = (name: string, scope: Record<string, string>, limit: string, mode = 'block') =>
    services().budgets.create(
      {
        name,
        scope,
        period: 'monthly',
        timezone: 'UTC',
        limit,
        currency: 'USD',
        mode: mode as 'block',
        softThresholds: [],
        downgradeChain: [],
      },
      AT,
    );

  const hold = (amount: string, budgets: unknown[], counters: unknown[] = []) => ({
    reservationId: randomUUID(),
    decisionId: randomUUID(),
    amount,
    currency: 'USD',
    budgets: budgets as never,
    counters: counters as never,
    attribution: { team: 'search' },
    now: AT,
    expiresAt: new Date(AT.getTime() + 600_000),
  });

  it('should decide the holds of one statement in order, each all or nothing, and answer what each saw', async () => {
    const org = await budget('org', {}, '1');
    const team = await budget('team', { team: 'search' }, '0.5');
    const watch = await budget('watch', { feature: 'chat' }, '0.1', 'alert_only');
    const calls = await services().velocity.create({
      name: 'two calls a minute per session',
      scope: 'session',
      metric: 'requests',
      limit: '2',
      windowSeconds: 60,
    });
    const call = {
      limitId: calls.id,
      scopeValue: 's-1',
      windowStart: MINUTE,
      amount: '1',
      limit: '2',
    };

    const results = await services().ledger.holdBatch([
      hold('0.3', [org, team, watch], [call]), // placed
      hold('0.3', [org, team]), // team: 0.3 + 0.3 > 0.5
      hold('0.2', [org, team, watch], [call]), // team reaches 0.5 exactly; alert_only never refuses
      hold('0.1', [org], [call]), // a third call in the minute: refused, org untouched
      hold('0.5', [org]), // org reaches 1 exactly
      hold('0.000000001', [org]), // one nano past the limit
    ]);

    expect(results.map((result) => result.ok)).toEqual([true, false, true, false, true, false]);
    expect(results[1]).toMatchObject({ budgetId: team.id });
    expect(results[3]).toMatchObject({ limitId: calls.id });
    expect(results[5]).toMatchObject({ budgetId: org.id });
    // What each hold saw under lock, before its own increment.
    expect(results[0]).toMatchObject({ reserved: ['0', '0', '0'], counted: ['0'] });
    expect(results[1]).toMatchObject({ reserved: ['0.3', '0.3'], counted: [] });
    expect(results[2]).toMatchObject({ reserved: ['0.3', '0.3', '0.3'], counted: ['1'] });
    expect(results[3]).toMatchObject({ reserved: ['0.5'], counted: ['2'] });
    expect(results[4]).toMatchObject({ spent: ['0'], reserved: ['0.5'] });

    const state = async (id: string) => (await services().budgets.get(id, AT))!;
    expect(await state(org.id)).toMatchObject({ reserved: '1', remaining: '0' });
    expect(await state(team.id)).toMatchObject({ reserved: '0.5', remaining: '0' });
    expect(await state(watch.id)).toMatchObject({ reserved: '0.5' });
    const [counter] = await services().dataSource.query(
      `SELECT value::text AS value FROM velocity_counters WHERE limit_id = $1`,
      [calls.id],
    );
    expect(counter.value).toBe('2');
    const placed = results.flatMap((result, index) => (result.ok ? [index] : []));
    const reservations = await services().dataSource.query(
      `SELECT r.status, count(h.*)::int AS holds FROM reservations r
       JOIN reservation_holds h ON h.reservation_id = r.id GROUP BY r.id, r.status`,
    );
    expect(reservations).toHaveLength(placed.length);
    expect(reservations.map((row: { holds: number }) => row.holds).sort()).toEqual([1, 3, 3]);
  });

  it('should share statements between concurrent holds and never hold past the limit', async () => {
    const pool = await budget('pool', { customer: 'batch-co' }, '0.25');
    const statements = jest.spyOn(services().ledger, 'holdBatch');
    try {
      const results = await Promise.all(
        Array.from({ length: 60 }, () => services().ledger.hold(hold('0.01', [pool]))),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(25);
      const batches = statements.mock.calls;
      expect(batches.map(([requests]) => requests.length).reduce((a, b) => a + b)).toBe(60);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.length).toBeLessThan(60);
    } finally {
      statements.mockRestore();
    }
    expect(await services().budgets.get(pool.id, AT)).toMatchObject({ reserved: '0.25' });
  });

  it('should place holds the same way when commits do not wait for the WAL flush', async () => {
    // A ledger of its own on the same database, as PURSER_HOLD_SYNC_COMMIT=false builds it.
    type Ledger = ReturnType<typeof services>['ledger'];
    const FastLedger = services().ledger.constructor as new (
      dataSource: ReturnType<typeof services>['dataSource'],
      options: { syncCommit: boolean },
    ) => Ledger;
    const fast = new FastLedger(services().dataSource, { syncCommit: false });
    const capped = await budget('capped', { customer: 'fast-co' }, '0.05');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fast.hold(hold('0.01', [capped]))),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(await services().budgets.get(capped.id, AT)).toMatchObject({ reserved: '0.05' });
  });

  it('should fail only the hold the database rejects, not the others of its statement', async () => {
    const shared = await budget('shared', { customer: 'isolation-co' }, '100');
    const ghost = { ...shared, id: randomUUID() }; // no such budget: its window cannot exist
    const asked = Array.from({ length: 12 }, (_, index) =>
      services().ledger.hold(hold('1', index === 11 ? [shared, ghost] : [shared])),
    );
    const settled = await Promise.allSettled(asked);
    expect(settled.slice(0, 11).every((result) => result.status === 'fulfilled')).toBe(true);
    expect(
      settled.slice(0, 11).map((result) => (result as { value: { ok: boolean } }).value.ok),
    ).toEqual(Array(11).fill(true));
    expect(settled[11]!.status).toBe('rejected');
    expect(String((settled[11] as PromiseRejectedResult).reason)).toMatch(/foreign key/i);
    expect(await services().budgets.get(shared.id, AT)).toMatchObject({ reserved: '11' });
  });
  it('should count room lent as allowances, and say when a refused hold would fit without them', async () => {
    const lent = await budget('lent', { team: 'lent' }, '1');
    // The first hold creates the window; then half of its room is lent to a replica.
    expect((await services().ledger.holdBatch([hold('0.2', [lent])]))[0]).toMatchObject({
      ok: true,
    });
    const windowStart = lent.windowStart.toISOString();
    await service.purser.dataSource.query(
      `INSERT INTO hold_allowances (budget_id, window_start, replica_id, amount, expires_at)
       VALUES ($1, $2, $3, 0.5, now() + interval '1 minute')`,
      [lent.id, windowStart, randomUUID()],
    );
    await service.purser.dataSource.query(
      `UPDATE budget_windows SET allowed = 0.5 WHERE budget_id = $1`,
      [lent.id],
    );
    const results = await services().ledger.holdBatch([
      hold('0.3', [lent]), // 0.2 held + 0.5 lent + 0.3 = 1: fits exactly
      hold('0.1', [lent]), // past the limit only because of the lent room: worth waiting for
      hold('0.6', [lent]), // past it even without: a plain refusal
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false, false]);
    expect(results[1]).toMatchObject({ budgetId: lent.id, allowances: true });
    expect(results[2]).toMatchObject({ budgetId: lent.id });
    expect(results[2]!.allowances).toBeUndefined();
  });
});

import { Money } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { createLogger } from '../observability/logger';
import { holdRequest } from '../testing';
import { DEFAULT_ALLOWANCE_OPTIONS, HoldAllowances } from './hold-allowances';
import type { AllowanceSyncDocument } from './hold-documents';

const hold = (index: number) => holdRequest(index);

/** The named arguments of one sync statement (`purser_allowance_sync`). */
const syncOf = (values: unknown[]) => JSON.parse(values[0] as string) as AllowanceSyncDocument;
/** The windows' keeps, targets, and the reservation ids written, of one sync statement. */
const keepsOf = (values: unknown[]) => syncOf(values).windows.map((window) => window.keep);
const targetsOf = (values: unknown[]) => syncOf(values).windows.map((window) => window.target);
const reservationIdsOf = (values: unknown[]) => syncOf(values).holds.map((hold) => hold.id);
/**
 * A database that answers the sync like purser_allowance_sync would: it grants
 * greatest(keep, desired) with `desired` as set (the target when larger), failing when told.
 */
function fakeDatabase(grant: string) {
  const calls: unknown[][] = [];
  let failNext = false;
  let desired = new Money(grant);
  const dataSource = {
    options: {},
    query: async (_text: string, values: unknown[]) => {
      calls.push(values);
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('connection terminated'), { code: '57P01' });
      }
      const keeps = keepsOf(values);
      const targets = targetsOf(values);
      return keeps.map((keep, index) => {
        const wanted = new Money(targets[index]!).isZero() ? new Money(0) : desired;
        return {
          o_allowance: Money.max(keep, wanted).toFixed(),
          o_desired: wanted.toFixed(),
          o_spent: '0',
          o_reserved: '0',
        };
      });
    },
  } as unknown as DataSource;
  return {
    dataSource,
    calls,
    failOnce: () => (failNext = true),
    setDesired: (amount: string) => (desired = new Money(amount)),
  };
}

describe('HoldAllowances', () => {
  let now = 10_000;
  const options = {
    ...DEFAULT_ALLOWANCE_OPTIONS,
    replicaId: 'r',
    syncCommit: true,
    minRate: 1,
    clock: () => now,
  };

  async function warmed(grant: string) {
    const database = fakeDatabase(grant);
    const allowances = new HoldAllowances(database.dataSource, createLogger('silent'), options);
    // No allowance yet: the exact path, counted towards the rate.
    expect(allowances.tryHold(hold(0))).toBeNull();
    // A second later the rate of the last full second asks for an allowance.
    now += 1_000;
    await allowances.sync();
    return { allowances, database };
  }

  it('should place holds only up to the allowance, and none before one is granted', async () => {
    const { allowances } = await warmed('0.03');
    expect(allowances.lent()).toEqual([expect.objectContaining({ cap: '0.03', placed: '0' })]);
    expect(allowances.tryHold(hold(1))?.local).toBe(true);
    expect(allowances.tryHold(hold(2))?.local).toBe(true);
    expect(allowances.tryHold(hold(3))?.local).toBe(true);
    expect(allowances.tryHold(hold(4))).toBeNull();
    expect(allowances.placedInMemory).toBe(3);
    await allowances.stop();
  });

  it('should stop using an allowance half its life after the sync that granted it, and give it back when quiet', async () => {
    const { allowances, database } = await warmed('1');
    expect(allowances.tryHold(hold(1))?.local).toBe(true);
    now += DEFAULT_ALLOWANCE_OPTIONS.ttlMs / 2;
    expect(allowances.tryHold(hold(2))).toBeNull();
    // Two quiet seconds later the renewal asks for nothing and keeps nothing.
    now += 3_000;
    await allowances.sync();
    const renewal = database.calls.at(-1)!;
    expect(reservationIdsOf(renewal)).toEqual([hold(1).reservationId]);
    expect(keepsOf(renewal)).toEqual(['0']);
    expect(targetsOf(renewal)).toEqual(['0']);
    await allowances.stop();
  });

  it('should shrink its allowance as the room does, and give back what the database still lends', async () => {
    const { allowances, database } = await warmed('0.05');
    expect(allowances.tryHold(hold(1))?.local).toBe(true);
    // The room ran low: the database wants none kept, but grants what was left in flight.
    database.setDesired('0');
    await allowances.sync();
    const first = database.calls.at(-1)!;
    expect(keepsOf(first)).toEqual(['0.04']);
    expect(allowances.tryHold(hold(2))).toBeNull();
    // Quiet since: the next sync, which asks for nothing, still gives back the 0.04 lent.
    now += 3_000;
    await allowances.sync();
    expect(keepsOf(database.calls.at(-1)!)).toEqual(['0']);
    await allowances.stop();
  });

  it('should keep the holds of a failed sync and write them in the next one, counting their room as used', async () => {
    const { allowances, database } = await warmed('0.02');
    expect(allowances.tryHold(hold(1))?.local).toBe(true);
    database.failOnce();
    await allowances.flush();
    // Nothing was written: the allowance still counts the hold, so only one more fits.
    expect(allowances.lent()).toEqual([expect.objectContaining({ cap: '0.02', placed: '0.01' })]);
    expect(allowances.tryHold(hold(2))?.local).toBe(true);
    expect(allowances.tryHold(hold(3))).toBeNull();
    await allowances.flush();
    const last = database.calls.at(-1)!;
    expect(reservationIdsOf(last)).toEqual([hold(1).reservationId, hold(2).reservationId]);
    await allowances.stop();
    // Stopping gives the allowance back: keep and target 0.
    const stopped = database.calls.at(-1)!;
    expect(keepsOf(stopped)).toEqual(['0']);
    expect(targetsOf(stopped)).toEqual(['0']);
  });

  /** A hold on no budget and no velocity counter: nothing could refuse it. */
  const onNothing = (index: number) => ({ ...hold(index), budgets: [] });

  it('should place a hold on nothing from the first one, and write it in a sync sent no window', async () => {
    const database = fakeDatabase('0');
    const allowances = new HoldAllowances(database.dataSource, createLogger('silent'), options);
    expect(allowances.tryHold(onNothing(1))).toEqual({
      ok: true,
      local: true,
      spent: [],
      reserved: [],
      counted: [],
    });
    expect(allowances.placedOnNothing).toBe(1);
    expect(allowances.placedInMemory).toBe(0);
    await allowances.flush();
    expect(database.calls).toHaveLength(1);
    const sync = syncOf(database.calls[0]!);
    expect(sync.holds).toEqual([
      expect.objectContaining({ id: onNothing(1).reservationId, decision_id: 'decision-1' }),
    ]);
    expect(sync.windows).toEqual([]);
    expect(sync.hold_windows).toEqual([]);
    // Nothing is lent for it, so nothing is renewed once it is written.
    expect(allowances.lent()).toEqual([]);
    await allowances.stop();
    expect(database.calls).toHaveLength(1);
  });

  it('should send a hold with a velocity counter, or on nothing after a failed sync, to the exact path', async () => {
    const database = fakeDatabase('0');
    const allowances = new HoldAllowances(database.dataSource, createLogger('silent'), options);
    const counted = {
      ...onNothing(1),
      counters: [
        {
          limitId: 'limit',
          scopeValue: 'session',
          windowStart: new Date(0),
          amount: '1',
          limit: '10',
        },
      ],
    };
    expect(allowances.tryHold(counted)).toBeNull();
    expect(allowances.tryHold(onNothing(2))?.local).toBe(true);
    database.failOnce();
    await allowances.flush();
    // The database may be out of reach: the exact path follows PURSER_FAIL_MODE.
    expect(allowances.tryHold(onNothing(3))).toBeNull();
    await allowances.flush();
    expect(reservationIdsOf(database.calls.at(-1)!)).toEqual([onNothing(2).reservationId]);
    expect(allowances.tryHold(onNothing(4))?.local).toBe(true);
    expect(allowances.placedOnNothing).toBe(2);
    await allowances.stop();
    expect(reservationIdsOf(database.calls.at(-1)!)).toEqual([onNothing(4).reservationId]);
  });

  it('should write a hold on nothing by itself, a sync delay after placing it', async () => {
    const database = fakeDatabase('0');
    const allowances = new HoldAllowances(database.dataSource, createLogger('silent'), options);
    expect(allowances.tryHold(onNothing(1))?.local).toBe(true);
    // No flush, no renewer (not started), no window: only the hold's own schedule syncs.
    await new Promise((resolve) => setTimeout(resolve, options.syncDelayMs + 50));
    expect(database.calls.map(reservationIdsOf)).toEqual([[onNothing(1).reservationId]]);
    await allowances.stop();
  });

  it('should find the database back for holds on nothing after a failed sync that carried no hold', async () => {
    const database = fakeDatabase('0');
    const allowances = new HoldAllowances(database.dataSource, createLogger('silent'), options);
    const settle = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await allowances.flush();
    };
    // A give-back with nothing lent and no hold in it fails (the database is away).
    allowances.yieldWindow('budget', new Date(0), null);
    database.failOnce();
    await settle();
    expect(database.calls).toHaveLength(1);
    // The database is back and the window long quiet: nothing else would sync again.
    now += 5_000;
    expect(allowances.tryHold(onNothing(1))).toBeNull();
    await settle();
    // That refusal sent an empty sync, which found the database answering.
    expect(database.calls).toHaveLength(2);
    expect(syncOf(database.calls[1]!)).toMatchObject({ holds: [], windows: [] });
    expect(allowances.tryHold(onNothing(2))?.local).toBe(true);
    await allowances.stop();
    expect(reservationIdsOf(database.calls.at(-1)!)).toEqual([onNothing(2).reservationId]);
  });

  it('should send a hold on nothing to the exact path while a sync has waited half an allowance life', async () => {
    const calls: unknown[][] = [];
    let answerFirst!: () => void;
    const first = new Promise<unknown[]>((resolve) => (answerFirst = () => resolve([])));
    // The first sync waits for its answer until told; the others are answered at once.
    const dataSource = {
      options: {},
      query: async (_text: string, values: unknown[]) => {
        calls.push(values);
        return calls.length === 1 ? first : [];
      },
    } as unknown as DataSource;
    const allowances = new HoldAllowances(dataSource, createLogger('silent'), options);
    expect(allowances.tryHold(onNothing(1))?.local).toBe(true);
    const written = allowances.flush();
    now += DEFAULT_ALLOWANCE_OPTIONS.ttlMs / 2 - 1;
    expect(allowances.tryHold(onNothing(2))?.local).toBe(true);
    now += 1;
    expect(allowances.tryHold(onNothing(3))).toBeNull();
    answerFirst();
    await written;
    expect(allowances.tryHold(onNothing(4))?.local).toBe(true);
    await allowances.stop();
    expect(calls.map(reservationIdsOf)).toEqual([
      [onNothing(1).reservationId],
      [onNothing(2).reservationId, onNothing(4).reservationId],
    ]);
  });
});

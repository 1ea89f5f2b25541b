// What unit tests cannot catch: a closed month's chargeback stored and answered from the
// database, unchanged by later rules and late usage; late usage found by recomputing the month
// as its close saw it and shown in the next open month; reopen recorded with who and why.
import { startPurser, type RunningPurser } from '../support/purser';
import {
  byCenter,
  chargeback,
  createCenters,
  createRule,
  gql,
  gqlError,
  ingest,
  priceModels,
  REPORT_FIELDS,
  SPEND_TOTAL,
  type Report,
} from './allocation-support';

const OCTOBER = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };
const NOVEMBER = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
const CLOSE = `mutation($month: String!) { closePeriod(month: $month) }`;
const REOPEN = `mutation($month: String!, $reason: String!) {
  reopenPeriod(month: $month, reason: $reason) { month state history { action by byName role reason } }
}`;

describe('closed periods', () => {
  let service: RunningPurser;
  let gateway: string;
  let finance: string;
  let viewer: string;

  beforeAll(async () => {
    service = await startPurser();
    await priceModels(service);
    await priceModels(service, ['alloc-euro'], 'EUR');
    gateway = await service.keyFor('gateway');
    finance = await service.keyFor('finance');
    viewer = await service.keyFor('viewer');
    await createCenters(service, [
      { code: 'CC-A', glAccount: '6100' },
      { code: 'CC-B', glAccount: '6200' },
    ]);
    await createRule(service, {
      name: 'a',
      priority: 10,
      match: { team: 'a' },
      method: 'DIRECT',
      targets: [{ costCenter: 'CC-A' }],
      effectiveFrom: OCTOBER.from,
    });
    await createRule(service, {
      name: 'shared',
      priority: 20,
      match: { team: 'shared' },
      method: 'EVEN',
      targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B' }],
      effectiveFrom: OCTOBER.from,
    });
    await ingest(service, gateway, [
      { id: 'o1', at: '2026-10-05T10:00:00Z', input: 10, attribution: { team: 'a' } },
      { id: 'o2', at: '2026-10-06T10:00:00Z', input: 2, attribution: { team: 'shared' } },
      { id: 'o3', at: '2026-10-07T10:00:00Z', input: 1, attribution: { team: 'other' } },
      { id: 'n1', at: '2026-11-03T10:00:00Z', input: 4, attribution: { team: 'a' } },
      {
        id: 'eur',
        at: '2026-10-08T10:00:00Z',
        input: 3,
        model: 'alloc-euro',
        attribution: { team: 'a' },
      },
    ]);
  });
  afterAll(() => service.stop());

  it('freezes a month: later rules and late usage leave it unchanged, the late cost shows in the next open month', async () => {
    expect(await gql(service, CLOSE, { month: '2026-10' }, finance)).toEqual({ closePeriod: true });
    const closed = await chargeback(service, OCTOBER.from, OCTOBER.to);
    expect(closed.frozenMonths).toEqual(['2026-10']);
    expect(byCenter(closed)).toEqual({ 'CC-A': ['10', '1', '11'], 'CC-B': ['0', '1', '1'] });
    expect([closed.unallocated, closed.total]).toEqual(['1', '13']);
    // Every currency of the month is frozen on its own.
    const { chargeback: euro } = await gql<{ chargeback: Report }>(
      service,
      `query($from: DateTime!, $to: DateTime!) {
        chargeback(from: $from, to: $to, currency: "EUR") { ${REPORT_FIELDS} }
      }`,
      OCTOBER,
    );
    expect([euro.frozenMonths, byCenter(euro), euro.total]).toEqual([
      ['2026-10'],
      { 'CC-A': ['3', '0', '3'] },
      '3',
    ]);

    // After the close: a rule sending team a to CC-B from October on, and late October usage.
    await createRule(service, {
      name: 'a to B',
      priority: 1,
      match: { team: 'a' },
      method: 'DIRECT',
      targets: [{ costCenter: 'CC-B' }],
      effectiveFrom: OCTOBER.from,
    });
    await ingest(service, gateway, [
      { id: 'late', at: '2026-10-20T10:00:00Z', input: 5, attribution: { team: 'a' } },
    ]);
    await gql(
      service,
      `mutation { updateCostCenter(code: "CC-A", input: { glAccount: "6999" }) { code } }`,
    );
    expect(await chargeback(service, OCTOBER.from, OCTOBER.to)).toEqual(closed);
    const { spend } = await gql<{ spend: { total: string } }>(service, SPEND_TOTAL, OCTOBER);
    expect(spend.total).toBe('18');

    // November: its own usage under today's rules, plus October's late 5 as the close's rules
    // charged it (CC-A), marked as a prior-period adjustment.
    const november = await chargeback(service, NOVEMBER.from, NOVEMBER.to);
    expect(byCenter(november)).toEqual({ 'CC-B': ['4', '0', '4'] });
    expect(november.adjustments).toEqual([
      {
        priorPeriod: '2026-10',
        costCenter: 'CC-A',
        glAccount: '6999', // posted now: today's GL account
        direct: '5',
        shared: '0',
        trueUp: '0',
        total: '5',
      },
    ]);
    expect([november.adjustmentsTotal, november.total]).toEqual(['5', '9']);
    // Only a range holding the next open month's first instant carries the adjustment.
    const later = await chargeback(service, '2026-11-02T00:00:00Z', NOVEMBER.to);
    expect(later.adjustments).toEqual([]);
    // Drill-down of the closed month follows the close's rules (late usage included).
    const detail = async (code: string) =>
      (
        await gql<{ chargebackDetail: { ruleName: string; kind: string; amount: string }[] }>(
          service,
          `query($code: String!, $from: DateTime!, $to: DateTime!) {
            chargebackDetail(costCenter: $code, from: $from, to: $to) { ruleName kind amount }
          }`,
          { code, ...OCTOBER },
        )
      ).chargebackDetail;
    expect(await detail('CC-A')).toEqual([
      { ruleName: 'a', kind: 'DIRECT', amount: '15' },
      { ruleName: 'shared', kind: 'SHARED', amount: '1' },
    ]);
    expect(await detail('CC-B')).toEqual([{ ruleName: 'shared', kind: 'SHARED', amount: '1' }]);
    // A range covering both: October frozen, November live, the adjustment once.
    const both = await chargeback(service, OCTOBER.from, NOVEMBER.to);
    expect(both.frozenMonths).toEqual(['2026-10']);
    expect([both.total, both.adjustmentsTotal]).toEqual(['22', '5']);
  });

  it('refuses a second close, an unfinished month, a malformed one, and a viewer', async () => {
    expect(await gqlError(service, CLOSE, { month: '2026-10' })).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('month: 2026-10 is already closed'),
    });
    expect(await gqlError(service, CLOSE, { month: '2099-01' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('has not ended'),
    });
    expect(await gqlError(service, CLOSE, { month: '2026-13' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^month: /),
    });
    expect(await gqlError(service, CLOSE, { month: '2026-09' }, viewer)).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('reopens for admins only, recorded with who and why; the month is live again', async () => {
    expect(
      await gqlError(service, REOPEN, { month: '2026-10', reason: 'late invoices' }, finance),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(await gqlError(service, REOPEN, { month: '2026-10', reason: ' ' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^reason: /),
    });
    const { reopenPeriod } = await gql<{
      reopenPeriod: { state: string; history: Record<string, unknown>[] };
    }>(service, REOPEN, { month: '2026-10', reason: 'late invoices' });
    expect(reopenPeriod.state).toBe('OPEN');
    expect(reopenPeriod.history).toEqual([
      {
        action: 'CLOSE',
        by: expect.any(String),
        byName: 'test finance',
        role: 'finance',
        reason: null,
      },
      {
        action: 'REOPEN',
        by: expect.any(String),
        byName: 'bootstrap admin (PURSER_ADMIN_TOKEN)',
        role: 'admin',
        reason: 'late invoices',
      },
    ]);
    const { periods } = await gql<{ periods: { month: string; state: string }[] }>(
      service,
      `{ periods { month state } }`,
      {},
      viewer,
    );
    expect(periods).toEqual([{ month: '2026-10', state: 'OPEN' }]);
    // Live again: today's rules (a → CC-B) and the late usage; ties out to spend.
    const live = await chargeback(service, OCTOBER.from, OCTOBER.to);
    expect(live.frozenMonths).toEqual([]);
    expect(byCenter(live)).toEqual({ 'CC-A': ['0', '1', '1'], 'CC-B': ['15', '1', '16'] });
    expect(live.total).toBe('18');
    expect(await gqlError(service, REOPEN, { month: '2026-10', reason: 'again' })).toMatchObject({
      code: 'CONFLICT',
    });
  });
});

// True-up against real Postgres: usage ingested through the real path, provider cost lines
// inserted as a sync stores them. For a reconciled range the chargeback's total is the bill
// to the last decimal; each day × model variance is spread over the cost centers (and the
// unallocated usage) in proportion to the cost they received that day; billed cost no usage
// received and non-token charges go to the unallocated; days without billed lines keep their
// estimate; a bill that changes after the month closed lands as a prior-period adjustment.
import { Money } from '@purser/pricing';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  chargeback,
  createCenters,
  createRule,
  gql,
  ingest,
  MODEL,
  priceModels,
  type Report,
} from './allocation-support';

const SOURCE = 'true-up-source';

const row = (report: Report, code: string) => {
  const found = report.rows.find((entry) => entry.costCenter === code && !entry.rolledUp);
  if (!found) throw new Error(`no row ${code}`);
  return { direct: found.direct, trueUp: found.trueUp, total: found.total };
};

describe('true-up in the chargeback', () => {
  let service: RunningPurser;
  let lineKey = 0;
  const bill = (day: string, model: string | null, amount: string, costType = 'tokens') =>
    service.purser.dataSource.query(
      `INSERT INTO provider_cost_lines
         (source_id, line_key, day, provider, model, line_item, cost_type, amount, currency)
       VALUES ($1, $2, $3, 'openai', $4, $5, $6, $7, 'USD')`,
      [SOURCE, `line-${(lineKey += 1)}`, day, model, model ?? costType, costType, amount],
    );
  const billedTotal = async (from: string, to: string) => {
    const [{ total }] = await service.purser.dataSource.query(
      `SELECT sum(amount)::text AS total FROM provider_cost_lines WHERE day >= $1 AND day < $2`,
      [from, to],
    );
    return new Money(total as string);
  };

  beforeAll(async () => {
    service = await startPurser();
    await priceModels(service);
    await createCenters(service, [{ code: 'CC-A' }, { code: 'CC-B' }]);
    await createRule(service, {
      name: 'team a',
      effectiveFrom: '2026-01-01T00:00:00Z',
      priority: 1,
      method: 'DIRECT',
      match: { team: 'a' },
      targets: [{ costCenter: 'CC-A' }],
    });
    await createRule(service, {
      name: 'team b',
      effectiveFrom: '2026-01-01T00:00:00Z',
      priority: 2,
      method: 'DIRECT',
      match: { team: 'b' },
      targets: [{ costCenter: 'CC-B' }],
    });
    await createRule(service, {
      name: 'team d shared',
      effectiveFrom: '2026-01-01T00:00:00Z',
      priority: 3,
      method: 'EVEN',
      match: { team: 'd' },
      targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B' }],
    });
    // $1 per input token: 11-10 a $3, b $1, c $2 (no rule: unallocated); 11-11 a $4; 11-12 a $5.
    await ingest(service, await service.keyFor('gateway'), [
      { id: 'u1', at: '2026-11-10T05:00:00Z', input: 3, attribution: { team: 'a' } },
      { id: 'u2', at: '2026-11-10T06:30:00Z', input: 1, attribution: { team: 'b' } },
      { id: 'u3', at: '2026-11-10T23:59:00Z', input: 2, attribution: { team: 'c' } },
      { id: 'u4', at: '2026-11-11T10:00:00Z', input: 4, attribution: { team: 'a' } },
      { id: 'u5', at: '2026-11-12T10:00:00Z', input: 5, attribution: { team: 'a' } },
      { id: 'u6', at: '2026-11-20T10:00:00Z', input: 3, attribution: { team: 'd' } },
      { id: 'u7', at: '2026-11-20T11:00:00Z', input: 1, attribution: { team: 'a' } },
    ]);
    await service.purser.dataSource.query(
      `INSERT INTO billing_sources (id, provider, name) VALUES ($1, 'openai', $1)`,
      [SOURCE],
    );
    // 11-10: the model billed $7 against $6 estimated (+1), a model no usage has (+0.333),
    // a storage fee (+0.1); 11-11: $3.999999 against $4; 11-12: nothing billed yet.
    await bill('2026-11-10', MODEL, '4.25');
    await bill('2026-11-10', MODEL, '2.75');
    await bill('2026-11-10', 'ghost-model', '0.333');
    await bill('2026-11-10', null, '0.1', 'storage');
    await bill('2026-11-11', MODEL, '3.999999');
  });
  afterAll(() => service.stop());

  it('a reconciled range charges back the bill exactly, the variance spread by received cost', async () => {
    const report = await chargeback(service, '2026-11-10T00:00:00Z', '2026-11-12T00:00:00Z');
    expect(report.total).toBe((await billedTotal('2026-11-10', '2026-11-12')).toFixed());
    expect(report.total).toBe('11.432999');
    // +1 over 3 : 1 : 2 (CC-A, CC-B, unallocated), exact parts (largest remainder), then
    // 11-11's −0.000001 all to CC-A, the only one that received that day's cost.
    expect(row(report, 'CC-A')).toEqual({ direct: '7', trueUp: '0.499999', total: '7.499999' });
    expect(row(report, 'CC-B')).toEqual({
      direct: '1',
      trueUp: '0.166666666667',
      total: '1.166666666667',
    });
    // $2 of usage + its 0.333333333333 share + the unmatched model + the fee.
    expect(report.unallocated).toBe('2.766333333333');
    const sum = report.rows.reduce((total, entry) => total.plus(entry.total), new Money(0));
    expect(sum.plus(report.unallocated).toFixed()).toBe(report.total);
  });

  it('a day without billed lines keeps its estimate (trueUp 0)', async () => {
    const report = await chargeback(service, '2026-11-12T00:00:00Z', '2026-11-13T00:00:00Z');
    expect(row(report, 'CC-A')).toEqual({ direct: '5', trueUp: '0', total: '5' });
    expect(report.total).toBe('5');
    const wider = await chargeback(service, '2026-11-10T00:00:00Z', '2026-11-13T00:00:00Z');
    expect(wider.total).toBe('16.432999');
    expect(row(wider, 'CC-A').trueUp).toBe('0.499999');
  });

  it('a shared cost takes its part of the variance as the split gave it', async () => {
    // 11-20: $3 split EVEN (1.5 each) and CC-A's own $1; billed $4.4 → +0.4 over 2.5 : 1.5.
    await bill('2026-11-20', MODEL, '4.4');
    const report = await chargeback(service, '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(row(report, 'CC-A')).toEqual({ direct: '1', trueUp: '0.25', total: '2.75' });
    expect(row(report, 'CC-B')).toEqual({ direct: '0', trueUp: '0.15', total: '1.65' });
    expect(report.total).toBe('4.4');
  });

  it('billed cost with no internal usage goes to unallocated', async () => {
    await bill('2026-11-13', 'ghost-model', '2.5');
    const report = await chargeback(service, '2026-11-13T00:00:00Z', '2026-11-14T00:00:00Z');
    expect(report.rows.every((entry) => entry.trueUp === '0')).toBe(true);
    expect(report.unallocated).toBe('2.5');
    expect(report.total).toBe('2.5');
  });

  it('partial days at the range ends keep the estimate; other currencies are not trued up', async () => {
    const report = await chargeback(service, '2026-11-10T12:00:00Z', '2026-11-12T00:00:00Z');
    expect(row(report, 'CC-A')).toEqual({ direct: '4', trueUp: '-0.000001', total: '3.999999' });
    expect(report.unallocated).toBe('2');
    expect(report.total).toBe('5.999999');
    const { chargeback: euros } = await gql<{ chargeback: Report }>(
      service,
      `query { chargeback(from: "2026-11-10T00:00:00Z", to: "2026-11-12T00:00:00Z", currency: "EUR") {
        total unallocated } }`,
    );
    expect(euros).toEqual({ total: '0', unallocated: '0' });
  });

  it('a preview trues up with the draft rules', async () => {
    const { previewAllocation: report } = await gql<{ previewAllocation: Report }>(
      service,
      `query($rules: [AllocationRuleInput!]!) {
        previewAllocation(rules: $rules, from: "2026-11-10T00:00:00Z", to: "2026-11-12T00:00:00Z") {
          rows { costCenter direct shared trueUp total rolledUp } unallocated total } }`,
      {
        rules: [
          {
            name: 'all',
            priority: 1,
            method: 'DIRECT',
            match: {},
            targets: [{ costCenter: 'CC-B' }],
          },
        ],
      },
    );
    expect(row(report, 'CC-B')).toEqual({ direct: '10', trueUp: '0.999999', total: '10.999999' });
    expect(report.unallocated).toBe('0.433');
    expect(report.total).toBe('11.432999');
  });

  it('a closed month keeps its frozen true-up; a later bill is a prior-period adjustment', async () => {
    const closed = await gql(service, `mutation($month: String!) { closePeriod(month: $month) }`, {
      month: '2026-11',
    });
    expect(closed).toEqual({ closePeriod: true });
    const november = await chargeback(service, '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(november.frozenMonths).toEqual(['2026-11']);
    expect(november.total).toBe('23.332999');
    expect(row(november, 'CC-A').trueUp).toBe('0.749999');
    // 11-11 restated: +0.5 billed after the close.
    await bill('2026-11-11', MODEL, '0.5');
    const again = await chargeback(service, '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(again.total).toBe('23.332999');
    const december = await chargeback(service, '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z');
    expect(december.adjustments).toEqual([
      {
        priorPeriod: '2026-11',
        costCenter: 'CC-A',
        glAccount: null,
        direct: '0',
        shared: '0',
        trueUp: '0.5',
        total: '0.5',
      },
    ]);
    expect(december.total).toBe('0.5');
  });
});

// What unit tests cannot catch: on a running service and real Postgres, the month's statement
// export runs the allocation engine once for the drill-down of all its cost centers (not once
// per cost center), and `chargebackLines` gives each cost center exactly its
// `chargebackDetail`, tying out to its chargeback row.
import { Money } from '@purser/pricing';
import { startPurser, type RunningPurser } from '../support/purser';
import { createCenters, createRule, ingest, priceModels } from './allocation-support';
import { getExport, rowsOf } from './exports-support';

const FROM_NOVEMBER = '2026-11-01T00:00:00Z';
const NOVEMBER = {
  from: new Date(FROM_NOVEMBER),
  to: new Date('2026-12-01T00:00:00Z'),
  currency: 'USD',
};
const CODES = ['CC-L0', 'CC-L1', 'CC-L2', 'CC-L3', 'CC-L4', 'CC-L5'];

describe('chargeback lines of every cost center at once', () => {
  let service: RunningPurser;
  const allocation = () => service.purser.services.allocation;

  beforeAll(async () => {
    service = await startPurser();
    await priceModels(service);
    await createCenters(
      service,
      CODES.map((code) => ({ code })),
    );
    for (const [index, code] of CODES.entries()) {
      await createRule(service, {
        name: `team ${index}`,
        priority: 10 + index,
        match: { team: `t${index}` },
        method: 'DIRECT',
        targets: [{ costCenter: code }],
        effectiveFrom: FROM_NOVEMBER,
      });
    }
    await createRule(service, {
      name: 'shared platform',
      priority: 50,
      match: { team: 'platform' },
      method: 'PROPORTIONAL',
      targets: CODES.map((costCenter) => ({ costCenter })),
      effectiveFrom: FROM_NOVEMBER,
    });
    const gateway = await service.keyFor('gateway');
    await ingest(service, gateway, [
      ...CODES.map((_, index) => ({
        id: `d${index}`,
        at: `2026-11-0${index + 1}T10:15:00Z`,
        input: 3 + index,
        output: 7,
        attribution: { team: `t${index}`, feature: index % 2 ? 'chat' : 'search' },
      })),
      { id: 'p1', at: '2026-11-09T11:00:00Z', input: 10, attribution: { team: 'platform' } },
      {
        id: 'p2',
        at: '2026-11-12T12:30:00Z',
        input: 1,
        output: 3,
        attribution: { team: 'platform' },
      },
      { id: 'x1', at: '2026-11-13T08:00:00Z', input: 2, attribution: { team: 'nobody' } },
    ]);
  });
  afterAll(() => service?.stop());

  afterEach(() => jest.restoreAllMocks());

  it('should run the engine once for the whole drill-down of the month statement', async () => {
    const runs = jest.spyOn(allocation().chargebacks, 'live');
    const answer = await getExport(service, 'chargeback?month=2026-11');
    expect(answer.status).toBe(200);
    // One run for the chargeback, one for the lines of all six cost centers.
    expect(runs).toHaveBeenCalledTimes(2);
    const rows = rowsOf(answer.records);
    for (const code of CODES) {
      const lines = rows.filter((row) => row.cost_center === code && row.kind !== 'total');
      expect([...new Set(lines.map((row) => row.rule))]).toEqual([
        `team ${CODES.indexOf(code)}`,
        'shared platform',
      ]);
    }
    runs.mockClear();
    expect((await getExport(service, 'chargeback?month=2026-11&detail=none')).status).toBe(200);
    expect(runs).toHaveBeenCalledTimes(1);
  });

  it('should give each cost center exactly its drill-down, tying out to its row', async () => {
    const [all, report] = [
      await allocation().chargebackLines(NOVEMBER),
      await allocation().chargeback(NOVEMBER),
    ];
    expect(new Set(all.map((line) => line.costCenter))).toEqual(new Set(CODES));
    for (const code of CODES) {
      const lines = all.filter((line) => line.costCenter === code);
      expect(await allocation().chargebackDetail(code, NOVEMBER)).toEqual(lines);
      const row = report.rows.find((entry) => entry.costCenter === code)!;
      const sum = (kind: 'DIRECT' | 'SHARED') =>
        lines
          .filter((line) => line.kind === kind)
          .reduce((total, line) => total.plus(line.amount), new Money(0));
      expect(sum('DIRECT').equals(row.direct)).toBe(true);
      expect(sum('SHARED').equals(row.shared)).toBe(true);
      expect(sum('SHARED').isZero()).toBe(false);
    }
  });
});

import { Money } from '@purser/pricing';
import type {
  ChargebackDimensions,
  ChargebackLineValue,
  ChargebackReportValue,
  ChargebackRowValue,
  CostCenterValue,
} from './allocation-types';
import { journalSource, statementSource, type StatementApi } from './chargeback-csv-source';
import { parseMonth } from './allocation-exports-query';

const NOVEMBER = parseMonth('2026-11');
const AT = new Date('2026-10-01T00:00:00Z');

const dimensions = (team: string, tags?: Record<string, string | null>): ChargebackDimensions => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  team,
  feature: null,
  environment: null,
  customer: null,
  project: null,
  user: null,
  agent: null,
  ...(tags ? { tags } : {}),
});

const row = (
  costCenter: string,
  direct: string,
  shared: string,
  extra: Partial<ChargebackRowValue> = {},
): ChargebackRowValue => ({
  costCenter,
  name: costCenter,
  glAccount: null,
  parentCode: null,
  level: 0,
  direct,
  shared,
  trueUp: '0',
  total: new Money(direct).plus(shared).toFixed(),
  rolledUp: false,
  ...extra,
});

const line = (
  costCenter: string,
  kind: 'DIRECT' | 'SHARED',
  amount: string,
  team = 't',
): ChargebackLineValue => ({
  costCenter,
  ruleId: 'r',
  ruleName: kind === 'DIRECT' ? 'direct rule' : 'split rule',
  ruleVersion: 1,
  method: kind === 'DIRECT' ? 'DIRECT' : 'EVEN',
  kind,
  dimensions: dimensions(team, { env: 'prod', gone: null }),
  amount,
});

const costCenter = (code: string, active = true): CostCenterValue => ({
  id: code,
  code,
  name: `${code} name`,
  parentCode: null,
  glAccount: '6100',
  owner: null,
  active,
  createdAt: AT,
  deactivatedAt: active ? null : AT,
});

function report(extra: Partial<ChargebackReportValue> = {}): ChargebackReportValue {
  return {
    from: NOVEMBER.from,
    to: NOVEMBER.to,
    currency: 'USD',
    rows: [
      row('CC-A', '1.5', '0.25'),
      row('CC-B', '0', '0.75', { trueUp: '0.1', total: '0.85' }),
      row('CC-ROOT', '1.5', '1', { rolledUp: true }),
    ],
    unallocated: '0.05',
    adjustments: [
      {
        priorPeriod: '2026-10',
        costCenter: 'CC-A',
        glAccount: '6100',
        direct: '0.2',
        shared: '0',
        trueUp: '0',
        total: '0.2',
      },
      {
        priorPeriod: '2026-10',
        costCenter: null,
        glAccount: null,
        direct: '0',
        shared: '0',
        trueUp: '0',
        total: '-0.01',
      },
    ],
    adjustmentsTotal: '0.19',
    total: '2.84',
    frozenMonths: [],
    ...extra,
  };
}

/**
 * A fake allocation service recording the chargeback computations asked for: `asked` the
 * one-cost-center drill-downs, `computed` every call (each a whole chargeback computation).
 */
function fakeApi(
  value: ChargebackReportValue,
  details: Record<string, ChargebackLineValue[]>,
  centers = ['CC-A', 'CC-B', 'CC-IDLE'],
) {
  const asked: string[] = [];
  const computed: string[] = [];
  const api: StatementApi = {
    chargeback: async () => {
      computed.push('chargeback');
      return value;
    },
    chargebackDetail: async (code) => {
      computed.push(`chargebackDetail ${code}`);
      asked.push(code);
      return details[code] ?? [];
    },
    chargebackLines: async () => {
      computed.push('chargebackLines');
      return Object.values(details).flat();
    },
    listCostCenters: async () => [
      ...centers.map((code) => costCenter(code)),
      costCenter('CC-GONE', false),
    ],
  };
  return { api, asked, computed };
}

describe('statementSource', () => {
  it('should state lines by rule and attribution when the drill-down ties out to each row', async () => {
    const { api, computed } = fakeApi(report(), {
      'CC-A': [
        line('CC-A', 'DIRECT', '1'),
        line('CC-A', 'DIRECT', '0.5', 'u'),
        line('CC-A', 'SHARED', '0.25'),
        line('CC-A', 'SHARED', '0'),
      ],
      // Does not tie out (0.7 ≠ 0.75): stated as one shared line without rule.
      'CC-B': [line('CC-B', 'SHARED', '0.7')],
    });
    const { source } = await statementSource(api, NOVEMBER, 'USD', null);
    expect(computed).toEqual(['chargeback', 'chargebackLines']);
    expect(source.costCenters.map((entry) => entry.code)).toEqual(['CC-A', 'CC-B', 'CC-IDLE']);
    expect(
      source.lines.map((entry) => [
        entry.costCenter,
        entry.kind,
        entry.rule,
        entry.attribution?.team ?? null,
        entry.priorPeriod ?? null,
        String(entry.amount),
      ]),
    ).toEqual([
      ['CC-A', 'direct', 'direct rule', 't', null, '1'],
      ['CC-A', 'direct', 'direct rule', 'u', null, '0.5'],
      ['CC-A', 'shared', 'split rule', 't', null, '0.25'],
      ['CC-B', 'shared', null, null, null, '0.75'],
      ['CC-B', 'true-up', null, null, null, '0.1'],
      ['CC-A', 'prior-period-adjustment', null, null, '2026-10', '0.2'],
      [null, 'prior-period-adjustment', null, null, '2026-10', '-0.01'],
      [null, 'unallocated', null, null, null, '0.05'],
    ]);
    expect(source.lines[0].attribution).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      team: 't',
      'tags.env': 'prod',
    });
    const total = source.lines.reduce((sum, entry) => sum.plus(entry.amount), new Money(0));
    expect(total.toFixed()).toBe(report().total);
  });

  it('should state a closed month by rule when its drill-down still ties out to the frozen rows', async () => {
    const frozen = report({ frozenMonths: ['2026-11'] });
    const { api } = fakeApi(frozen, {
      'CC-A': [line('CC-A', 'DIRECT', '1.5'), line('CC-A', 'SHARED', '0.25')],
      // Late usage moved the drill-down away from the frozen row: stated without rule.
      'CC-B': [line('CC-B', 'SHARED', '0.8')],
    });
    const { source } = await statementSource(api, NOVEMBER, 'USD', null);
    expect(
      source.lines
        .filter((entry) => entry.kind === 'direct' || entry.kind === 'shared')
        .map((entry) => [entry.costCenter, entry.kind, entry.rule, String(entry.amount)]),
    ).toEqual([
      ['CC-A', 'direct', 'direct rule', '1.5'],
      ['CC-A', 'shared', 'split rule', '0.25'],
      ['CC-B', 'shared', null, '0.75'],
    ]);
  });

  it('should ask no drill-down with detail off: one direct and one shared line per cost center', async () => {
    const { api, computed } = fakeApi(report(), {
      'CC-A': [line('CC-A', 'DIRECT', '1.5'), line('CC-A', 'SHARED', '0.25')],
    });
    const { source } = await statementSource(api, NOVEMBER, 'USD', null, false);
    expect(computed).toEqual(['chargeback']);
    expect(
      source.lines
        .filter((entry) => entry.costCenter === 'CC-A')
        .map((entry) => [entry.kind, entry.rule]),
    ).toEqual([
      ['direct', null],
      ['shared', null],
      ['prior-period-adjustment', null],
    ]);
  });

  it('should state one cost center alone, without unallocated lines', async () => {
    const { api, asked, computed } = fakeApi(report(), {});
    const { source } = await statementSource(api, NOVEMBER, 'USD', 'CC-B');
    expect(asked).toEqual(['CC-B']);
    expect(computed).toEqual(['chargeback', 'chargebackDetail CC-B']);
    expect(source.includeUnallocated).toBe(false);
    expect(new Set(source.lines.map((entry) => entry.costCenter))).toEqual(new Set(['CC-B']));
    expect(source.costCenters.map((entry) => entry.code)).toEqual(['CC-B']);
  });

  it('should compute the drill-down of a month of many cost centers once, not once per cost center', async () => {
    const codes = Array.from({ length: 24 }, (_, index) => `CC-${String(index).padStart(2, '0')}`);
    const many = report({
      rows: codes.map((code) => row(code, '1', '0.5')),
      unallocated: '0',
      adjustments: [],
      adjustmentsTotal: '0',
      total: '36',
    });
    const details = Object.fromEntries(
      codes.map((code) => [code, [line(code, 'DIRECT', '1'), line(code, 'SHARED', '0.5')]]),
    );
    const { api, asked, computed } = fakeApi(many, details, codes);
    const { source } = await statementSource(api, NOVEMBER, 'USD', null);
    expect(computed).toEqual(['chargeback', 'chargebackLines']);
    expect(asked).toEqual([]);
    // Each cost center is stated by rule with its own lines, none of another's.
    for (const code of codes) {
      expect(
        source.lines
          .filter((entry) => entry.costCenter === code)
          .map((entry) => [entry.kind, entry.rule, String(entry.amount)]),
      ).toEqual([
        ['direct', 'direct rule', '1'],
        ['shared', 'split rule', '0.5'],
      ]);
    }
    expect(source.costCenters.map((entry) => entry.code)).toEqual(codes);
  });

  it('should ask no drill-down when no cost center has cost', async () => {
    const { api, computed } = fakeApi(
      report({ rows: [row('CC-A', '0', '0')], adjustments: [], total: '0.05' }),
      {},
    );
    await statementSource(api, NOVEMBER, 'USD', null);
    expect(computed).toEqual(['chargeback']);
  });
});

describe('journalSource', () => {
  it('should debit cost centers with their adjustments and credit the difference from spend without a provider', () => {
    const source = journalSource('2026-11', report(), [
      { provider: 'openai', amount: '2' },
      { provider: 'anthropic', amount: '0.6' },
    ]);
    expect(source.costCenters.map((entry) => [entry.code, String(entry.amount)])).toEqual([
      ['CC-A', '1.95'],
      ['CC-B', '0.85'],
    ]);
    expect(String(source.unallocated)).toBe('0.04');
    expect(source.providers.map((entry) => [entry.provider, String(entry.amount)])).toEqual([
      ['openai', '2'],
      ['anthropic', '0.6'],
      [null, '0.24'],
    ]);
  });
});

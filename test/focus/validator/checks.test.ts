// The validator port itself, on tiny hand-made CSVs: each of the 23 check functions passes a
// row it should and fails a row it should (SQL's unknown for nulls where the validator's SQL
// gives it), and the rule engine's conditions, applicability, MAY rules, CheckModelRule and
// skipped rules behave as documented. A broken check function fails here.
import { CHECK_FUNCTIONS, evaluate, type CheckNode } from './checks';
import { loadCurrencyCodes, tableOf, validate, type RuleModel } from './validator';

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const context = (text: string) => ({
  table: tableOf(text),
  currencyCodes: loadCurrencyCodes(),
  modelRule: (id: string) => id === 'Passing',
});
const run = (node: CheckNode, text: string) => evaluate(node, context(text));

describe('validator check functions', () => {
  const cases: [CheckNode, string, (boolean | null)[]][] = [
    [{ CheckFunction: 'ColumnPresent', ColumnName: 'A' }, csv('A,B', '1,2'), [true]],
    [{ CheckFunction: 'ColumnPresent', ColumnName: 'C' }, csv('A,B', '1,2'), [false]],
    [{ CheckFunction: 'TypeString', ColumnName: 'A' }, csv('A', 'x', ''), [true, true]],
    [{ CheckFunction: 'TypeString', ColumnName: 'Z' }, csv('A', 'x'), [false]],
    [
      { CheckFunction: 'TypeDecimal', ColumnName: 'A' },
      csv('A', '1.5', '-2e3', 'x', ''),
      [true, true, false, true],
    ],
    [
      { CheckFunction: 'TypeDateTime', ColumnName: 'A' },
      csv('A', '2026-11-01T00:00:00Z', '2026-11-01 10:00:00+01:00', 'yesterday'),
      [true, true, false],
    ],
    [
      { CheckFunction: 'FormatNumeric', ColumnName: 'A' },
      csv('A', '0.5', '-3', '1E-5', '+1', '"1,000"', '$5', '1/2', '1E+5'),
      [true, true, true, false, false, false, false, false],
    ],
    [
      { CheckFunction: 'FormatString', ColumnName: 'A' },
      csv('A', 'ok', '"  "', '\uD800x'),
      [true, false, false],
    ],
    [
      { CheckFunction: 'FormatDateTime', ColumnName: 'A' },
      csv(
        'A',
        '2026-11-01T00:00:00Z',
        '2026-11-01T00:00:00.000Z',
        '2026-11-01T00:00:00+00:00',
        '2026-02-30T00:00:00Z',
      ),
      [true, false, false, false],
    ],
    [
      { CheckFunction: 'FormatBillingCurrencyCode', ColumnName: 'A' },
      csv('A', 'USD', 'usd', 'XYZ'),
      [true, false, false],
    ],
    [
      { CheckFunction: 'FormatKeyValue', ColumnName: 'A' },
      csv('A', '"{""a"":""b"",""n"":1,""z"":null}"', '"[1]"', '"{""a"":{""b"":1}}"', 'nope'),
      [true, false, false, false],
    ],
    [
      { CheckFunction: 'FormatCurrency', ColumnName: 'A' },
      csv('A', 'EUR', 'Credits', 'ABC'),
      [true, true, false],
    ],
    [
      { CheckFunction: 'CheckNationalCurrency', ColumnName: 'A' },
      csv('A', 'SEK', 'Tokens'),
      [true, false],
    ],
    [
      { CheckFunction: 'FormatUnit', ColumnName: 'A' },
      csv('A', 'Tokens', '1000000 Tokens', 'GB-Hours', 'Requests/Second', 'tokens', '1.5 Tokens'),
      [true, true, true, true, false, false],
    ],
    [
      { CheckFunction: 'CheckValue', ColumnName: 'A', Value: 'Usage' },
      csv('A', 'Usage', 'Tax', ''),
      [true, false, null],
    ],
    [
      { CheckFunction: 'CheckValue', ColumnName: 'A', Value: null },
      csv('A', 'x', ''),
      [false, true],
    ],
    [
      { CheckFunction: 'CheckValue', ColumnName: 'A', Value: 0 },
      csv('A', '0.00', '1'),
      [true, false],
    ],
    [
      { CheckFunction: 'CheckNotValue', ColumnName: 'A', Value: 'Usage' },
      csv('A', 'Usage', 'Tax', ''),
      [false, true, null],
    ],
    [
      { CheckFunction: 'CheckNotValue', ColumnName: 'A', Value: null },
      csv('A', 'x', ''),
      [true, false],
    ],
    [
      { CheckFunction: 'CheckSameValue', ColumnAName: 'A', ColumnBName: 'B' },
      csv('A,B', 'x,x', 'x,y', ',y'),
      [true, false, null],
    ],
    [
      { CheckFunction: 'CheckNotSameValue', ColumnAName: 'A', ColumnBName: 'B' },
      csv('A,B', 'x,x', 'x,y'),
      [false, true],
    ],
    [
      { CheckFunction: 'CheckDecimalValue', ColumnName: 'A' },
      csv('A', '12.5', 'twelve'),
      [true, false],
    ],
    [
      { CheckFunction: 'CheckGreaterOrEqualThanValue', ColumnName: 'A', Value: 0 },
      csv('A', '0', '0.1', '-0.000001'),
      [true, true, false],
    ],
    [
      { CheckFunction: 'CheckDistinctCount', ColumnAName: 'A', ColumnBName: 'B', ExpectedCount: 1 },
      csv('A,B', 'p1,s1', 'p1,s1', 'p2,s1', 'p2,s2'),
      [true, true, false, false],
    ],
    [{ CheckFunction: 'CheckModelRule', ModelRuleId: 'Passing' }, csv('A', 'x'), [true]],
    [{ CheckFunction: 'CheckModelRule', ModelRuleId: 'Failing' }, csv('A', 'x'), [false]],
    [
      {
        CheckFunction: 'AND',
        Items: [
          { CheckFunction: 'CheckValue', ColumnName: 'A', Value: 'x' },
          { CheckFunction: 'CheckValue', ColumnName: 'B', Value: 'y' },
        ],
      },
      csv('A,B', 'x,y', 'x,z', 'x,', 'q,'),
      [true, false, null, false],
    ],
    [
      {
        CheckFunction: 'OR',
        Items: [
          { CheckFunction: 'CheckValue', ColumnName: 'A', Value: 'x' },
          { CheckFunction: 'CheckValue', ColumnName: 'B', Value: 'y' },
        ],
      },
      csv('A,B', 'q,y', 'q,z', 'q,', 'x,'),
      [true, false, null, true],
    ],
    [
      {
        CheckFunction: 'ColumnByColumnEqualsColumnValue',
        ColumnAName: 'P',
        ColumnBName: 'Q',
        ResultColumnName: 'C',
      },
      csv('P,Q,C', '2,3.104522,6.209044', '2,3,6.0000001', ',3,6'),
      [true, false, null],
    ],
  ];

  it.each(cases)('%j', (node, text, expected) => {
    expect(run(node, text)).toEqual(expected);
  });

  it('should cover every one of the 23 check functions', () => {
    const covered = new Set(cases.map(([node]) => node.CheckFunction));
    expect([...CHECK_FUNCTIONS].filter((name) => !covered.has(name))).toEqual([]);
    expect(CHECK_FUNCTIONS).toHaveLength(23);
    expect(() => run({ CheckFunction: 'Nope' }, csv('A', 'x'))).toThrow('unknown check function');
  });
});

describe('validator rules', () => {
  const rule = (
    requirement: CheckNode,
    extra: { condition?: CheckNode; keyword?: string; criteria?: string[] } = {},
  ) => ({
    Function: 'Validation',
    Type: 'Static' as const,
    Status: 'Active',
    ApplicabilityCriteria: extra.criteria ?? [],
    ValidationCriteria: {
      MustSatisfy: 'test',
      Keyword: extra.keyword ?? 'MUST',
      Requirement: requirement,
      Condition: extra.condition ?? {},
    },
  });
  const notNull = (name: string): CheckNode => ({
    CheckFunction: 'CheckNotValue',
    ColumnName: name,
    Value: null,
  });
  const model: RuleModel = {
    ApplicabilityCriteria: {},
    CheckFunctions: {},
    ModelRules: {
      Root: rule({
        CheckFunction: 'AND',
        Items: [
          { CheckFunction: 'CheckModelRule', ModelRuleId: 'B-when-A' },
          { CheckFunction: 'CheckModelRule', ModelRuleId: 'Gated' },
          { CheckFunction: 'CheckModelRule', ModelRuleId: 'Optional' },
          { CheckFunction: 'CheckModelRule', ModelRuleId: 'Defective' },
        ],
      }),
      'B-when-A': rule(notNull('B'), {
        condition: { CheckFunction: 'CheckValue', ColumnName: 'A', Value: 'yes' },
      }),
      Gated: rule(
        { CheckFunction: 'CheckModelRule', ModelRuleId: 'Gated-part' },
        { criteria: ['X_SUPPORTED'] },
      ),
      'Gated-part': rule(notNull('C')),
      Optional: rule(notNull('C'), { keyword: 'MAY' }),
      Defective: rule(notNull('C')),
      Dynamic: { ...rule(notNull('C')), Type: 'Dynamic' as const },
    },
  };
  const text = csv('A,B,C', 'yes,1,', 'no,,');

  it('should check a requirement only on the rows its condition picks', () => {
    const results = validate(model, tableOf(text), {
      applicability: new Set(),
      currencyCodes: new Set(),
      skip: new Set(['Defective']),
    });
    expect(results.get('B-when-A')?.status).toBe('passed');
    expect(results.get('Gated')?.status).toBe('not applicable');
    // A part of a composite that does not apply does not apply either.
    expect(results.get('Gated-part')?.status).toBe('not applicable');
    expect(results.get('Optional')?.status).toBe('optional');
    expect(results.get('Defective')).toMatchObject({ status: 'skipped', failingRows: [1, 2] });
    expect(results.get('Root')?.status).toBe('passed');
    expect(results.has('Dynamic')).toBe(false);
  });

  it('should fail a rule, and the rules that reference it, on a violating row', () => {
    const broken = csv('A,B,C', 'yes,,', 'no,,');
    const results = validate(model, tableOf(broken), {
      applicability: new Set(['X_SUPPORTED']),
      currencyCodes: new Set(),
    });
    expect(results.get('B-when-A')).toMatchObject({ status: 'failed', failingRows: [1] });
    expect(results.get('Gated-part')).toMatchObject({ status: 'failed', failingRows: [1, 2] });
    expect(results.get('Defective')?.status).toBe('failed');
    expect(results.get('Root')?.status).toBe('failed');
  });
});

import { Money } from '@purser/pricing';
import { reconcile, statusOf, type SideCell } from './reconcile';

const cell = (overrides: Partial<SideCell>): SideCell => ({
  day: '2026-07-01',
  model: 'gpt-4.1',
  project: null,
  tokenType: null,
  amount: '10',
  ...overrides,
});
const m = (value: string) => new Money(value);

describe('statusOf', () => {
  it('should match within the tolerance, inclusive, and say which way it is off', () => {
    expect(statusOf(m('10.1'), m('10'), true, true, m('1'))).toBe('MATCHED');
    expect(statusOf(m('9.9'), m('10'), true, true, m('1'))).toBe('MATCHED');
    expect(statusOf(m('10.1000001'), m('10'), true, true, m('1'))).toBe('OVER');
    expect(statusOf(m('9.8999999'), m('10'), true, true, m('1'))).toBe('UNDER');
    expect(statusOf(m('10.0000001'), m('10'), true, true, m('0'))).toBe('OVER');
  });

  it('should name a missing side', () => {
    expect(statusOf(m('0'), m('5'), false, true, m('1'))).toBe('MISSING_INTERNAL');
    expect(statusOf(m('5'), m('0'), true, false, m('1'))).toBe('MISSING_PROVIDER');
    expect(statusOf(m('0'), m('0'), false, true, m('1'))).toBe('MATCHED');
  });
});

describe('reconcile', () => {
  it('should sum cells exactly into the groups asked for and sort them', () => {
    const rows = reconcile({
      estimated: [
        cell({ amount: '0.1', tokenType: 'input_tokens' }),
        cell({ amount: '0.2', tokenType: 'output_tokens' }),
        cell({ day: '2026-07-02', amount: '1', hours: 24 }),
      ],
      billed: [cell({ amount: '0.3' }), cell({ day: '2026-07-02', amount: '2' })],
      groupBy: ['day'],
      tolerancePercent: '1',
      knownModels: new Set(['gpt-4.1']),
    });
    expect(rows).toEqual([
      {
        dimensions: { day: '2026-07-01' },
        estimated: '0.3',
        billed: '0.3',
        delta: '0',
        deltaPercent: '0',
        status: 'MATCHED',
        likelyCauses: [],
      },
      {
        dimensions: { day: '2026-07-02' },
        estimated: '1',
        billed: '2',
        delta: '-1',
        deltaPercent: '-50',
        status: 'UNDER',
        likelyCauses: [],
      },
    ]);
  });

  it('should tell a price that differs from a cache token priced wrong, and an unknown model', () => {
    const rows = reconcile({
      estimated: [
        // Same tokens, our input price is twice theirs.
        cell({ tokenType: 'input_tokens', amount: '20', quantity: '10' }),
        // Cache reads priced at the input rate.
        cell({ tokenType: 'cache_read_tokens', amount: '10', quantity: '10', hours: 24 }),
        // Fewer tokens at the same price: a quantity gap, not a price.
        cell({ tokenType: 'output_tokens', amount: '5', quantity: '5', hours: 3 }),
      ],
      billed: [
        cell({ tokenType: 'input_tokens', amount: '10', quantity: '10' }),
        cell({ tokenType: 'cache_read_tokens', amount: '1', quantity: '10' }),
        cell({ tokenType: 'output_tokens', amount: '10', quantity: '10' }),
        cell({ model: 'o9-preview', tokenType: 'input_tokens', amount: '1' }),
      ],
      groupBy: ['day', 'model', 'token_type'],
      tolerancePercent: '1',
      knownModels: new Set(['gpt-4.1']),
    });
    const causes = Object.fromEntries(
      rows.map((row) => [`${row.dimensions.model} ${row.dimensions.token_type}`, row.likelyCauses]),
    );
    expect(causes).toEqual({
      'gpt-4.1 cache_read_tokens': ['cache_priced_wrong'],
      'gpt-4.1 input_tokens': ['price_differs'],
      'gpt-4.1 output_tokens': ['hours_without_usage'],
      'o9-preview input_tokens': ['model_never_seen'],
    });
  });

  it('should flag unpriced usage in a group and give no percent against nothing billed', () => {
    const [row] = reconcile({
      estimated: [cell({ amount: '0', unpricedRequests: 2, hours: 24 })],
      billed: [],
      groupBy: ['day', 'model'],
      tolerancePercent: '1',
      knownModels: new Set(),
    });
    expect(row).toMatchObject({
      status: 'MISSING_PROVIDER',
      deltaPercent: null,
      likelyCauses: ['unpriced_usage'],
    });
  });
});

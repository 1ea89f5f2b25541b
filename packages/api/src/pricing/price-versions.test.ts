import { testPriceCard } from '@purser/pricing/testing';
import { baseCardId, nextVersionId, planPriceChange, versionOf } from './price-versions';

const card = (from: string, input: string, extra: Record<string, unknown> = {}) =>
  testPriceCard({
    effective_from: from,
    prices: { input_tokens: input, output_tokens: '2' },
    ...extra,
  });

describe('planPriceChange', () => {
  it('should create the first version of a new model', () => {
    const incoming = card('2026-01-01T00:00:00Z', '1');
    const plan = planPriceChange([], incoming, new Set());
    expect(plan).toEqual({ outcome: 'created', insert: [incoming], supersede: [] });
  });

  it('should close the card in force with a new version of it and open the new price', () => {
    const old = card('2026-01-01T00:00:00Z', '1');
    const incoming = card('2026-03-01T00:00:00Z', '0.5');
    const plan = planPriceChange([old], incoming, new Set([old.id]));
    expect(plan.outcome).toBe('updated');
    expect(plan.supersede).toEqual([old.id]);
    expect(
      plan.insert.map((row) => [
        row.id,
        row.effective_from,
        row.effective_to,
        row.prices.input_tokens,
      ]),
    ).toEqual([
      [`${old.id}~v2`, '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', '1'],
      [incoming.id, '2026-03-01T00:00:00Z', undefined, '0.5'],
    ]);
  });

  it('should treat the same effective_from as a correction that keeps the end of the corrected card', () => {
    const wrong = card('2026-01-01T00:00:00Z', '10', { effective_to: '2026-06-01T00:00:00Z' });
    const fixed = card('2026-01-01T00:00:00Z', '1');
    const plan = planPriceChange([wrong], fixed, new Set([wrong.id]));
    expect(plan.supersede).toEqual([wrong.id]);
    expect(plan.insert).toHaveLength(1);
    expect(plan.insert[0]).toMatchObject({
      id: `${wrong.id}~v2`,
      effective_to: '2026-06-01T00:00:00Z',
    });
  });

  it('should end a back-dated price where the next scheduled one starts', () => {
    const january = card('2026-01-01T00:00:00Z', '1');
    const june = card('2026-06-01T00:00:00Z', '3');
    const closedJanuary = { ...january, effective_to: '2026-06-01T00:00:00Z' };
    const march = card('2026-03-01T00:00:00Z', '2');
    const plan = planPriceChange([closedJanuary, june], march, new Set([january.id, june.id]));
    expect(plan.insert.at(-1)).toMatchObject({
      effective_from: '2026-03-01T00:00:00Z',
      effective_to: '2026-06-01T00:00:00Z',
    });
    expect(plan.insert[0]).toMatchObject({ effective_to: '2026-03-01T00:00:00Z' });
  });

  it('should report a card equal to the one in force as unchanged', () => {
    const current = card('2026-01-01T00:00:00Z', '1');
    const same = card('2026-02-01T00:00:00Z', '1');
    expect(planPriceChange([current], same, new Set([current.id])).outcome).toBe('unchanged');
  });

  it('should number versions past every id already taken', () => {
    expect(nextVersionId('a@x', new Set(['a@x', 'a@x~v2']))).toBe('a@x~v3');
    expect(baseCardId('a@x~v12')).toBe('a@x');
    expect(versionOf('a@x~v12')).toBe(12);
    expect(versionOf('a@x')).toBe(1);
  });
});

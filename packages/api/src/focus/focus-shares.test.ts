import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { splitByShares } from './focus-shares';

describe('splitByShares', () => {
  it('should give an unknown combination to no cost center', () => {
    expect(splitByShares(undefined, new Money('1.5'), new Money(10), new Money('0.15'))).toEqual([
      { owner: null, cost: new Money('1.5'), quantity: new Money(10) },
    ]);
  });

  it('should split tokens by the weights and price each part, summing exactly', () => {
    const parts = splitByShares(
      { owners: ['A', 'B', 'C'], weights: [new Money(1), new Money(1), new Money(1)] },
      new Money('0.0000007'),
      new Money(7),
      new Money('0.0000001'),
    );
    expect(parts.map((part) => part.owner)).toEqual(['A', 'B', 'C']);
    expect(parts.reduce((sum, part) => sum.plus(part.quantity), new Money(0)).toFixed()).toBe('7');
    expect(parts.reduce((sum, part) => sum.plus(part.cost), new Money(0)).toFixed()).toBe(
      '0.0000007',
    );
    for (const part of parts) expect(part.quantity.times('0.0000001').equals(part.cost)).toBe(true);
  });

  it('should keep whole sums on generated rows and weights', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (weights, tokens, priceMicros) => {
          const price = new Money(priceMicros).dividedBy(1e12);
          const quantity = new Money(tokens);
          const cost = quantity.times(price);
          const parts = splitByShares(
            {
              owners: weights.map((_, index) => `C${index}`),
              weights: weights.map((w) => new Money(w)),
            },
            cost,
            quantity,
            price,
          );
          const sum = (values: InstanceType<typeof Money>[]) =>
            values.reduce((total, value) => total.plus(value), new Money(0));
          expect(sum(parts.map((part) => part.cost)).equals(cost)).toBe(true);
          expect(sum(parts.map((part) => part.quantity)).equals(quantity)).toBe(true);
        },
      ),
    );
  });
});

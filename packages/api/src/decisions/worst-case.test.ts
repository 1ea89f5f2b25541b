import { createPricingCatalog } from '@purser/pricing';
import { testPriceCard } from '@purser/pricing/testing';
import { testBudget, testContext } from './decision-testing';
import { downgradeCandidates, downgradeModels, toPolicyEstimate, worstCase } from './worst-case';

// $1 input / $2 output per million tokens, and a cheaper model to downgrade to.
const catalog = createPricingCatalog([
  testPriceCard(),
  testPriceCard({ model: 'test-mini', prices: { input_tokens: '0.1', output_tokens: '0.2' } }),
  testPriceCard({ model: 'test-half', prices: { input_tokens: '1' } }),
]);
const call = testContext();

describe('worstCase', () => {
  it('should price the input and every output token the call may produce', () => {
    expect(worstCase(catalog, call, 'test-model', 4000)).toEqual({
      model: 'test-model',
      total: '0.009',
      input: '0.001',
      perOutputToken: '0.000002',
      currency: 'USD',
      priced: true,
    });
  });

  it('should price the model and output cap asked, not the request', () => {
    const estimate = worstCase(catalog, call, 'test-mini', 1000);
    expect(estimate).toMatchObject({ model: 'test-mini', total: '0.0003', input: '0.0001' });
  });

  it.each([
    ['a model without a card', 'no-such-model'],
    ['a card without an output price', 'test-half'],
  ])('should say unpriced for %s', (_, model) => {
    expect(worstCase(catalog, call, model, 4000).priced).toBe(false);
  });
});

describe('downgradeModels', () => {
  const downgrading = testBudget({
    mode: 'downgrade',
    downgradeChain: ['big', 'test-model', 'test-mini', 'test-nano'],
  });

  it('should answer none when no budget downgrades', () => {
    expect(downgradeModels('test-model', [testBudget()], [['test-model', 'test-mini']])).toEqual(
      [],
    );
  });

  it("should answer the models after the asked one in budgets' and default chains, once each", () => {
    expect(
      downgradeModels(
        'test-model',
        [downgrading],
        [
          ['test-model', 'test-mini', 'other'],
          ['unrelated', 'x'],
        ],
      ),
    ).toEqual(['test-mini', 'test-nano', 'other']);
  });

  it('should never answer the asked model itself', () => {
    expect(downgradeModels('a', [testBudget({ mode: 'downgrade' })], [['a', 'b', 'a']])).toEqual([
      'b',
    ]);
  });
});

describe('downgradeCandidates', () => {
  it('should price each candidate with the asked input and output cap', () => {
    const budget = testBudget({ mode: 'downgrade', downgradeChain: ['test-model', 'test-mini'] });
    const candidates = downgradeCandidates(catalog, call, [budget], []);
    expect(candidates).toEqual([worstCase(catalog, call, 'test-mini', 4000)]);
  });
});

describe('toPolicyEstimate', () => {
  it('should give the policy integer nano-units, rounded up', () => {
    const estimate = worstCase(catalog, call, 'test-model', 4000);
    expect(toPolicyEstimate({ ...estimate, total: '0.0000000011' })).toEqual({
      model: 'test-model',
      cost_nanos: '2',
      input_cost_nanos: '1000000',
      cost_per_output_token_nanos: '2000',
    });
  });
});

import * as adapters from '../index';
import * as testing from '../testing';

describe('billing exports', () => {
  it('should reach the billing adapters from the package entry and the mock from ./testing', async () => {
    expect(adapters.BILLING_PROVIDER_IDS).toEqual(['openai', 'anthropic', 'focus']);
    expect(typeof adapters.createBillingAdapter).toBe('function');
    expect(typeof adapters.importFocusFile).toBe('function');
    expect(
      new adapters.BillingHttpError({
        code: 'BILLING_AUTH_FAILED',
        provider: 'openai',
        status: 401,
        attempts: 1,
        message: 'x',
      }),
    ).toBeInstanceOf(adapters.AdapterError);
    const mock = testing.createMockBillingAdapter({ costLines: [testing.makeProviderCostLine()] });
    const result = await mock.doFetchCosts!({
      from: new Date('2026-07-01T00:00:00Z'),
      to: new Date('2026-07-02T00:00:00Z'),
    });
    expect(result.lines).toHaveLength(1);
  });
});

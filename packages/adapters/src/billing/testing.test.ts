import { BillingHttpError } from './billing-http-error';
import { createMockBillingAdapter, makeProviderCostLine } from './testing';

describe('createMockBillingAdapter', () => {
  it('should serve the lines of the requested days and record each call', async () => {
    const adapter = createMockBillingAdapter({
      costLines: [
        makeProviderCostLine({ day: '2026-07-01' }),
        makeProviderCostLine({ day: '2026-07-02', amount: '1' }),
        makeProviderCostLine({ day: '2026-07-03' }),
      ],
    });
    const request = {
      from: new Date('2026-07-02T00:00:00Z'),
      to: new Date('2026-07-03T00:00:00Z'),
    };
    const result = await adapter.doFetchCosts!(request);
    expect(result.lines.map((line) => [line.day, line.amount])).toEqual([['2026-07-02', '1']]);
    expect(adapter.calls).toEqual([{ method: 'doFetchCosts', request }]);

    adapter.setCostLines([makeProviderCostLine({ day: '2026-07-02', amount: '2' })]);
    expect((await adapter.doFetchCosts!(request)).lines[0]!.amount).toBe('2');
  });

  it('should fail on demand and refuse an empty range', async () => {
    const failing = createMockBillingAdapter({
      failWith: new BillingHttpError({
        code: 'BILLING_AUTH_FAILED',
        provider: 'openai',
        status: 401,
        attempts: 1,
        message: 'no',
      }),
    });
    const range = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-02T00:00:00Z') };
    await expect(failing.doFetchCosts!(range)).rejects.toMatchObject({
      code: 'BILLING_AUTH_FAILED',
    });
    await expect(
      createMockBillingAdapter().doFetchUsage!({ from: range.to, to: range.from }),
    ).rejects.toMatchObject({
      code: 'INVALID_BILLING_SETTINGS',
    });
  });
});

import { Money } from '@purser/pricing';
import { csvRecord, FocusCsvWriter, focusValues, type FocusLine } from './focus-rows';

const line: FocusLine = {
  day: new Date('2026-11-30T00:00:00Z'),
  provider: 'openai',
  model: 'gpt-4.1',
  attribution: { team: 'search, "core"', project: 'p-1' },
  key: 'cache_read_tokens',
  priceCardId: 'card-7',
  unitPrice: '0.0000005',
  quantity: new Money(3_104_522),
  cost: new Money('1.552261'),
  requests: 4,
  costCenter: 'CC-1',
  currency: 'USD',
};

describe('FOCUS rows', () => {
  it('should map a token line to FOCUS values', () => {
    expect(focusValues(line)).toMatchObject({
      BilledCost: '1.552261',
      ListCost: '1.552261',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargePeriodStart: '2026-11-30T00:00:00Z',
      ChargePeriodEnd: '2026-12-01T00:00:00Z',
      ConsumedQuantity: '3104522',
      ConsumedUnit: 'Tokens',
      PricingQuantity: '3.104522',
      PricingUnit: '1000000 Tokens',
      ListUnitPrice: '0.5',
      ProviderName: 'OpenAI',
      ServiceProviderName: 'OpenAI',
      SkuId: 'openai/gpt-4.1/cache_read',
      SkuPriceId: 'openai/gpt-4.1/cache_read/card-7',
      SkuMeter: 'Cache Read Tokens',
      SubAccountId: 'p-1',
      x_CostCenter: 'CC-1',
      x_CostSource: 'estimate',
    });
    expect(JSON.parse(focusValues(line).Tags!)).toEqual({
      team: 'search, "core"',
      project: 'p-1',
      cost_center: 'CC-1',
    });
    expect(focusValues({ ...line, costCenter: null }).x_CostCenter).toBeUndefined();
  });

  it('should quote RFC 4180 fields and leave nulls empty', () => {
    expect(csvRecord(['a', undefined, 'b,c', 'say "hi"', 'x\ny'])).toBe(
      'a,,"b,c","say ""hi""","x\ny"\r\n',
    );
  });

  it('should write the version columns in order', () => {
    const writer = new FocusCsvWriter('1.2');
    expect(writer.header().startsWith('AvailabilityZone,BilledCost,')).toBe(true);
    expect(writer.columns).toHaveLength(57 + 6);
    expect(new FocusCsvWriter('1.3').columns).toHaveLength(65 + 6);
    const record = writer.record(line);
    expect(record.split(',')[1]).toBe('1.552261');
  });
});

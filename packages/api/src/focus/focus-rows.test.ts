import { Money } from '@purser/pricing';
import {
  csvRecord,
  FocusCsvWriter,
  focusTrueUpValues,
  focusValues,
  type FocusLine,
} from './focus-rows';

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

  it('should write a true-up as an adjustment with no SKU, no unit price and no quantity', () => {
    const trueUp = {
      day: new Date('2026-11-30T00:00:00Z'),
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20251001',
      costCenter: 'CC-1',
      amount: new Money('-0.000000000123'),
      currency: 'USD',
    };
    const values = focusTrueUpValues(trueUp);
    expect(values).toMatchObject({
      BilledCost: '-0.000000000123',
      EffectiveCost: '-0.000000000123',
      ListCost: '0',
      ContractedCost: '0',
      ChargeCategory: 'Adjustment',
      ChargeDescription: 'True-up to the Anthropic bill: claude-haiku-4-5-20251001',
      ChargePeriodStart: '2026-11-30T00:00:00Z',
      PricingQuantity: '0',
      PricingUnit: '1000000 Tokens',
      x_CostSource: 'true-up',
      x_CostCenter: 'CC-1',
      x_Model: 'claude-haiku-4-5-20251001',
    });
    for (const column of ['SkuId', 'SkuPriceId', 'ConsumedQuantity', 'ListUnitPrice'] as const) {
      expect(values[column]).toBeUndefined();
    }
    expect(JSON.parse(values.Tags!)).toEqual({ cost_center: 'CC-1' });
    const fees = focusTrueUpValues({ ...trueUp, model: null, costCenter: null });
    expect(fees).toMatchObject({
      ChargeDescription: 'True-up to the Anthropic bill: non-token charges',
      PricingUnit: 'Units',
      Tags: '{}',
    });
    expect(fees.x_CostCenter).toBeUndefined();
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

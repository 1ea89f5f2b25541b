import type { ProviderCostLine } from '@purser/adapters';
import { makeProviderCostLine } from '@purser/adapters/testing';
import { PurserError } from '../errors';
import { mergeByKey } from './cost-line-store';

const line = (overrides: Partial<ProviderCostLine>): ProviderCostLine =>
  makeProviderCostLine({
    model: 'gpt-4.1',
    lineItem: 'gpt-4.1, input',
    project: null,
    ...overrides,
  });

describe('mergeByKey', () => {
  it('should sum the lines of one key exactly and keep the others apart', () => {
    const merged = [
      ...mergeByKey([
        line({ amount: '0.1', quantity: '100' }),
        line({ amount: '0.2', quantity: '200' }),
        line({
          tokenType: 'output_tokens',
          lineItem: 'gpt-4.1, output',
          amount: '3',
          quantity: '100',
        }),
      ]).values(),
    ];
    expect(merged.map((merged) => [merged.lineItem, merged.amount, merged.quantity])).toEqual([
      ['gpt-4.1, input', '0.3', '300'],
      ['gpt-4.1, output', '3', '100'],
    ]);
  });

  it('should refuse to add amounts of one key billed in two currencies', () => {
    const merge = () =>
      mergeByKey([
        line({ amount: '10', currency: 'USD' }),
        line({ amount: '10', currency: 'EUR' }),
      ]);
    expect(merge).toThrow(PurserError);
    expect(merge).toThrow(
      'cost line 2026-07-01 openai "gpt-4.1, input": billed in both USD and EUR; one charge cannot add two currencies',
    );
  });
});

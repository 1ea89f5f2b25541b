import fc from 'fast-check';
import { Money } from '@purser/pricing';
import {
  displayMoney,
  displayShare,
  displayThreshold,
  monthOverMonth,
  monthTitle,
  topRows,
} from './monthly-report-view';
import { sampleReport } from './monthly-report-testing';

describe('monthly report view helpers', () => {
  it.each([
    ['0', '0.00'],
    ['1234.5', '1,234.50'],
    ['1234567.000123', '1,234,567.000123'],
    ['-5', '-5.00'],
    ['0.000001', '0.000001'],
    ['999', '999.00'],
  ])('should show %s as %s', (value, shown) => {
    expect(displayMoney(value)).toBe(shown);
  });

  it('should never change an amount it shows (separators and padding only)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 12 }),
        (units, scale) => {
          const value = new Money(units.toString()).dividedBy(new Money(10).pow(scale)).toFixed();
          expect(new Money(displayMoney(value).replaceAll(',', '')).equals(value)).toBe(true);
        },
      ),
    );
  });

  it('should keep the top rows and sum the rest into one row that ties to the total', () => {
    const rows = Array.from({ length: 13 }, (_, index) => ({
      name: `r${index}`,
      cost: `${index}.1`,
    }));
    const top = topRows(
      rows,
      10,
      (row) => row.cost,
      (count, sum) => ({ name: `${count} others`, cost: sum }),
    );
    expect(top).toHaveLength(11);
    expect(top[10]).toEqual({ name: '3 others', cost: '33.3' });
    const sum = (list: { cost: string }[]) =>
      list.reduce((total, row) => total.plus(row.cost), new Money(0));
    expect(sum(top).equals(sum(rows))).toBe(true);
    expect(
      topRows(
        rows.slice(0, 3),
        10,
        (row) => row.cost,
        () => ({ name: '', cost: '' }),
      ),
    ).toHaveLength(3);
  });

  it('should show shares, thresholds, titles and the change against last month', () => {
    expect(displayShare('1', '3')).toBe('33.3 %');
    expect(displayShare('1', '0')).toBe('–');
    expect(displayThreshold('0.8')).toBe('80 %');
    expect(displayThreshold('1')).toBe('100 %');
    expect(monthTitle('2026-11')).toBe('November 2026');
    expect(monthOverMonth(sampleReport())).toBe('+25.0 %');
    expect(
      monthOverMonth(sampleReport({ previousMonths: [{ month: '2026-10', total: '0' }] })),
    ).toBeNull();
  });
});

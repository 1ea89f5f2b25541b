// What the reports benchmark's numbers rest on: the generated month has exactly the requests
// asked for, distinct combinations, exact dollar amounts and 50 valid-looking rules.
import { benchRules } from './reports-allocation';
import { combinations, dollars, random, requestCounts } from './reports-data';

describe('reports bench data', () => {
  it('should spread exactly the requests asked for, at least one per hourly row', () => {
    // The month's shape scaled down (10,000 rows): the same walk, in a test's time.
    for (const total of [10_000, 69_444, 50_000, 100_000]) {
      const counts = requestCounts(total, 14, 10_000);
      expect(counts.length).toBe(10_000);
      let sum = 0;
      let least = Number.POSITIVE_INFINITY;
      for (const count of counts) {
        sum += count;
        least = Math.min(least, count);
      }
      expect(sum).toBe(total);
      expect(least).toBeGreaterThanOrEqual(1);
    }
    expect(() => requestCounts(9_999, 14, 10_000)).toThrow('at least');
  });

  it('should be reproducible from its seed', () => {
    const [first, second] = [requestCounts(70_000, 3, 10_000), requestCounts(70_000, 3, 10_000)];
    let differences = 0;
    for (let index = 0; index < first.length; index += 1)
      if (first[index] !== second[index]) differences += 1;
    expect(differences).toBe(0);
    const [a, b] = [random(9), random(9)];
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('should have 2,000 distinct attribution combinations', () => {
    const keys = combinations().map((combo) => `${combo.team}|${combo.feature}|${combo.customer}`);
    expect(new Set(keys).size).toBe(2000);
  });

  it('should write pico-dollars as exact plain decimals', () => {
    expect(dollars(0n)).toBe('0');
    expect(dollars(1n)).toBe('0.000000000001');
    expect(dollars(1_500_000n)).toBe('0.0000015');
    expect(dollars(47_418_816_257_700_000_000n)).toBe('47418816.2577');
    expect(dollars(12_000_000_000_000n)).toBe('12');
  });

  it('should make 50 rules with distinct priorities and FIXED weights summing to 100', () => {
    const rules = benchRules();
    expect(rules).toHaveLength(50);
    expect(new Set(rules.map((rule) => rule.priority)).size).toBe(50);
    for (const rule of rules.filter((item) => item.method === 'FIXED')) {
      const hundredths = rule.targets.reduce(
        (sum, target) => sum + Math.round(Number(target.weight) * 100),
        0,
      );
      expect(hundredths).toBe(10_000);
    }
  });
});

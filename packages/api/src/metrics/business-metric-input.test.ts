import fc from 'fast-check';
import { checkMetricBatch, derivedMetricId, parseMetric } from './business-metric-input';

const NOW = new Date('2026-11-30T12:00:00Z');
const GOOD = {
  name: 'resolved_tickets',
  timestamp: '2026-11-20T10:00:00Z',
  value: '12',
  attribution: { feature: 'support-bot' },
};

describe('parseMetric', () => {
  it('should accept a metric and derive its id from name, instant and attribution', () => {
    const parsed = parseMetric(GOOD, NOW);
    expect(parsed).toEqual({
      ok: true,
      metric: {
        id: derivedMetricId('resolved_tickets', new Date('2026-11-20T10:00:00Z'), {
          feature: 'support-bot',
        }),
        name: 'resolved_tickets',
        timestamp: new Date('2026-11-20T10:00:00Z'),
        value: '12',
        attribution: { feature: 'support-bot' },
      },
    });
  });

  it('should derive the same id for the same instant in another zone and key order', () => {
    const first = parseMetric(
      { ...GOOD, attribution: { feature: 'a', team: 't' }, value: '1' },
      NOW,
    );
    const second = parseMetric(
      {
        ...GOOD,
        timestamp: '2026-11-20T11:00:00+01:00',
        attribution: { team: 't', feature: 'a' },
        value: '2',
      },
      NOW,
    );
    expect(first.ok && second.ok && first.metric.id === second.metric.id).toBe(true);
  });

  it('should derive different ids for different names, instants or attribution', () => {
    const ids = [
      GOOD,
      { ...GOOD, name: 'other' },
      { ...GOOD, timestamp: '2026-11-20T10:00:00.001Z' },
      { ...GOOD, attribution: { feature: 'other' } },
      { ...GOOD, attribution: { team: 'support-bot' } },
    ].map((item) => {
      const parsed = parseMetric(item, NOW);
      return parsed.ok ? parsed.metric.id : undefined;
    });
    expect(new Set(ids).size).toBe(5);
  });

  it('should keep a given id and upper-case the currency', () => {
    const parsed = parseMetric(
      { id: 'inv-1', name: 'revenue', timestamp: GOOD.timestamp, value: '99.90', currency: 'eur' },
      NOW,
    );
    expect(parsed.ok && parsed.metric).toMatchObject({ id: 'inv-1', currency: 'EUR' });
  });

  it('should take a non-negative safe integer as a number, and nulls as absent', () => {
    const parsed = parseMetric({ ...GOOD, value: 7, id: null, currency: null }, NOW);
    expect(parsed.ok && parsed.metric.value).toBe('7');
  });

  it.each([
    [[], '', 'must be a JSON object'],
    [{ ...GOOD, extra: 1 }, 'extra', 'unknown field'],
    [{ ...GOOD, id: '' }, 'id', 'must not be empty'],
    [{ ...GOOD, id: 'x'.repeat(257) }, 'id', 'at most 256'],
    [{ ...GOOD, name: undefined }, 'name', 'must be a string'],
    [{ ...GOOD, name: 'a b' }, 'name', 'must start with a letter'],
    [{ ...GOOD, name: 'a\u0000' }, 'name', 'NUL'],
    [{ ...GOOD, timestamp: '2026-11-20' }, 'timestamp', 'RFC 3339'],
    [{ ...GOOD, timestamp: '2026-02-30T00:00:00Z' }, 'timestamp', 'not a real date-time'],
    [{ ...GOOD, timestamp: '1999-12-31T23:59:59Z' }, 'timestamp', '2000 or later'],
    [{ ...GOOD, timestamp: '2026-12-02T12:00:00Z' }, 'timestamp', 'future'],
    [{ ...GOOD, value: '-1' }, 'value', 'non-negative plain decimal'],
    [{ ...GOOD, value: 1.5 }, 'value', 'non-negative plain decimal'],
    [{ ...GOOD, value: '1e3' }, 'value', 'non-negative plain decimal'],
    [{ ...GOOD, currency: 'dollars' }, 'currency', 'ISO 4217'],
    [{ ...GOOD, attribution: 'acme' }, 'attribution', 'must be an object'],
    [{ ...GOOD, attribution: { session: 's' } }, 'attribution.session', 'not a metric dimension'],
    [{ ...GOOD, attribution: { team: 5 } }, 'attribution.team', 'must be a string'],
    [{ ...GOOD, attribution: { team: 'lone \ud800' } }, 'attribution.team', 'lone surrogate'],
  ])('should refuse %j naming %s', (item, field, reason) => {
    const parsed = parseMetric(item, NOW);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.field).toBe(field);
      expect(parsed.reason).toContain(reason);
    }
  });

  it('should refuse __proto__ as an unknown field, not read it', () => {
    const parsed = parseMetric(JSON.parse(`{"__proto__": {"name": "x"}, "name": "a"}`), NOW);
    expect(parsed).toMatchObject({ ok: false, field: '__proto__' });
  });

  it('should answer every generated value without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const parsed = parseMetric(value, NOW);
        if (!parsed.ok) expect(typeof parsed.reason).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('checkMetricBatch', () => {
  it('should refuse an empty batch and one over the bound', () => {
    expect(() => checkMetricBatch(0, 'metrics')).toThrow('metrics is an empty list');
    expect(() => checkMetricBatch(5_001, 'metrics')).toThrow('at most 5000 metrics');
    expect(() => checkMetricBatch(5_000, 'metrics')).not.toThrow();
  });
});

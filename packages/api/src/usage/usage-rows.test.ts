import { parseUsageEvent, type UsageEvent } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import { addToRollup, type RollupDelta, rollupKey, rollupUpsert, storedHour } from './usage-rows';

function event(overrides: Record<string, unknown> = {}): UsageEvent {
  const result = parseUsageEvent(makeUsageEvent(overrides), {
    now: new Date('2026-11-23T12:00:00Z'),
  });
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

describe('storedHour', () => {
  it.each([
    ['2026-03-10T10:00:00Z', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T10:59:59.999Z', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T10:59:59.999999Z', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T10:59:59.9999994Z', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T10:59:59.9999995Z', '2026-03-10T11:00:00.000Z'],
    ['2026-03-10T10:59:59.99999999Z', '2026-03-10T11:00:00.000Z'],
    ['2026-03-10T10:59:58.9999999Z', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T10:30:59.9999999Z', '2026-03-10T10:00:00.000Z'],
    ['2025-12-31T23:59:59.9999999Z', '2026-01-01T00:00:00.000Z'],
    ['2026-03-10T12:45:00+02:00', '2026-03-10T10:00:00.000Z'],
    ['2026-03-10T12:59:59.99999995+02:00', '2026-03-10T11:00:00.000Z'],
  ])('should file %s under the hour Postgres stores it in (%s)', (timestamp, hour) => {
    expect(storedHour(event({ timestamp })).toISOString()).toBe(hour);
  });
});

describe('rollupKey', () => {
  it('should key an event by hour, every dimension and the currency, with null for absent ones', () => {
    const key = rollupKey(
      event({
        timestamp: '2026-03-10T10:17:00Z',
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        attribution: { team: 'search', user: 'u1', agent: 'planner', session: 'ignored' },
      }),
      'USD',
    );
    expect(key).toEqual([
      '2026-03-10T10:00:00.000Z',
      'anthropic',
      'claude-haiku-4-5',
      'search',
      null,
      null,
      null,
      null,
      'u1',
      'planner',
      'USD',
    ]);
  });
});

describe('addToRollup', () => {
  it('should sum events of one key exactly, in decimal', () => {
    const deltas = new Map<string, RollupDelta>();
    const first = event({ id: 'a', usage: { input_tokens: 10, output_tokens: 3 } });
    const second = event({ id: 'b', usage: { input_tokens: 5, cache_read_tokens: 7 } });
    addToRollup(deltas, first, 'USD', '0.1', 1);
    addToRollup(deltas, second, 'USD', '0.2', 1);
    expect(deltas.size).toBe(1);
    const [delta] = deltas.values();
    expect(delta.cost.toFixed()).toBe('0.3');
    expect(delta.requests).toBe(2);
    expect(delta.tokens).toEqual([15, 7, 0, 0, 3, 0]);
  });

  it.each([
    ['another hour', { timestamp: '2026-11-23T10:00:00Z' }],
    ['another team', { attribution: { team: 'ranking' } }],
    ['another model', { model: 'gpt-4o-mini' }],
  ])('should keep %s in a delta of its own', (_name, overrides) => {
    const deltas = new Map<string, RollupDelta>();
    addToRollup(deltas, event(), 'USD', '1', 1);
    addToRollup(deltas, event(overrides), 'USD', '1', 1);
    expect(deltas.size).toBe(2);
  });

  it('should keep the same event in two currencies apart', () => {
    const deltas = new Map<string, RollupDelta>();
    addToRollup(deltas, event(), 'USD', '1', 1);
    addToRollup(deltas, event(), 'EUR', '1', 1);
    expect([...deltas.values()].map((delta) => delta.key.at(-1))).toEqual(['USD', 'EUR']);
  });

  it('should move a re-rated event by exactly the difference of its costs', () => {
    const deltas = new Map<string, RollupDelta>();
    const rerated = event({ usage: { input_tokens: 1000, output_tokens: 10 } });
    addToRollup(deltas, rerated, 'USD', '0.0000123', -1);
    addToRollup(deltas, rerated, 'USD', '0.00002', 1);
    const [delta] = deltas.values();
    expect(delta.cost.toFixed()).toBe('0.0000077');
    expect(delta.requests).toBe(0);
    expect(delta.tokens).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('rollupUpsert', () => {
  it('should write nothing when every delta cancels out', () => {
    const deltas = new Map<string, RollupDelta>();
    addToRollup(deltas, event(), 'USD', '0.5', 1);
    addToRollup(deltas, event(), 'USD', '0.5', -1);
    expect(rollupUpsert(deltas.values())).toBeNull();
  });

  it('should send one array per column, rows sorted by key, costs as decimal strings', () => {
    const deltas = new Map<string, RollupDelta>();
    addToRollup(deltas, event({ attribution: { team: 'zeta' } }), 'USD', '0.3', 1);
    addToRollup(deltas, event({ attribution: { team: 'alpha' } }), 'USD', '0.0000001', 1);
    const upsert = rollupUpsert(deltas.values());
    expect(upsert).not.toBeNull();
    const { sql, params } = upsert!;
    // hour, 9 dimensions, currency, requests, cost, 6 token columns, unpriced requests
    expect(params).toHaveLength(20);
    expect(params[3]).toEqual(['alpha', 'zeta']);
    expect(params[10]).toEqual(['USD', 'USD']);
    expect(params[11]).toEqual([1, 1]);
    expect(params[12]).toEqual(['0.0000001', '0.3']);
    expect(sql).toContain('ON CONFLICT (hour, provider, model, team');
    expect(sql).toContain('cost = usage_hourly.cost + EXCLUDED.cost');
    expect(params[19]).toEqual([0, 0]);
    expect(sql).toContain(
      'unpriced_requests = usage_hourly.unpriced_requests + EXCLUDED.unpriced_requests',
    );
  });

  it('should move the unpriced count when a re-rating prices an event at no cost', () => {
    const deltas = new Map<string, RollupDelta>();
    addToRollup(deltas, event(), 'USD', '0', -1, true);
    addToRollup(deltas, event(), 'USD', '0', 1, false);
    const upsert = rollupUpsert(deltas.values());
    expect(upsert).not.toBeNull();
    expect(upsert!.params[11]).toEqual([0]);
    expect(upsert!.params[19]).toEqual([-1]);
  });
});

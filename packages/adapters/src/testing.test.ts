import { parseUsageEvent } from './contracts/parse-usage-event';
import { makeUsageEvent, realisticUsageEvents } from './testing';

const now = new Date('2026-12-01T00:00:00Z');

describe('makeUsageEvent', () => {
  it('should build a valid event', () => {
    const result = parseUsageEvent(makeUsageEvent(), { now });
    expect(result.ok && result.warnings).toEqual([]);
  });

  it('should apply overrides and remove keys set to undefined', () => {
    const event = makeUsageEvent({ id: 'x', attribution: undefined, decision_id: 'd' });
    expect(event).toMatchObject({ id: 'x', decision_id: 'd' });
    expect(event).not.toHaveProperty('attribution');
  });
});

describe('realisticUsageEvents', () => {
  it('should be deterministic for a seed and differ across seeds', () => {
    const first = [...realisticUsageEvents(50, 7)];
    expect([...realisticUsageEvents(50, 7)]).toEqual(first);
    expect([...realisticUsageEvents(50, 8)]).not.toEqual(first);
  });

  it('should yield only valid events with unique ids and a realistic mix', () => {
    const events = [...realisticUsageEvents(2000, 42)];
    expect(new Set(events.map((event) => event.id)).size).toBe(2000);
    const providers = new Map<string, number>();
    const models = new Set<string>();
    let cacheReads = 0;
    let cacheWrites = 0;
    let raw = 0;
    for (const event of events) {
      const result = parseUsageEvent(event, { now });
      if (!result.ok) throw new Error(`${event.id}: ${result.reason}`);
      expect(result.warnings).toEqual([]);
      providers.set(result.event.provider, (providers.get(result.event.provider) ?? 0) + 1);
      models.add(result.event.model);
      if ((result.event.usage.cache_read_tokens ?? 0) > 0) cacheReads += 1;
      if ((result.event.usage.cache_write_tokens ?? 0) > 0) cacheWrites += 1;
      if (event.provider_usage !== undefined) raw += 1;
    }
    expect([...providers.keys()].sort()).toEqual(['anthropic', 'google', 'mistral', 'openai']);
    expect(providers.get('openai')!).toBeGreaterThan(providers.get('mistral')!);
    expect(models.size).toBeGreaterThanOrEqual(8);
    expect(cacheReads).toBeGreaterThan(400);
    expect(cacheWrites).toBeGreaterThan(20);
    expect(raw).toBeGreaterThan(200);
    expect(raw).toBeLessThan(600);
  });

  it('should give raw provider usage that converts to the same canonical usage', () => {
    // Same seed with and without raw payloads draws the same random sequence.
    const canonical = [...realisticUsageEvents(300, 3, { providerUsageShare: 0 })];
    const allRaw = [...realisticUsageEvents(300, 3, { providerUsageShare: 1 })];
    for (let index = 0; index < canonical.length; index += 1) {
      const expected = parseUsageEvent(canonical[index], { now });
      const actual = parseUsageEvent(allRaw[index], { now });
      if (!expected.ok || !actual.ok) throw new Error('invalid generated event');
      expect(actual.event.usage).toEqual(expected.event.usage);
    }
  });

  it('should space timestamps from the start option', () => {
    const [first, second] = realisticUsageEvents(2, 1, {
      start: new Date('2026-11-20T00:00:00Z'),
      spacingMs: 500,
    });
    expect(first!.timestamp).toBe('2026-11-20T00:00:00.000Z');
    expect(second!.timestamp).toBe('2026-11-20T00:00:00.500Z');
  });
});

import { wholeHourParts } from './allocation-usage';

const at = (iso: string) => new Date(iso);
const read = (bounds: string[], start: string, end: string) =>
  wholeHourParts(bounds.map(at), at(start), at(end)).map(([table, , from, to]) => [
    table,
    from.toISOString().slice(0, 16),
    to.toISOString().slice(0, 16),
  ]);

describe('wholeHourParts', () => {
  it('should read whole days of one segment daily and the hours at the ends hourly', () => {
    expect(read(['2026-11-01T21:00:00Z'], '2026-11-01T22:00:00Z', '2026-11-04T03:00:00Z')).toEqual([
      ['usage_hourly', '2026-11-01T22:00', '2026-11-02T00:00'],
      ['usage_daily', '2026-11-02T00:00', '2026-11-04T00:00'],
      ['usage_hourly', '2026-11-04T00:00', '2026-11-04T03:00'],
    ]);
  });

  it('should read a day a rule segment starts inside of hourly, the days on either side daily', () => {
    expect(
      read(
        ['2026-11-01T00:00:00Z', '2026-11-02T13:00:00Z', '2026-11-03T00:00:00Z'],
        '2026-11-01T00:00:00Z',
        '2026-11-05T00:00:00Z',
      ),
    ).toEqual([
      ['usage_daily', '2026-11-01T00:00', '2026-11-02T00:00'],
      ['usage_hourly', '2026-11-02T00:00', '2026-11-03T00:00'],
      // Adjacent days of two segments are one part: each day row falls in its segment.
      ['usage_daily', '2026-11-03T00:00', '2026-11-05T00:00'],
    ]);
  });

  it('should read hours alone when no whole day lies inside a segment', () => {
    expect(read(['2026-11-01T05:00:00Z'], '2026-11-01T05:00:00Z', '2026-11-02T05:00:00Z')).toEqual([
      ['usage_hourly', '2026-11-01T05:00', '2026-11-02T05:00'],
    ]);
    expect(
      read(
        ['2026-11-01T00:00:00Z', '2026-11-01T12:00:00Z', '2026-11-02T12:00:00Z'],
        '2026-11-01T00:00:00Z',
        '2026-11-03T00:00:00Z',
      ),
    ).toEqual([['usage_hourly', '2026-11-01T00:00', '2026-11-03T00:00']]);
  });

  it('should cover [start, end) exactly once, whatever the bounds', () => {
    const start = Date.parse('2026-11-01T03:00:00Z');
    const end = Date.parse('2026-11-09T19:00:00Z');
    for (let seed = 1; seed < 200; seed += 1) {
      const cuts = [start];
      for (let index = 0; index < seed % 5; index += 1)
        cuts.push(start + ((seed * 7919 * (index + 1)) % (end - start)));
      cuts.sort((a, b) => a - b);
      const parts = wholeHourParts(
        cuts.map((cut) => new Date(cut)),
        new Date(start),
        new Date(end),
      );
      let covered = start;
      for (const [table, , from, to] of parts) {
        expect(from.getTime()).toBe(covered);
        expect(to.getTime()).toBeGreaterThan(from.getTime());
        covered = to.getTime();
        if (table === 'usage_daily') {
          expect(from.getTime() % 86_400_000).toBe(0);
          expect(to.getTime() % 86_400_000).toBe(0);
          // No rule segment starts inside a day read daily.
          expect(
            cuts.some(
              (cut) => cut > from.getTime() && cut < to.getTime() && cut % 86_400_000 !== 0,
            ),
          ).toBe(false);
        }
      }
      expect(covered).toBe(end);
    }
  });
});

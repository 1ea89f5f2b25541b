import fc from 'fast-check';
import { PurserError } from '../errors';
import { parseDay, parseFocusQuery } from './focus-query';

const NAMES = ['from', 'to', 'version', 'currency'];

describe('parseFocusQuery', () => {
  it('should read whole UTC days, the version and the currency', () => {
    expect(
      parseFocusQuery({
        from: '2026-11-01',
        to: '2026-12-01T00:00:00Z',
        version: '1.2',
        currency: 'eur',
      }),
    ).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      version: '1.2',
      currency: 'EUR',
    });
    expect(parseFocusQuery({ from: '2026-11-01', to: '2026-11-02' })).toMatchObject({
      version: '1.3',
      currency: 'USD',
    });
  });

  it.each([
    [{ to: '2026-12-01' }, 'from: required'],
    [{ from: '2026-11-01' }, 'to: required'],
    [{ from: '2026-02-29', to: '2026-03-01' }, 'from: must be a UTC day'],
    [{ from: '2026-11-01T01:00:00Z', to: '2026-12-01' }, 'from: must be a UTC day'],
    [{ from: '2026-11-01', to: '2026-11-01' }, 'to: must be later than from'],
    [{ from: '2020-01-01', to: '2026-01-01' }, 'to: an export covers at most'],
    [{ from: '2026-11-01', to: '2026-12-01', version: '1.0' }, 'version: must be 1.2 or 1.3'],
    [{ from: '2026-11-01', to: '2026-12-01', currency: 'US' }, 'currency: must be'],
    [{ from: ['2026-11-01', '2026-11-02'], to: '2026-12-01' }, 'from: give it once'],
    [{ from: '2026-11-01', to: '2026-12-01', month: '2026-11' }, '"month": unknown parameter'],
  ])('should refuse %j naming the parameter', (query, message) => {
    expect(() => parseFocusQuery(query)).toThrow(message);
  });

  it('should name a parameter on every generated query, in time linear in its size', () => {
    const text = fc.oneof(
      fc.constantFrom('2026-11-01', '2026-12-01', '2026-11-01T00:00:00Z', '1.2', '1.3', 'usd'),
      fc.string({ maxLength: 50 }),
    );
    const value = fc.oneof(
      text,
      fc.array(text, { maxLength: 3 }),
      fc.dictionary(fc.string(), text),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 8 })), value),
        (query) => {
          try {
            const parsed = parseFocusQuery(query);
            expect(parsed.to.getTime()).toBeGreaterThan(parsed.from.getTime());
            expect(parsed.from.getUTCHours()).toBe(0);
          } catch (error) {
            expect(error).toBeInstanceOf(PurserError);
            const message = (error as PurserError).message;
            expect(message.length).toBeLessThan(200);
            expect(/^(".*"|from|to|version|currency): /s.test(message)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('should check a long value without echoing it whole', () => {
    const long = '2026-11-01'.repeat(100_000);
    expect(() => parseDay('from', long)).toThrow(/^from: .{0,160}$/);
  });
});

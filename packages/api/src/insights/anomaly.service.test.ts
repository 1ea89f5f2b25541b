import fc from 'fast-check';
import { anomalyDetectedSchema } from '@purser/adapters';
import { PurserError } from '../errors';
import {
  anomalyId,
  checkAnomalyRange,
  MAX_ANOMALY_RANGE_DAYS,
  readRanges,
  toAnomalyDetected,
  type AnomalyValue,
} from './anomaly.service';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

describe('checkAnomalyRange', () => {
  it('should take ranges up to 31 days and name the argument of any other (generated)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: -40 * DAY_MS, max: 40 * DAY_MS }),
        (start, span) => {
          const from = new Date(start);
          const to = new Date(start + span);
          if (span > 0 && span <= MAX_ANOMALY_RANGE_DAYS * DAY_MS) {
            expect(() => checkAnomalyRange(from, to)).not.toThrow();
            return;
          }
          let error: unknown;
          try {
            checkAnomalyRange(from, to);
          } catch (caught) {
            error = caught;
          }
          expect(error).toBeInstanceOf(PurserError);
          expect((error as PurserError).code).toBe('BAD_USER_INPUT');
          expect((error as PurserError).message).toMatch(
            span <= 0 ? /^to: must be later than from$/ : /^to: anomalies cover at most 31 days/,
          );
        },
      ),
    );
    expect(() => checkAnomalyRange(new Date('x'), new Date())).toThrow(
      /^from: must be a date-time/,
    );
  });
});

describe('readRanges', () => {
  it('should cover the range and its 8 past weeks, merged, in order (generated)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.integer({ min: 1, max: MAX_ANOMALY_RANGE_DAYS * DAY_MS }),
        (start, span) => {
          const from = new Date(start);
          const to = new Date(start + span);
          const ranges = readRanges(from, to);
          for (let index = 1; index < ranges.length; index += 1) {
            expect(ranges[index]![0].getTime()).toBeGreaterThan(ranges[index - 1]![1].getTime());
          }
          const covered = (time: number) =>
            ranges.some(([low, high]) => time >= low.getTime() && time < high.getTime());
          for (let week = 0; week <= 8; week += 1) {
            expect(covered(start - week * WEEK_MS)).toBe(true);
            expect(covered(start + span - 1 - week * WEEK_MS)).toBe(true);
          }
          expect(ranges.length).toBe(span >= WEEK_MS ? 1 : 9);
        },
      ),
    );
  });
});

describe('toAnomalyDetected', () => {
  it('should always fit the purser.anomalies.v1 schema, with a stable id (generated)', () => {
    const amount = fc
      .tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.nat({ max: 999_999_999 }))
      .map(([whole, fraction]) => (fraction === 0 ? `${whole}` : `${whole}.${fraction}`));
    fc.assert(
      fc.property(
        fc.constantFrom<'feature' | 'team'>('feature', 'team'),
        fc.option(fc.string({ maxLength: 256 }), { nil: null }),
        fc.integer({ min: 0, max: 2_000_000 }),
        amount,
        amount,
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        (dimension, value, hours, expected, observed, score) => {
          const anomaly: AnomalyValue = {
            dimension,
            value,
            hour: new Date(hours * 3_600_000),
            currency: 'USD',
            expected: expected.replace(/^-0$/, '0'),
            observed,
            excess: '0',
            score,
            baselineWeeks: 8,
          };
          const payload = toAnomalyDetected(anomaly, new Date(0));
          expect(anomalyDetectedSchema.parse(payload)).toEqual(payload);
          expect(payload.dimensions).toEqual({ [dimension]: value, hour: payload.hour });
          expect(payload.anomaly_id).toBe(anomalyId({ ...anomaly }));
          expect(payload.anomaly_id).not.toBe(
            anomalyId({ ...anomaly, dimension: dimension === 'team' ? 'feature' : 'team' }),
          );
        },
      ),
    );
  });
});

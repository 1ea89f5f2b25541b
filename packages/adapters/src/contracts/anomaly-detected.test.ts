import { ANOMALIES_SUBJECT, anomalyDetectedSchema } from './anomaly-detected';

const anomaly = {
  anomaly_id: 'a1',
  dimension: 'feature',
  value: 'chat',
  hour: '2026-11-20T14:00:00Z',
  dimensions: { feature: 'chat', hour: '2026-11-20T14:00:00Z' },
  expected: '10',
  observed: '510',
  excess: '500',
  score: 5000,
  baseline_weeks: 8,
  currency: 'USD',
  detected_at: '2026-11-20T15:05:00Z',
};

describe('anomalyDetectedSchema', () => {
  it('should take an anomaly, a null value and a negative expected, and refuse floats, unknown dimensions and an infinite score', () => {
    expect(ANOMALIES_SUBJECT).toBe('purser.anomalies.v1');
    expect(anomalyDetectedSchema.parse(anomaly)).toEqual(anomaly);
    expect(
      anomalyDetectedSchema.parse({
        ...anomaly,
        value: null,
        dimensions: { feature: null, hour: anomaly.hour },
      }).value,
    ).toBeNull();
    expect(anomalyDetectedSchema.safeParse({ ...anomaly, expected: '-1.5' }).success).toBe(true);
    expect(anomalyDetectedSchema.safeParse({ ...anomaly, observed: 510 }).success).toBe(false);
    expect(anomalyDetectedSchema.safeParse({ ...anomaly, dimension: 'model' }).success).toBe(false);
    expect(anomalyDetectedSchema.safeParse({ ...anomaly, score: Infinity }).success).toBe(false);
    expect(anomalyDetectedSchema.safeParse({ ...anomaly, hour: '2026-11-20' }).success).toBe(false);
    expect(anomalyDetectedSchema.parse({ ...anomaly, currency: 'eur' }).currency).toBe('EUR');
  });
});

import { reconciliationVarianceSchema, RECONCILIATION_SUBJECT } from './reconciliation-variance';

const variance = {
  variance_id: 'v1',
  billing_source_id: 's1',
  provider: 'openai',
  day: '2026-07-02',
  estimated: '7.520162',
  billed: '10.87618',
  delta: '-3.356018',
  delta_percent: '-30.856',
  tolerance_percent: '1',
  status: 'UNDER',
  currency: 'USD',
  detected_at: '2026-07-03T00:00:00Z',
};

describe('reconciliationVarianceSchema', () => {
  it('should take a variance with a negative delta and refuse a float or an unknown status', () => {
    expect(RECONCILIATION_SUBJECT).toBe('purser.reconciliation.v1');
    expect(reconciliationVarianceSchema.parse(variance)).toEqual(variance);
    expect(reconciliationVarianceSchema.safeParse({ ...variance, billed: 10.8 }).success).toBe(
      false,
    );
    expect(reconciliationVarianceSchema.safeParse({ ...variance, status: 'MATCHED' }).success).toBe(
      false,
    );
    expect(reconciliationVarianceSchema.safeParse({ ...variance, day: '2026-7-2' }).success).toBe(
      false,
    );
  });
});

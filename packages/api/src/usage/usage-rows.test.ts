import { INSERT_EVENTS_SQL } from './usage-insert';
import { dailyRollupSql, HOURLY_KEY, HOURLY_SUMS, hourlyRollupSql } from './usage-rows';

describe('hourlyRollupSql', () => {
  it('should count every inserted row once, as ingest adds them', () => {
    const sql = hourlyRollupSql('inserted');
    expect(sql).toContain("SELECT date_trunc('hour', occurred_at, 'UTC'), provider, model, team");
    expect(sql).toContain('count(*), count(*) FILTER (WHERE unpriced), sum(cost)');
    expect(sql).toContain('FROM inserted');
    expect(sql).not.toContain('HAVING');
    expect(INSERT_EVENTS_SQL).toContain(`rollup AS (${sql}`);
  });

  it('should weigh each row and leave out groups whose sums cancel, as a reprice moves them', () => {
    const sql = hourlyRollupSql('moved', 'weight');
    expect(sql).toContain(
      'sum(weight), coalesce(sum(weight) FILTER (WHERE unpriced), 0), sum(weight * cost)',
    );
    expect(sql).toContain('sum(weight * input_tokens)');
    expect(sql).toContain('HAVING sum(weight) <> 0 OR');
    expect(sql).toContain('FROM moved');
  });

  it('should write rows in key order and add to the row of the same key', () => {
    const sql = hourlyRollupSql('inserted');
    const positions = HOURLY_KEY.map((_, index) => index + 1).join(', ');
    expect(sql).toContain(`GROUP BY ${positions}\n    ORDER BY ${positions}`);
    expect(sql).toContain('ON CONFLICT (hour, provider, model, team');
    for (const column of HOURLY_SUMS)
      expect(sql).toContain(`${column} = usage_hourly.${column} + EXCLUDED.${column}`);
  });
});

describe('dailyRollupSql', () => {
  it('should add the same rows to usage_daily by UTC day, in the ingest statement', () => {
    const sql = dailyRollupSql('inserted');
    expect(sql).toContain("SELECT date_trunc('day', occurred_at, 'UTC'), provider, model, team");
    expect(sql).toContain('INSERT INTO usage_daily (day, provider');
    expect(sql).toContain('ON CONFLICT (day, provider, model, team');
    for (const column of HOURLY_SUMS)
      expect(sql).toContain(`${column} = usage_daily.${column} + EXCLUDED.${column}`);
    expect(INSERT_EVENTS_SQL).toContain(`daily AS (${sql}`);
    expect(dailyRollupSql('moved', 'weight')).toContain('HAVING sum(weight) <> 0 OR');
  });
});

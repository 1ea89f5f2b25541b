import type { DataSource } from 'typeorm';
import { SpendService } from './spend.service';

/** A DataSource double that records every query and answers with no rows. */
function recordingDataSource() {
  const calls: { sql: string; params: unknown[] }[] = [];
  const dataSource = {
    query: async (sql: string, params: unknown[]) => {
      calls.push({ sql, params });
      return [];
    },
  } as unknown as DataSource;
  return { calls, service: new SpendService(dataSource) };
}

const report = (
  from: string,
  to: string,
  filter: Record<string, string> = {},
  groupBy: ('hour' | 'day' | 'team')[] = [],
) => {
  const { calls, service } = recordingDataSource();
  return {
    calls,
    result: service.report({
      from: new Date(from),
      to: new Date(to),
      groupBy,
      filter,
      currency: 'USD',
    }),
  };
};

/** The tables a report's query reads, with the bounds of each part (its last two parameters). */
const partsOf = ({ sql, params }: { sql: string; params: unknown[] }) =>
  [
    ...sql.matchAll(
      /FROM (usage_daily|usage_hourly|usage_events)\s+WHERE (.*?)(?=\s*(?:\)|UNION|GROUP))/gs,
    ),
  ].map(([, table, where]) => [
    table,
    ...[...where.matchAll(/\$(\d+)/g)].slice(-2).map(([, index]) => params[Number(index) - 1]),
  ]);

describe('SpendService', () => {
  it.each([
    [
      'whole hours only from the rollup',
      '2026-03-10T10:00:00Z',
      '2026-03-10T14:00:00Z',
      [['usage_hourly', '2026-03-10T10:00:00.000Z', '2026-03-10T14:00:00.000Z']],
    ],
    [
      'the partial hours at both edges from the events',
      '2026-03-10T10:17:00Z',
      '2026-03-10T14:43:00Z',
      [
        ['usage_hourly', '2026-03-10T11:00:00.000Z', '2026-03-10T14:00:00.000Z'],
        ['usage_events', '2026-03-10T10:17:00.000Z', '2026-03-10T11:00:00.000Z'],
        ['usage_events', '2026-03-10T14:00:00.000Z', '2026-03-10T14:43:00.000Z'],
      ],
    ],
    [
      'a range inside one hour from the events alone',
      '2026-03-10T10:17:00Z',
      '2026-03-10T10:43:00Z',
      [['usage_events', '2026-03-10T10:17:00.000Z', '2026-03-10T10:43:00.000Z']],
    ],
    [
      'a range across one hour boundary from the events alone',
      '2026-03-10T10:17:00Z',
      '2026-03-10T11:43:00Z',
      [['usage_events', '2026-03-10T10:17:00.000Z', '2026-03-10T11:43:00.000Z']],
    ],
  ])('should read %s', async (_name, from, to, parts) => {
    const { calls, result } = report(from, to);
    await expect(result).resolves.toEqual({
      rows: [],
      total: '0',
      currency: 'USD',
      requests: 0,
      unpricedRequests: 0,
    });
    expect(calls).toHaveLength(1);
    expect(partsOf(calls[0])).toEqual(parts);
  });

  /** The tables a report over the range reads, with the bounds of each part. */
  const partsRead = async (from: string, to: string, groupBy: ('hour' | 'day' | 'team')[]) => {
    const { calls, result } = report(from, to, {}, groupBy);
    await result;
    return partsOf(calls[0]);
  };

  it.each([
    [
      'whole days from the daily rollup, the whole hours at the edges hourly, the rest from events',
      '2026-03-08T21:17:00Z',
      '2026-03-11T02:43:00Z',
      [
        ['usage_daily', '2026-03-09T00:00:00.000Z', '2026-03-11T00:00:00.000Z'],
        ['usage_hourly', '2026-03-08T22:00:00.000Z', '2026-03-09T00:00:00.000Z'],
        ['usage_hourly', '2026-03-11T00:00:00.000Z', '2026-03-11T02:00:00.000Z'],
        ['usage_events', '2026-03-08T21:17:00.000Z', '2026-03-08T22:00:00.000Z'],
        ['usage_events', '2026-03-11T02:00:00.000Z', '2026-03-11T02:43:00.000Z'],
      ],
    ],
    [
      'exactly whole days from the daily rollup alone',
      '2026-03-01T00:00:00Z',
      '2026-03-31T00:00:00Z',
      [['usage_daily', '2026-03-01T00:00:00.000Z', '2026-03-31T00:00:00.000Z']],
    ],
    [
      'a range of whole hours across midnight without a whole day hourly',
      '2026-03-08T20:00:00Z',
      '2026-03-09T20:00:00Z',
      [['usage_hourly', '2026-03-08T20:00:00.000Z', '2026-03-09T20:00:00.000Z']],
    ],
  ])('should read %s', async (_name, from, to, parts) => {
    expect(await partsRead(from, to, [])).toEqual(parts);
    expect(await partsRead(from, to, ['day', 'team'])).toEqual(parts);
  });

  it('should read every whole hour hourly when grouping by hour', async () => {
    expect(await partsRead('2026-03-08T21:17:00Z', '2026-03-11T02:43:00Z', ['hour'])).toEqual([
      ['usage_hourly', '2026-03-08T22:00:00.000Z', '2026-03-11T02:00:00.000Z'],
      ['usage_events', '2026-03-08T21:17:00.000Z', '2026-03-08T22:00:00.000Z'],
      ['usage_events', '2026-03-11T02:00:00.000Z', '2026-03-11T02:43:00.000Z'],
    ]);
  });

  it.each([
    ['to before from', '2026-03-10T11:00:00Z', '2026-03-10T10:00:00Z'],
    ['to equal to from', '2026-03-10T10:00:00Z', '2026-03-10T10:00:00Z'],
  ])('should refuse %s without querying', async (_name, from, to) => {
    const { calls, result } = report(from, to);
    await expect(result).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(calls).toHaveLength(0);
  });

  it('should refuse a filter key that is not a dimension, since keys become column names', async () => {
    const { calls, result } = report('2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z', {
      'team = team OR 1': 'x',
    });
    await expect(result).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(calls).toHaveLength(0);
  });

  it('should filter the user dimension on its user_id column, by parameter', async () => {
    const { calls, result } = report('2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z', {
      user: "o'brien",
    });
    await result;
    expect(calls[0].sql).toContain('user_id = $2');
    expect(calls[0].sql).not.toContain("o'brien");
    expect(calls[0].params.slice(0, 2)).toEqual(['USD', "o'brien"]);
  });
});

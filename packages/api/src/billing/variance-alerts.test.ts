import type { Logger } from '../observability/logger';
import type { ReconciliationService } from './reconciliation.service';
import { VarianceAlerts } from './variance-alerts';

const DAY_MS = 86_400_000;

/** A reconciliation that finds every day of the range asked for UNDER (billed `billed`). */
function underEveryDay(asked: { from: Date; to: Date }[], billed = '2') {
  return {
    report: async (options: { from: Date; to: Date }) => {
      asked.push({ from: options.from, to: options.to });
      const rows = [];
      for (let at = options.from.getTime(); at < options.to.getTime(); at += DAY_MS) {
        rows.push({
          dimensions: { day: new Date(at).toISOString().slice(0, 10) },
          estimated: '1',
          billed,
          delta: '-1',
          deltaPercent: '-50',
          status: 'UNDER' as const,
          likelyCauses: [],
        });
      }
      return {
        rows,
        estimated: '0',
        billed: '0',
        delta: '0',
        currency: 'USD',
        nonTokenCharges: [],
      };
    },
  } as unknown as ReconciliationService;
}

/** Alerts whose clock reads 2026-12-07T15:00Z (today is the 7th) and that publish to no NATS. */
function alertsAt(
  deps: Pick<ConstructorParameters<typeof VarianceAlerts>[0], 'reconciliation' | 'onVariance'> & {
    logger?: Logger;
  },
): VarianceAlerts {
  return new VarianceAlerts({
    logger: { warn: () => undefined } as unknown as Logger,
    nats: () => null,
    clock: () => new Date('2026-12-07T15:00:00Z'),
    ...deps,
  });
}

/** A sync of source-1's openai costs from `from` to `to` (ISO instants). */
function syncOpenAI(alerts: VarianceAlerts, from: string, to: string) {
  return alerts.afterSync('source-1', ['openai'], new Date(from), new Date(to));
}

describe('VarianceAlerts', () => {
  it('should alert on whole past UTC days only, never on today whose bill is still arriving', async () => {
    const asked: { from: Date; to: Date }[] = [];
    const alerts = alertsAt({ reconciliation: underEveryDay(asked) });
    const sent = await syncOpenAI(alerts, '2026-12-04T00:00:00Z', '2026-12-08T00:00:00Z');
    expect(sent.map((variance) => variance.day)).toEqual([
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
    expect(new Set(sent.map((variance) => variance.variance_id)).size).toBe(3);
  });

  it('should alert on nothing when the synced range is today alone', async () => {
    const asked: { from: Date; to: Date }[] = [];
    const alerts = alertsAt({ reconciliation: underEveryDay(asked) });
    const sent = await syncOpenAI(alerts, '2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z');
    expect(sent).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('should publish a day whose credits outweigh its charges (billed below zero)', async () => {
    const alerts = alertsAt({ reconciliation: underEveryDay([], '-2.5') });
    const sent = await syncOpenAI(alerts, '2026-12-05T00:00:00Z', '2026-12-07T00:00:00Z');
    expect(sent.map((variance) => [variance.day, variance.billed])).toEqual([
      ['2026-12-05', '-2.5'],
      ['2026-12-06', '-2.5'],
    ]);
  });

  it('should hand every variance to onVariance, one that fails included, without failing the others', async () => {
    const handed: string[] = [];
    const warned: string[] = [];
    const alerts = alertsAt({
      reconciliation: underEveryDay([]),
      logger: {
        warn: (_fields: unknown, message: string) => warned.push(message),
      } as unknown as Logger,
      onVariance: async (variance) => {
        handed.push(variance.day);
        if (variance.day === '2026-12-05') throw new Error('outbox unreachable');
      },
    });
    const sent = await syncOpenAI(alerts, '2026-12-05T00:00:00Z', '2026-12-07T00:00:00Z');
    expect(handed).toEqual(['2026-12-05', '2026-12-06']);
    expect(sent.map((variance) => variance.day)).toEqual(['2026-12-05', '2026-12-06']);
    expect(warned).toContain('reconciliation: handing a variance to notifications failed');
  });
});

import type { Logger } from '../observability/logger';
import { BillingScheduler, syncIntervalMs } from './billing-scheduler';
import type { BillingSourceService, BillingSourceValue } from './billing-source.service';
import type { BillingSyncService } from './billing-sync.service';

const NOW = new Date('2026-07-05T10:00:00Z');
const DAY = 86_400_000;

describe('syncIntervalMs', () => {
  it('should read seconds and units, and be off when asked or in tests by default', () => {
    expect(syncIntervalMs(undefined, 'production')).toBe(DAY);
    expect(syncIntervalMs(undefined, 'test')).toBeNull();
    expect(syncIntervalMs('off', 'production')).toBeNull();
    expect(syncIntervalMs('0', 'production')).toBeNull();
    expect(syncIntervalMs('90', 'test')).toBe(90_000);
    expect(syncIntervalMs('6h', 'production')).toBe(6 * 3_600_000);
    expect(syncIntervalMs('2d', 'production')).toBe(2 * DAY);
  });
});

describe('BillingScheduler', () => {
  const source = (id: string, overrides: Partial<BillingSourceValue> = {}): BillingSourceValue => ({
    id,
    provider: 'openai',
    name: id,
    baseUrl: null,
    effectiveBaseUrl: null,
    hasApiKey: true,
    lastSyncedAt: null,
    ...overrides,
  });

  it('should sync the last 3 days and today of every due API source, past a failure', async () => {
    const calls: [string, string, string][] = [];
    const warnings: [Record<string, unknown>, string][] = [];
    const scheduler = new BillingScheduler({
      sources: {
        list: async () => [
          source('failing'),
          source('due', { lastSyncedAt: new Date(NOW.getTime() - DAY) }),
          source('recent', { lastSyncedAt: new Date(NOW.getTime() - 3_600_000) }),
          source('file', { provider: 'focus' }),
          source('keyless', { hasApiKey: false }),
        ],
      } as unknown as BillingSourceService,
      sync: {
        sync: async (id: string, from: Date, to: Date) => {
          calls.push([id, from.toISOString(), to.toISOString()]);
          if (id === 'failing') {
            throw Object.assign(new Error('provider down: sk-secret-in-message'), {
              extensions: { code: 'BILLING_SOURCE_UNREADABLE' },
            });
          }
          return { linesImported: 0, linesUnchanged: 0, linesRestated: 0, warnings: [] };
        },
      } as unknown as BillingSyncService,
      logger: {
        warn: (fields: Record<string, unknown>, message: string) =>
          warnings.push([fields, message]),
      } as unknown as Logger,
      clock: () => NOW,
      intervalMs: DAY,
    });
    await scheduler.runOnce();
    expect(calls).toEqual([
      ['failing', '2026-07-02T00:00:00.000Z', '2026-07-06T00:00:00.000Z'],
      ['due', '2026-07-02T00:00:00.000Z', '2026-07-06T00:00:00.000Z'],
    ]);
    // The failure is logged by the source and the error's code only, never its message.
    expect(warnings).toEqual([
      [
        { sourceId: 'failing', code: 'BILLING_SOURCE_UNREADABLE' },
        'billing: a scheduled sync failed',
      ],
    ]);
    await scheduler.stop();
  });
});

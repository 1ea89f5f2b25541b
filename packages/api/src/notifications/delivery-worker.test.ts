import type { DataSource } from 'typeorm';
import type { Logger } from '../observability/logger';
import { DeliveryWorker } from './delivery-worker';
import type { Sealer } from './sealer';

const URL_WITH_TOKEN = 'https://hooks.example.com/services/T0/B0/secret-token';

/** Opens what `seal` would have sealed: the value after its binding. */
const sealer: Sealer = {
  seal: (plaintext, boundTo) => `${boundTo}|${plaintext}`,
  open: (sealed, boundTo) => {
    if (!sealed.startsWith(`${boundTo}|`)) throw new Error('bound elsewhere');
    return sealed.slice(boundTo.length + 1);
  },
};

/** A data source that answers the claim with one delivery and records every other statement. */
function fakeDatabase(attempts = 1, maxAttempts = 3) {
  const statements: { sql: string; params: unknown[] }[] = [];
  let claimed = false;
  const dataSource = {
    query: async (sql: string, params: unknown[] = []) => {
      statements.push({ sql, params });
      if (!sql.startsWith('UPDATE webhook_deliveries d SET attempts')) return [];
      if (claimed) return [[], 0];
      claimed = true;
      return [
        [
          {
            id: '7',
            delivery_key: 'key-7',
            webhook_id: 'w1',
            event_id: 'e1',
            event_type: 'ANOMALY',
            occurred_at: new Date('2026-11-20T15:00:00Z'),
            data: { observed: '9' },
            attempts,
            max_attempts: maxAttempts,
            url_sealed: sealer.seal(URL_WITH_TOKEN, 'webhook:w1:url'),
            secret_sealed: sealer.seal('whsec_unit', 'webhook:w1:secret'),
            format: 'JSON',
          },
        ],
        1,
      ];
    },
  } as unknown as DataSource;
  /** The parameters of the statement that recorded the attempt. */
  const recorded = () =>
    statements.find((item) => item.sql.includes('INSERT INTO webhook_attempts'))!.params;
  return { dataSource, recorded };
}

function worker(dataSource: DataSource, fetchImpl: typeof fetch) {
  return new DeliveryWorker({
    dataSource,
    sealer,
    logger: { warn: () => undefined } as unknown as Logger,
    clock: () => new Date('2026-12-07T10:00:00Z'),
    random: () => 1,
    fetch: fetchImpl,
    options: {
      maxAttempts: 3,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      timeoutMs: 1000,
      intervalMs: 1000,
      concurrency: 8,
    },
  });
}

// [delivery id, attempt, started, duration, status, error, state, next attempt, finished]
const STATUS = 4;
const ERROR = 5;
const STATE = 6;
const NEXT = 7;

describe('DeliveryWorker', () => {
  it('should never record or log the URL path a network error names', async () => {
    const { dataSource, recorded } = fakeDatabase();
    const failing = (async () => {
      throw new TypeError('fetch failed', {
        cause: { code: 'ECONNRESET', message: `socket hang up talking to ${URL_WITH_TOKEN}` },
      });
    }) as unknown as typeof fetch;
    await worker(dataSource, failing).tick();
    const params = recorded();
    expect(params[ERROR]).toBe('ECONNRESET: socket hang up talking to https://hooks.example.com/…');
    expect(params[STATE]).toBe('pending');
    // Attempt 1 failed: the 2nd comes base × 2^0 later (random 1: the top of the jitter).
    expect(params[NEXT]).toBe('2026-12-07T10:00:01.000Z');
  });

  it('should send the signed body with the idempotency key, and not follow nor retry a redirect', async () => {
    const { dataSource, recorded } = fakeDatabase();
    const sent: RequestInit[] = [];
    const redirecting = (async (_url: string, init: RequestInit) => {
      sent.push(init);
      return new Response(null, { status: 302, headers: { location: 'http://10.0.0.1/' } });
    }) as unknown as typeof fetch;
    await worker(dataSource, redirecting).tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.redirect).toBe('manual');
    const headers = sent[0]!.headers as Record<string, string>;
    expect(headers['idempotency-key']).toBe('key-7');
    expect(headers['x-purser-signature']).toMatch(/^t=1796637600,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(sent[0]!.body as string)).toEqual({
      id: 'e1',
      type: 'ANOMALY',
      occurredAt: '2026-11-20T15:00:00.000Z',
      data: { observed: '9' },
    });
    const params = recorded();
    expect([params[STATUS], params[ERROR], params[STATE], params[NEXT]]).toEqual([
      302,
      'HTTP 302 (redirects are not followed)',
      'failed',
      null,
    ]);
  });

  it('should give up after the last attempt, and honour a longer Retry-After before it', async () => {
    const busy = (async () =>
      new Response(null, {
        status: 503,
        headers: { 'retry-after': '30' },
      })) as unknown as typeof fetch;
    const last = fakeDatabase(3, 3);
    await worker(last.dataSource, busy).tick();
    expect(last.recorded()[STATE]).toBe('failed');
    const second = fakeDatabase(2, 3);
    await worker(second.dataSource, busy).tick();
    expect([second.recorded()[STATE], second.recorded()[NEXT]]).toEqual([
      'pending',
      '2026-12-07T10:00:30.000Z',
    ]);
  });
});

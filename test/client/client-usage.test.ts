// PurserClient's usage delivery against a fake Purser: batching by size and linger, retries
// with backoff on 429/5xx/network, idempotency by event id, the bounded buffer, refusals
// that are not retried; and `release`.
import { PurserClient } from '@purser/adapters/client';
import { makeUsageEvent } from '@purser/adapters/testing';
import {
  allowAll,
  fakePurserPerTest,
  postedEvents,
  startFakePurser,
  usageAccepted,
  waitFor,
} from './fake-purser';

const events = (count: number, prefix = 'evt') =>
  Array.from({ length: count }, (_, index) => makeUsageEvent({ id: `${prefix}-${index}` }));

describe('PurserClient usage delivery', () => {
  const rig = fakePurserPerTest({ retry: { initialDelayMs: 10, maxDelayMs: 40 } });
  const { client, clients, logger } = rig;

  it('should send full batches at once and the rest after the linger', async () => {
    const arrivals: number[] = [];
    rig.fake.handler = (request) => {
      if (request.path === '/v1/usage') arrivals.push(Date.now());
      return allowAll(request);
    };
    const purser = client({ batch: { maxEvents: 100, lingerMs: 300 } });
    const started = Date.now();
    expect(purser.reportUsage(events(250))).toBe(250);
    await waitFor(() => rig.fake.to('/v1/usage').length === 3, 5_000);
    // Two full batches leave at once (in flight together, in either order), then the rest.
    const sizes = rig.fake.to('/v1/usage').map((request) => (request.body as unknown[]).length);
    expect([...sizes].sort()).toEqual([100, 100, 50]);
    // The 50 left waited for the linger (timers never fire early).
    expect(arrivals[sizes.indexOf(50)]! - started).toBeGreaterThanOrEqual(300);
    expect(
      postedEvents(rig.fake)
        .map((event) => event.id)
        .sort(),
    ).toEqual(
      events(250)
        .map((event) => event.id)
        .sort(),
    );
    expect(await purser.flush(2_000)).toBe(true);
    expect(purser.stats).toMatchObject({ sent: 250, buffered: 0, retries: 0 });
  });

  it('should gather events reported one by one into one batch within the linger', async () => {
    const purser = client({ batch: { maxEvents: 100, lingerMs: 30 } });
    for (const event of events(5)) purser.reportUsage(event);
    await purser.flush(2_000);
    expect(rig.fake.to('/v1/usage')).toHaveLength(1);
    expect(rig.fake.to('/v1/usage')[0]!.authorization).toBe('Bearer k');
  });

  it('should linger 250 ms by default, so events a moment apart share one batch', async () => {
    const arrivals: number[] = [];
    rig.fake.handler = (request) => {
      if (request.path === '/v1/usage') arrivals.push(Date.now());
      return allowAll(request);
    };
    const purser = client();
    const started = Date.now();
    const [first, ...rest] = events(5, 'linger');
    purser.reportUsage(first!);
    // The others come 100 ms later, within the first one's linger.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const event of rest) purser.reportUsage(event);
    await waitFor(() => rig.fake.to('/v1/usage').length === 1, 5_000);
    // Timers never fire early: the batch left no sooner than the linger after the first event.
    expect(arrivals[0]! - started).toBeGreaterThanOrEqual(250);
    expect(rig.fake.to('/v1/usage')[0]!.body).toHaveLength(5);
  });

  it('should hold an id once while it is pending, and resend the same id after a failure', async () => {
    let failures = 2;
    rig.fake.handler = (request) => {
      if (request.path === '/v1/usage' && failures > 0) {
        failures -= 1;
        return failures === 1
          ? {
              status: 503,
              body: { code: 'UNAVAILABLE', message: 'db' },
              headers: { 'retry-after': '0' },
            }
          : { status: 200, raw: '{"accepted": 1, "results": [' }; // cut answer: unknown outcome
      }
      return allowAll(request);
    };
    const purser = client({ batch: { lingerMs: 5 } });
    const [event] = events(1, 'once');
    expect(purser.reportUsage([event!, event!])).toBe(1);
    expect(purser.reportUsage(event!)).toBe(0);
    expect(await purser.flush(3_000)).toBe(true);
    expect(postedEvents(rig.fake).map((sent) => sent.id)).toEqual(['once-0', 'once-0', 'once-0']);
    expect(purser.stats).toMatchObject({ sent: 1, retries: 2, buffered: 0 });
    // Delivered: the id may be reported again (Purser answers it as a duplicate).
    expect(purser.reportUsage(event!)).toBe(1);
  });

  it('should back off between retries, doubling up to the cap', async () => {
    const times: number[] = [];
    rig.fake.handler = (request) => {
      if (request.path !== '/v1/usage') return allowAll(request);
      times.push(Date.now());
      return times.length < 5
        ? { status: 502, raw: 'bad gateway' }
        : { body: usageAccepted(request.body) };
    };
    const purser = client({
      retry: { initialDelayMs: 40, maxDelayMs: 100 },
      batch: { lingerMs: 1 },
    });
    purser.reportUsage(events(3));
    expect(await purser.flush(5_000)).toBe(true);
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    // Jitter keeps each delay within [half, all] of 40, 80, 100, 100 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    expect(gaps[3]).toBeGreaterThanOrEqual(45);
    expect(Math.max(...gaps)).toBeLessThan(400);
    expect(purser.stats.retries).toBe(4);
  });

  it('should retry while the connection is refused and deliver once Purser listens', async () => {
    const down = await startFakePurser(() => ({ status: 503, body: {} }));
    const url = down.url;
    await down.close();
    const purser = new PurserClient({
      url,
      apiKey: 'k',
      failMode: 'open',
      logger,
      batch: { lingerMs: 1 },
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    clients.push(purser);
    purser.reportUsage(events(2));
    await waitFor(() => purser.stats.retries >= 3);
    expect(purser.stats).toMatchObject({ sent: 0, buffered: 2 });
  });

  it('should drop events beyond the buffer bounds with one counted warning', async () => {
    rig.fake.handler = () => ({ status: 503, body: {} });
    const purser = client({ buffer: { maxEvents: 5 }, batch: { lingerMs: 1000 } });
    expect(purser.reportUsage(events(8))).toBe(5);
    expect(purser.reportUsage(events(2, 'more'))).toBe(0);
    expect(purser.stats).toMatchObject({ dropped: 5, buffered: 5 });
    const warnings = logger.lines.filter((line) => line.message.includes('buffer full'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ dropped: 1, bufferedEvents: 5 });

    const bytes = client({ buffer: { maxBytes: 2_000 }, batch: { lingerMs: 1000 } });
    const held = bytes.reportUsage(events(10, 'big'));
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(10);
    expect(bytes.stats.dropped).toBe(10 - held);
  });

  it('should drop a batch Purser refuses (401) and warn on events it rejects, without retrying', async () => {
    rig.fake.handler = (request) =>
      request.path === '/v1/usage'
        ? { status: 401, body: { code: 'UNAUTHENTICATED', message: 'bad key' } }
        : allowAll(request);
    const purser = client({ batch: { lingerMs: 1 } });
    purser.reportUsage(events(3));
    expect(await purser.flush(2_000)).toBe(true);
    expect(purser.stats).toMatchObject({ dropped: 3, sent: 0, retries: 0 });
    expect(logger.lines.at(-1)).toMatchObject({
      message: expect.stringContaining('refused'),
      fields: { events: 3, error: expect.stringContaining('bad key') },
    });

    rig.fake.handler = (request) => ({
      body: {
        accepted: 1,
        duplicates: 1,
        rejected: 1,
        results: [
          { id: 'r-0', status: 'accepted', reason: null },
          { id: 'r-1', status: 'duplicate', reason: null },
          { id: 'r-2', status: 'rejected', reason: 'usage.input_tokens: must be an integer' },
        ],
      },
      ...(request.path === 'never' ? {} : {}),
    });
    const second = client({ batch: { lingerMs: 1 } });
    second.reportUsage(events(3, 'r'));
    expect(await second.flush(2_000)).toBe(true);
    expect(second.stats).toMatchObject({ sent: 2, duplicates: 1, rejected: 1, retries: 0 });
    expect(logger.lines.at(-1)).toMatchObject({
      fields: { id: 'r-2', reason: expect.stringContaining('input_tokens') },
    });
  });

  it('should refuse an event that is not the wire shape, naming it', () => {
    const purser = client();
    expect(() =>
      purser.reportUsage([makeUsageEvent(), { id: '', timestamp: 'x' } as never]),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('event 1'),
      }),
    );
    expect(purser.stats.buffered).toBe(0);
  });

  it('should say what is left undelivered when closed before Purser came back', async () => {
    rig.fake.handler = () => ({ status: 503, body: {} });
    const purser = client({ batch: { lingerMs: 1 } });
    purser.reportUsage(events(2));
    await purser.close(100);
    clients.splice(clients.indexOf(purser), 1);
    expect(logger.lines.at(-1)).toMatchObject({ fields: { undelivered: 2 } });
    expect(() => purser.reportUsage(events(1, 'late'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  describe('release', () => {
    it('should call releaseReservation and answer its boolean', async () => {
      const purser = client();
      expect(await purser.release('dec_9')).toBe(true);
      rig.fake.handler = () => ({ body: { data: { releaseReservation: false } } });
      expect(await purser.release('dec_9')).toBe(false);
      expect(rig.fake.to('/graphql')[0]!.body).toEqual({
        query: 'mutation($id: ID!) { releaseReservation(id: $id) }',
        variables: { id: 'dec_9' },
      });
    });

    it('should throw typed errors for GraphQL errors and outages', async () => {
      const purser = client();
      rig.fake.handler = () => ({
        body: {
          data: null,
          errors: [{ message: 'Reservation "x" not found', extensions: { code: 'NOT_FOUND' } }],
        },
      });
      await expect(purser.release('x')).rejects.toMatchObject({
        code: 'REJECTED',
        message: expect.stringContaining('NOT_FOUND'),
      });
      rig.fake.handler = () => ({ status: 503, raw: 'down' });
      await expect(purser.release('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(purser.release('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
});

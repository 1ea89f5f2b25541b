// The MONTHLY_REPORT notification against real Postgres and a receiver on 127.0.0.1: once a
// UTC month has closed, its report is announced once on the webhooks that listen (its total
// and the month before's, as `spend` gives them, and a link to the PDF), however often the
// job runs; a month still open is not announced.
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money } from '@purser/pricing';
import { MonthlyReportNotifier } from '@purser/api';
import { PENNY, postUsageJson, priceModel, unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { startReceiver, type Receiver } from '../notifications/receiver';
import { CREATE, verify } from '../notifications/webhook-kit';

describe('the monthly report notification', () => {
  let now = new Date('2026-10-20T12:00:00Z');
  let service: RunningPurser;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver(() => 200);
    service = await startPurser({
      clock: () => now,
      env: {
        PURSER_SECRET_KEY: 'monthly-report-notice-secret-32-chars',
        PURSER_PUBLIC_URL: 'https://purser.example.com/',
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
  });

  const notifier = () => service.purser.monthlyReports!;
  const drain = async () => {
    await service.purser.services.webhookWorker.tick();
    await service.purser.services.webhookWorker.tick();
  };
  /** Whole cents as `spend` writes dollars (`17.41`, `10`). */
  const sum = (cents: number[]) =>
    new Money(cents.reduce((a, b) => a + b, 0)).dividedBy(100).toFixed();

  it('announces a closed month once, with its total and the month before', async () => {
    // At start the job announced September (nobody listened): it is not announced again.
    await notifier().runOnce();
    const notices = () =>
      service.purser.dataSource.query(
        `SELECT month, total::text, webhooks FROM monthly_report_notices ORDER BY month`,
      );
    expect(await notices()).toEqual([{ month: '2026-09', total: '0', webhooks: 0 }]);

    const created = await service.graphql<{
      createWebhook: { secret: string; webhook: { id: string } };
    }>(CREATE, {
      input: {
        name: unique('finance'),
        url: `${receiver.url}/reports`,
        format: 'JSON',
        events: ['MONTHLY_REPORT'],
      },
    });
    expect(created.errors).toBeUndefined();
    const { secret } = created.data!.createWebhook;

    // At PENNY ($10 per million input tokens) 1,000 input tokens cost exactly $0.01.
    const model = unique('notice-model');
    await priceModel(service, model, PENNY);
    const gateway = await service.keyFor('gateway');
    const september = [300, 700];
    const october = [1200, 500, 41];
    const events = [
      ...september.map((cents, index) => ({ cents, at: `2026-09-${10 + index}T08:00:00Z` })),
      ...october.map((cents, index) => ({ cents, at: `2026-10-${10 + index}T08:00:00Z` })),
    ].map(({ cents, at }) =>
      makeUsageEvent({
        id: unique('evt'),
        provider: 'openai',
        model,
        timestamp: at,
        usage: { input_tokens: cents * 1000, output_tokens: 0 },
      }),
    );
    expect((await postUsageJson(service, gateway, events)).status).toBe(200);

    // October is still open.
    expect(await notifier().runOnce()).toBeNull();
    // Closed, but within the 6 hours' grace for late usage.
    now = new Date('2026-11-01T05:59:00Z');
    expect(await notifier().runOnce()).toBeNull();
    now = new Date('2026-11-01T06:00:00Z');
    expect(await notifier().runOnce()).toBe('2026-10');
    // Again, and from another replica's job: nothing more.
    expect(await notifier().runOnce()).toBeNull();
    const replica = new MonthlyReportNotifier({
      dataSource: service.purser.dataSource,
      spend: service.purser.services.spend,
      notify: (data, options) =>
        service.purser.services.webhooks.notify('MONTHLY_REPORT', { ...data }, options),
      clock: () => now,
      logger: service.purser.logger,
      intervalMs: 3_600_000,
      publicUrl: null,
    });
    expect(await replica.runOnce()).toBeNull();
    await drain();
    await drain();

    const requests = receiver.at('/reports');
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    const signedAt = Math.floor(now.getTime() / 1000);
    expect(verify(request.headers['x-purser-signature'], request.body, secret, signedAt)).toBe(
      true,
    );
    expect(JSON.parse(request.body)).toMatchObject({
      id: 'monthly-report:2026-10',
      type: 'MONTHLY_REPORT',
      occurredAt: '2026-11-01T00:00:00.000Z',
      data: {
        month: '2026-10',
        total: sum(october),
        previous_total: sum(september),
        currency: 'USD',
        url: 'https://purser.example.com/v1/reports/monthly?month=2026-10&format=pdf',
      },
    });
    expect(await notices()).toEqual([
      { month: '2026-09', total: '0', webhooks: 0 },
      { month: '2026-10', total: sum(october), webhooks: 1 },
    ]);
  });
});

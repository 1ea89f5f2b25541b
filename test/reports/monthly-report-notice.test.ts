// The MONTHLY_REPORT notification against real Postgres and a receiver on 127.0.0.1: once a
// UTC month has closed, its report is announced once on the webhooks that listen (its total
// and the month before's, as `spend` gives them, and a link to the PDF), however often the
// job runs; a month still open is not announced. After downtime a pass announces, oldest
// first, the months it missed (of the last three closed); a fresh database gets only the last one.
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
  const notices = () =>
    service.purser.dataSource.query(
      `SELECT month, total::text, webhooks FROM monthly_report_notices ORDER BY month`,
    );
  /** Another replica's job on the same database. */
  const replica = () =>
    new MonthlyReportNotifier({
      dataSource: service.purser.dataSource,
      spend: service.purser.services.spend,
      notify: (data, options) =>
        service.purser.services.webhooks.notify('MONTHLY_REPORT', { ...data }, options),
      clock: () => now,
      logger: service.purser.logger,
      intervalMs: 3_600_000,
      publicUrl: null,
    });
  /** Usage on `model` costing each of the cents, one event a day from the 10th of its month. */
  const postSpend = async (model: string, spend: Record<string, number[]>) => {
    const gateway = await service.keyFor('gateway');
    const events = Object.entries(spend).flatMap(([month, cents]) =>
      cents.map((amount, index) =>
        makeUsageEvent({
          id: unique('evt'),
          provider: 'openai',
          model,
          timestamp: `${month}-${10 + index}T08:00:00Z`,
          usage: { input_tokens: amount * 1000, output_tokens: 0 },
        }),
      ),
    );
    expect((await postUsageJson(service, gateway, events)).status).toBe(200);
  };
  const september = [300, 700];
  const october = [1200, 500, 41];

  it('announces a closed month once, with its total and the month before', async () => {
    // At start the job announced September (nobody listened): it is not announced again.
    await notifier().runOnce();
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
    await postSpend(model, { '2026-09': september, '2026-10': october });

    // October is still open.
    expect(await notifier().runOnce()).toBeNull();
    // Closed, but within the 6 hours' grace for late usage.
    now = new Date('2026-11-01T05:59:00Z');
    expect(await notifier().runOnce()).toBeNull();
    now = new Date('2026-11-01T06:00:00Z');
    expect(await notifier().runOnce()).toBe('2026-10');
    // Again, and from another replica's job: nothing more.
    expect(await notifier().runOnce()).toBeNull();
    expect(await replica().runOnce()).toBeNull();
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

  it('announces the months missed while it was down, oldest first and once each', async () => {
    // Follows the test above: October is the newest month announced. The service was down
    // from 29 November to 3 January, so no pass saw November or December close.
    const model = unique('notice-model');
    await priceModel(service, model, PENNY);
    const november = [900, 15];
    const december = [2500];
    now = new Date('2027-01-03T12:00:00Z');
    await postSpend(model, { '2026-11': november, '2026-12': december });

    // One pass announces both and answers the newest; the next, and a replica's, find none.
    expect(await notifier().runOnce()).toBe('2026-12');
    expect(await notifier().runOnce()).toBeNull();
    expect(await replica().runOnce()).toBeNull();
    await drain();
    await drain();

    expect(await notices()).toEqual([
      { month: '2026-09', total: '0', webhooks: 0 },
      { month: '2026-10', total: sum(october), webhooks: 1 },
      { month: '2026-11', total: sum(november), webhooks: 1 },
      { month: '2026-12', total: sum(december), webhooks: 1 },
    ]);
    // Recorded and put in the outbox oldest first (deliveries themselves run in parallel).
    const announced = await service.purser.dataSource.query(
      `SELECT month FROM monthly_report_notices ORDER BY notified_at`,
    );
    expect(announced.map((row: { month: string }) => row.month)).toEqual([
      '2026-09',
      '2026-10',
      '2026-11',
      '2026-12',
    ]);
    const outbox = await service.purser.dataSource.query(
      `SELECT event_id FROM webhook_deliveries WHERE event_type = 'MONTHLY_REPORT' ORDER BY id`,
    );
    expect(outbox.map((row: { event_id: string }) => row.event_id)).toEqual([
      'monthly-report:2026-10',
      'monthly-report:2026-11',
      'monthly-report:2026-12',
    ]);

    const requests = receiver.at('/reports');
    expect(requests).toHaveLength(3);
    const late = requests
      .slice(1)
      .map((request) => JSON.parse(request.body) as { id: string })
      .sort((a, b) => a.id.localeCompare(b.id));
    expect(late).toMatchObject([
      {
        id: 'monthly-report:2026-11',
        type: 'MONTHLY_REPORT',
        occurredAt: '2026-12-01T00:00:00.000Z',
        data: {
          month: '2026-11',
          total: sum(november),
          previous_total: sum(october),
          currency: 'USD',
          url: 'https://purser.example.com/v1/reports/monthly?month=2026-11&format=pdf',
        },
      },
      {
        id: 'monthly-report:2026-12',
        type: 'MONTHLY_REPORT',
        occurredAt: '2027-01-01T00:00:00.000Z',
        data: {
          month: '2026-12',
          total: sum(december),
          previous_total: sum(november),
          currency: 'USD',
          url: 'https://purser.example.com/v1/reports/monthly?month=2026-12&format=pdf',
        },
      },
    ]);
  });
});

describe('the monthly report notification on a new install', () => {
  // Within February's 6 hours' grace: January is the last closed month.
  let now = new Date('2027-03-01T03:00:00Z');
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser({ clock: () => now });
  });
  afterAll(async () => {
    await service?.stop();
  });

  const notifier = () => service.purser.monthlyReports!;
  const months = async () =>
    (
      (await service.purser.dataSource.query(
        `SELECT month FROM monthly_report_notices ORDER BY month`,
      )) as { month: string }[]
    ).map((row) => row.month);
  /** `count` month names from `first` (`2027-01`) on. */
  const monthsFrom = (first: string, count: number) =>
    Array.from({ length: count }, (_, index) => {
      const [year, month] = first.split('-').map(Number) as [number, number];
      return new Date(Date.UTC(year, month - 1 + index, 1)).toISOString().slice(0, 7);
    });

  it('announces only the last closed month, not the months before it', async () => {
    // The pass at start (joined here, or one more) found an empty table.
    await notifier().runOnce();
    expect(await months()).toEqual(['2027-01']);
    now = new Date('2027-03-01T06:00:00Z');
    expect(await notifier().runOnce()).toBe('2027-02');
    expect(await notifier().runOnce()).toBeNull();
    expect(await months()).toEqual(['2027-01', '2027-02']);
  });

  it('catches up only the last three closed months, passing older missed ones over', async () => {
    // Follows the test above (February announced); then the clock jumps ahead: March 2027 to
    // July 2028 are 17 closed months, of which only May to July 2028 are announced.
    now = new Date('2028-08-10T00:00:00Z');
    expect(await notifier().runOnce()).toBe('2028-07');
    expect(await months()).toEqual([...monthsFrom('2027-01', 2), ...monthsFrom('2028-05', 3)]);
    expect(await notifier().runOnce()).toBeNull();
  });

  it('holds no month back for a notice of a month not closed yet, nor announces one when the clock goes back', async () => {
    // A notice far ahead, as a version without catch-up wrote when its clock ran ahead.
    await service.purser.dataSource.query(
      `INSERT INTO monthly_report_notices (month, total, currency, webhooks)
       VALUES ('2099-01', 0, 'USD', 0)`,
    );
    now = new Date('2028-09-01T06:00:00Z');
    expect(await notifier().runOnce()).toBe('2028-08');
    // Set back before every notice: the months it sees closed were announced long ago.
    now = new Date('2026-06-15T00:00:00Z');
    expect(await notifier().runOnce()).toBeNull();
    expect(await months()).toEqual([
      ...monthsFrom('2027-01', 2),
      ...monthsFrom('2028-05', 4),
      '2099-01',
    ]);
  });
});

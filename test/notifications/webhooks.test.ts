// Webhooks against a real database and a receiver on 127.0.0.1: configured through GraphQL,
// every delivery signed (checked here with node:crypto, as a receiver would), both body
// shapes, retries with backoff recorded attempt by attempt, giving up after the attempts
// allowed, timeouts, permanent refusals, roles.
import { freePort } from '../support/database';
import { unique } from '../support/decisions';
import { CREATE, MAX_ATTEMPTS, verify, webhookRig, type Delivery } from './webhook-kit';

const TEST = `mutation($id: ID!) { testWebhook(id: $id) {
  state attempts deliveryKey eventType lastStatusCode attemptLog { attempt statusCode error durationMs } } }`;

describe('webhooks', () => {
  const rig = webhookRig((path, nth) => {
    if (path === '/flaky') return nth <= 2 ? 500 : 200;
    if (path === '/slow' || path === '/slow-disabled') return { status: 200, delayMs: 3000 };
    if (path === '/gone') return 410;
    return 204;
  });
  const { drain, later, createWebhook, deliveries, clock } = rig;

  it('should sign a test delivery so the receiver verifies it with the secret shown once', async () => {
    const created = await createWebhook({
      name: unique('signed'),
      url: `${rig.receiver.url}/signed?x=1`,
    });
    expect(created.webhook.url).toBe(`${rig.receiver.url}/…`);
    expect(created.secret).toMatch(/^whsec_/);
    const answer = await rig.service.graphql<{ testWebhook: Delivery }>(TEST, {
      id: created.webhook.id,
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.testWebhook).toMatchObject({
      state: 'DELIVERED',
      attempts: 1,
      eventType: 'TEST',
      lastStatusCode: 204,
      attemptLog: [{ attempt: 1, statusCode: 204, error: null }],
    });
    const [request] = rig.receiver.at('/signed?x=1');
    expect(request).toBeDefined();
    const signature = request!.headers['x-purser-signature'] as string;
    expect(verify(signature, request!.body, created.secret, Math.floor(request!.at / 1000))).toBe(
      true,
    );
    expect(
      verify(signature, `${request!.body} `, created.secret, Math.floor(request!.at / 1000)),
    ).toBe(false);
    expect(verify(signature, request!.body, 'whsec_another', Math.floor(request!.at / 1000))).toBe(
      false,
    );
    // A replay ten minutes later is refused by the window.
    expect(
      verify(signature, request!.body, created.secret, Math.floor(request!.at / 1000) + 600),
    ).toBe(false);
    expect(request!.headers['idempotency-key']).toBe(answer.data!.testWebhook.deliveryKey);
    expect(request!.headers['x-purser-delivery']).toBe(answer.data!.testWebhook.deliveryKey);
    expect(request!.headers['x-purser-event']).toBe('TEST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'TEST',
      data: { webhook_id: created.webhook.id },
    });
  });

  it('should send the JSON envelope and the Slack message shapes', async () => {
    const json = await createWebhook({ name: unique('json'), url: `${rig.receiver.url}/json` });
    const slack = await createWebhook({
      name: unique('slack'),
      url: `${rig.receiver.url}/slack`,
      format: 'SLACK',
    });
    const anomaly = {
      dimensions: { feature: 'chat', hour: '2026-11-20T14:00:00Z' },
      expected: '1.50',
      observed: '9.25',
      score: 7.5,
      currency: 'USD',
    };
    const written = await rig.service.purser.services.webhooks.notify('ANOMALY', anomaly, {
      id: unique('anomaly'),
      occurredAt: new Date('2026-11-20T15:00:00Z'),
    });
    expect(written).toBeGreaterThanOrEqual(2);
    await drain();
    const [jsonRequest] = rig.receiver.at('/json');
    const envelope = JSON.parse(jsonRequest!.body);
    expect(Object.keys(envelope).sort()).toEqual(['data', 'id', 'occurredAt', 'type']);
    expect(envelope).toMatchObject({
      type: 'ANOMALY',
      occurredAt: '2026-11-20T15:00:00.000Z',
      data: anomaly,
    });
    const [slackRequest] = rig.receiver.at('/slack');
    const message = JSON.parse(slackRequest!.body);
    expect(message.text).toBe(
      'Unusual spend: feature=chat, hour=2026-11-20T14:00:00Z. Observed 9.25 USD against 1.50 USD expected (score 7.5).',
    );
    expect(message.blocks.map((block: { type: string }) => block.type)).toEqual([
      'section',
      'context',
    ]);
    expect(
      verify(
        slackRequest!.headers['x-purser-signature'] as string,
        slackRequest!.body,
        slack.secret,
        Math.floor(slackRequest!.at / 1000),
      ),
    ).toBe(true);
    expect((await deliveries(json.webhook.id)).map((delivery) => delivery.state)).toEqual([
      'DELIVERED',
    ]);
  });

  it('should deliver on the 3rd attempt to a receiver failing twice, with 3 attempts recorded', async () => {
    const created = await createWebhook({
      name: unique('flaky'),
      url: `${rig.receiver.url}/flaky`,
      events: ['MONTHLY_REPORT'],
    });
    await rig.service.purser.services.webhooks.notify(
      'MONTHLY_REPORT',
      { month: '2026-11', total: '1234.50', currency: 'USD' },
      { id: 'monthly-report:2026-11' },
    );
    await drain();
    const [first] = await deliveries(created.webhook.id);
    expect(first).toMatchObject({
      state: 'PENDING',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
    });
    expect(new Date(first!.nextAttemptAt!).getTime()).toBeGreaterThan(clock());
    await later();
    await later();
    const [delivery] = await deliveries(created.webhook.id);
    expect(delivery).toMatchObject({
      state: 'DELIVERED',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
      eventId: 'monthly-report:2026-11',
    });
    expect(delivery!.finishedAt).not.toBeNull();
    expect(
      delivery!.attemptLog.map(({ attempt, statusCode, error }) => [attempt, statusCode, error]),
    ).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 200, null],
    ]);
    const requests = rig.receiver.at('/flaky');
    expect(requests).toHaveLength(3);
    // The same idempotency key and body on every attempt: the receiver can deduplicate.
    expect(new Set(requests.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(requests.map((request) => request.headers['x-purser-attempt'])).toEqual(['1', '2', '3']);
    // Notified again with the same event id: nothing more is sent.
    expect(
      await rig.service.purser.services.webhooks.notify(
        'MONTHLY_REPORT',
        {},
        { id: 'monthly-report:2026-11' },
      ),
    ).toBe(0);
    await later();
    expect(rig.receiver.at('/flaky')).toHaveLength(3);
  });

  it('should give up on a dead receiver after the attempts allowed, each recorded', async () => {
    const port = await freePort();
    const created = await createWebhook({
      name: unique('dead'),
      url: `http://127.0.0.1:${port}/hook`,
      events: ['RECONCILIATION_VARIANCE'],
    });
    await rig.service.purser.services.webhooks.notify('RECONCILIATION_VARIANCE', {
      provider: 'openai',
    });
    await drain();
    for (let round = 0; round < MAX_ATTEMPTS + 2; round += 1) await later();
    const [delivery] = await deliveries(created.webhook.id);
    expect(delivery).toMatchObject({
      state: 'FAILED',
      attempts: MAX_ATTEMPTS,
      maxAttempts: MAX_ATTEMPTS,
      lastStatusCode: null,
      nextAttemptAt: null,
    });
    expect(delivery!.finishedAt).not.toBeNull();
    expect(delivery!.attemptLog).toHaveLength(MAX_ATTEMPTS);
    for (const [index, attempt] of delivery!.attemptLog.entries()) {
      expect(attempt.attempt).toBe(index + 1);
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toMatch(/^ECONNREFUSED/);
    }
  });

  it('should record a timeout, and give up at once on a 4xx other than 408, 425 or 429', async () => {
    const slow = await createWebhook({
      name: unique('slow'),
      url: `${rig.receiver.url}/slow`,
      events: ['MONTHLY_REPORT'],
    });
    const gone = await createWebhook({
      name: unique('gone'),
      url: `${rig.receiver.url}/gone`,
      events: ['MONTHLY_REPORT'],
    });
    await rig.service.purser.services.webhooks.notify('MONTHLY_REPORT', { month: '2026-10' });
    await drain();
    const [timedOut] = await deliveries(slow.webhook.id);
    expect(timedOut!.attemptLog[0]).toMatchObject({
      attempt: 1,
      statusCode: null,
      error: 'timeout after 1000 ms',
    });
    expect(timedOut!.attemptLog[0]!.durationMs).toBeGreaterThanOrEqual(900);
    expect(timedOut!.state).toBe('PENDING');
    const [refused] = await deliveries(gone.webhook.id);
    expect(refused).toMatchObject({
      state: 'FAILED',
      attempts: 1,
      lastStatusCode: 410,
      lastError: 'HTTP 410',
    });
    await rig.service.graphql(
      `mutation($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { enabled } }`,
      { id: slow.webhook.id },
    );
    expect((await deliveries(slow.webhook.id))[0]).toMatchObject({
      state: 'FAILED',
      lastError: 'webhook disabled',
    });
  });

  it('should keep a delivery given up when its webhook is disabled during an attempt', async () => {
    const created = await createWebhook({
      name: unique('disabled'),
      url: `${rig.receiver.url}/slow-disabled`,
      events: ['MONTHLY_REPORT'],
    });
    await rig.service.purser.services.webhooks.notify('MONTHLY_REPORT', { month: '2026-09' });
    const sending = drain();
    while (rig.receiver.at('/slow-disabled').length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const disabled = await rig.service.graphql(
      `mutation($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { enabled } }`,
      { id: created.webhook.id },
    );
    expect(disabled.errors).toBeUndefined();
    await sending;
    await later();
    const [delivery] = await deliveries(created.webhook.id);
    expect(delivery).toMatchObject({ state: 'FAILED', lastError: 'webhook disabled', attempts: 1 });
    expect(delivery!.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: 'timeout after 1000 ms' }),
    ]);
    expect(rig.receiver.at('/slow-disabled')).toHaveLength(1);
  });

  it('should let a viewer read webhooks but not change them', async () => {
    const viewer = await rig.service.keyFor('viewer');
    const list = await rig.service.graphql<{ webhooks: { name: string; url: string }[] }>(
      `{ webhooks { name url events } }`,
      {},
      viewer,
    );
    expect(list.errors).toBeUndefined();
    expect(list.data!.webhooks.length).toBeGreaterThan(0);
    expect(JSON.stringify(list.data)).not.toContain('/flaky');
    const refused = await rig.service.graphql(
      CREATE,
      { input: { name: 'nope', url: 'https://x.example/', format: 'JSON', events: ['ANOMALY'] } },
      viewer,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const finance = await rig.service.keyFor('finance');
    const allowed = await rig.service.graphql(
      CREATE,
      {
        input: {
          name: unique('finance'),
          url: 'https://x.example/',
          format: 'JSON',
          events: ['ANOMALY'],
        },
      },
      finance,
    );
    expect(allowed.errors).toBeUndefined();
  });
});

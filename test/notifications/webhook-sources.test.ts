// Where notifications come from, through the assembly's wiring against a real database: a
// budget threshold crossing end to end (usage → recorded alert → maintenance → outbox →
// receiver), a recorded anomaly handed on by the anomaly service, and the reconciliation
// variances of a FOCUS import — each delivered once, however often its source runs again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeUsageEvent } from '@purser/adapters/testing';
import { createBudget, PENNY, postUsageJson, priceModel, unique } from '../support/decisions';
import { verify, webhookRig } from './webhook-kit';

const FOCUS = readFileSync(
  join(__dirname, '..', 'billing', 'fixtures', 'focus-ai-rows.csv'),
  'utf8',
);

describe('notification sources', () => {
  const rig = webhookRig(() => 200);
  const { drain, later, createWebhook, deliveries } = rig;

  it('should turn a budget crossing into one delivery, once', async () => {
    const model = unique('t-webhook');
    await priceModel(rig.service, model, PENNY);
    const gateway = await rig.service.keyFor('gateway');
    const team = unique('team');
    const created = await createWebhook({
      name: unique('budgets'),
      url: `${rig.receiver.url}/budgets`,
      events: ['BUDGET_THRESHOLD'],
    });
    const budget = await createBudget(rig.service, {
      name: unique('notified budget'),
      scope: { team },
      period: 'DAILY',
      timezone: 'UTC',
      limit: '0.01',
      mode: 'BLOCK',
      softThresholds: [0.5],
    });
    const response = await postUsageJson(rig.service, gateway, [
      makeUsageEvent({
        id: unique('evt'),
        provider: 'openai',
        model,
        timestamp: '2026-11-10T08:00:00Z',
        usage: { input_tokens: 600, output_tokens: 0 },
        attribution: { team },
      }),
    ]);
    expect(response.status).toBe(200);
    await rig.service.purser.maintenance!.tick();
    await drain();
    await rig.service.purser.maintenance!.tick();
    await later();
    const requests = rig.receiver.at('/budgets');
    expect(requests).toHaveLength(1);
    const envelope = JSON.parse(requests[0]!.body);
    expect(envelope).toMatchObject({
      id: `${budget.id}:2026-11-10T00:00:00.000Z:0.5`,
      type: 'BUDGET_THRESHOLD',
      data: {
        budget_id: budget.id,
        threshold: 0.5,
        kind: 'soft_threshold',
        spent: '0.006',
        limit: '0.01',
        currency: 'USD',
        scope: { team },
      },
    });
    expect(
      verify(
        requests[0]!.headers['x-purser-signature'] as string,
        requests[0]!.body,
        created.secret,
        Math.floor(requests[0]!.at / 1000),
      ),
    ).toBe(true);
    expect(
      (await deliveries(created.webhook.id)).map((delivery) => [
        delivery.state,
        delivery.eventType,
      ]),
    ).toEqual([['DELIVERED', 'BUDGET_THRESHOLD']]);
  });

  it('should hand a recorded anomaly to webhooks once', async () => {
    const created = await createWebhook({
      name: unique('anomalies'),
      url: `${rig.receiver.url}/anomalies`,
    });
    const anomaly = {
      anomaly_id: unique('anomaly'),
      dimension: 'feature' as const,
      value: 'chat',
      hour: '2026-11-20T14:00:00.000Z',
      dimensions: { feature: 'chat', hour: '2026-11-20T14:00:00.000Z' },
      expected: '1.5',
      observed: '9.25',
      excess: '7.75',
      score: 12.5,
      baseline_weeks: 8,
      currency: 'USD',
      detected_at: '2026-11-20T15:05:00.000Z',
    };
    const { anomalies } = rig.service.purser.services;
    for (let time = 0; time < 2; time += 1) {
      await rig.service.purser.dataSource.transaction((manager) =>
        anomalies.tellListeners([anomaly], manager),
      );
    }
    await drain();
    const requests = rig.receiver.at('/anomalies');
    expect(requests).toHaveLength(1);
    expect(JSON.parse(requests[0]!.body)).toEqual({
      id: anomaly.anomaly_id,
      type: 'ANOMALY',
      occurredAt: anomaly.detected_at,
      data: anomaly,
    });
    expect((await deliveries(created.webhook.id)).map((delivery) => delivery.state)).toEqual([
      'DELIVERED',
    ]);
  });

  it('should send each reconciliation variance of a FOCUS import once, however often it is imported', async () => {
    const created = await createWebhook({
      name: unique('variances'),
      url: `${rig.receiver.url}/variances`,
      events: ['RECONCILIATION_VARIANCE'],
      format: 'SLACK',
    });
    const source = await rig.service.graphql<{ createBillingSource: { id: string } }>(
      `mutation($name: String!) { createBillingSource(input: { provider: "focus", name: $name }) { id } }`,
      { name: unique('cloud') },
    );
    const sourceId = source.data!.createBillingSource.id;
    const IMPORT = `mutation($id: ID!, $csv: String!) { importFocusFile(sourceId: $id, csv: $csv) { linesImported } }`;
    for (let time = 0; time < 2; time += 1) {
      const imported = await rig.service.graphql(IMPORT, { id: sourceId, csv: FOCUS });
      expect(imported.errors).toBeUndefined();
      await later();
    }
    const sent = await deliveries(created.webhook.id);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((delivery) => delivery.eventId)).size).toBe(sent.length);
    for (const delivery of sent) {
      expect(delivery).toMatchObject({
        state: 'DELIVERED',
        eventType: 'RECONCILIATION_VARIANCE',
        attempts: 1,
      });
    }
    const requests = rig.receiver.at('/variances');
    expect(requests).toHaveLength(sent.length);
    const message = JSON.parse(requests[0]!.body) as { text: string };
    expect(message.text).toMatch(
      / bill for \d{4}-\d{2}-\d{2} differs from Purser's estimate \(MISSING_INTERNAL\)/,
    );
    expect(
      verify(
        requests[0]!.headers['x-purser-signature'],
        requests[0]!.body,
        created.secret,
        Math.floor(requests[0]!.at / 1000),
      ),
    ).toBe(true);
  });
});

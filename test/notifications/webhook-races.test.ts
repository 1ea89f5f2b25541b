// Webhook races on a real Postgres, each made to happen on purpose (a transaction held open):
// what a fake database cannot show, since the outcome is decided by Postgres' visibility.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { startHeldReceiver, type HeldReceiver } from './held-receiver';
import { CREATE } from './webhook-kit';

const ENV = {
  PURSER_SECRET_KEY: 'webhook-races-test-secret-of-32-chars!',
  PURSER_WEBHOOK_MAX_ATTEMPTS: '4',
  PURSER_WEBHOOK_RETRY_BASE_SECONDS: '60',
  // Long enough that a request the receiver holds never times out during a test.
  PURSER_WEBHOOK_TIMEOUT_SECONDS: '30',
  PURSER_SWEEP_INTERVAL_SECONDS: '3600',
  PURSER_ANOMALY_INTERVAL_SECONDS: '0',
};
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { name enabled } }`;

interface DeliveryRow {
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

describe('webhook races', () => {
  let database: TestDatabase;
  let service: RunningPurser;
  let receiver: HeldReceiver;
  const start = () => startPurser({ database, env: ENV });

  beforeAll(async () => {
    receiver = await startHeldReceiver((path) => (path === '/enabled' ? 204 : 'hold'));
    database = await createTestDatabase();
    service = await start();
  });
  afterAll(async () => {
    await receiver?.close();
    await service?.stop();
    await database?.drop();
  });

  async function createWebhook(path: string, events: string[]): Promise<string> {
    const answer = await service.graphql<{ createWebhook: { webhook: { id: string } } }>(CREATE, {
      input: { name: unique(path.slice(1)), url: `${receiver.url}${path}`, format: 'JSON', events },
    });
    expect(answer.errors).toBeUndefined();
    return answer.data!.createWebhook.webhook.id;
  }

  function deliveries(webhookId: string): Promise<DeliveryRow[]> {
    return service.purser.dataSource.query(
      `SELECT state, attempts, last_status, last_error FROM webhook_deliveries
       WHERE webhook_id = $1 ORDER BY id`,
      [webhookId],
    );
  }

  // BUDGET_THRESHOLD: nothing in this service notifies it on its own (no budget), unlike the
  // monthly report notices a service sends when it starts.
  it('should give up, never claim, deliveries a notify committed after their webhook was disabled', async () => {
    const disabled = await createWebhook('/disabled', ['BUDGET_THRESHOLD']);
    // The notify's transaction wrote its deliveries while the webhook was enabled; the
    // disable commits before it, so it gives up none of them (it cannot see them).
    const outbox = service.purser.dataSource.createQueryRunner();
    await outbox.connect();
    await outbox.startTransaction();
    try {
      // More than the worker's batch of 8: before the fix they filled every claim slot.
      for (let index = 0; index < 10; index += 1) {
        await service.purser.services.webhooks.notify(
          'BUDGET_THRESHOLD',
          { threshold: 0.5 },
          { id: `late-${index}`, manager: outbox.manager },
        );
      }
      const off = await service.graphql(UPDATE, { id: disabled, input: { enabled: false } });
      expect(off.errors).toBeUndefined();
      await outbox.commitTransaction();
    } finally {
      await outbox.release();
    }
    // An enabled webhook's delivery, due after them.
    const enabled = await createWebhook('/enabled', ['BUDGET_THRESHOLD']);
    await service.purser.services.webhooks.notify('BUDGET_THRESHOLD', { threshold: 0.8 });
    await service.purser.services.webhookWorker.tick();
    await service.purser.services.webhookWorker.tick();

    expect(await deliveries(enabled)).toEqual([
      { state: 'delivered', attempts: 1, last_status: 204, last_error: null },
    ]);
    expect(await deliveries(disabled)).toEqual(
      Array(10).fill({
        state: 'failed',
        attempts: 0,
        last_status: null,
        last_error: 'webhook disabled',
      }),
    );
    expect(receiver.at('/disabled')).toHaveLength(0);
  });
});

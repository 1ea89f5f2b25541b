// Two replicas on one Postgres database send one outbox: each delivery is claimed by one of
// them (FOR UPDATE SKIP LOCKED with a lease), so the receiver gets every event exactly once.
import { hasPostgres } from '../support/database';
import { startReplicas, type Replicas } from '../support/purser';
import { startReceiver, type Receiver } from './receiver';

const describePostgres = hasPostgres ? describe : describe.skip;
if (!hasPostgres) console.warn('webhooks-replicas: skipped without DATABASE_URL (needs Postgres)');

describePostgres('webhooks on two replicas', () => {
  let replicas: Replicas;
  let receiver: Receiver;

  beforeAll(async () => {
    // Slow enough that both replicas' passes overlap.
    receiver = await startReceiver(() => ({ status: 200, delayMs: 30 }));
    replicas = await startReplicas({
      PURSER_SECRET_KEY: 'replica-test-secret-of-at-least-32-chars',
    });
  });
  afterAll(async () => {
    await replicas?.stop();
    await receiver?.close();
  });

  it('should deliver each event once whichever replica sends it', async () => {
    const { first, second } = replicas;
    const created = await first.graphql<{ createWebhook: { webhook: { id: string } } }>(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
      {
        input: {
          name: 'shared',
          url: `${receiver.url}/hook`,
          format: 'JSON',
          events: ['ANOMALY'],
        },
      },
    );
    expect(created.errors).toBeUndefined();
    const events = 40;
    for (let index = 0; index < events; index += 1) {
      // Written through the second replica's service: no wake on the first.
      await second.purser.services.webhooks.notify('ANOMALY', { index }, { id: `a-${index}` });
    }
    await Promise.all([
      first.purser.services.webhookWorker.tick(),
      second.purser.services.webhookWorker.tick(),
      first.purser.services.webhookWorker.tick(),
    ]);
    await first.purser.services.webhookWorker.tick();
    await second.purser.services.webhookWorker.tick();
    const requests = receiver.at('/hook');
    expect(requests).toHaveLength(events);
    const ids = requests.map((request) => (JSON.parse(request.body) as { id: string }).id);
    expect(new Set(ids).size).toBe(events);
    expect(new Set(requests.map((request) => request.headers['idempotency-key'])).size).toBe(
      events,
    );
    const rows = await first.purser.dataSource.query(
      `SELECT state, attempts, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS recorded
       FROM webhook_deliveries d WHERE webhook_id = $1`,
      [created.data!.createWebhook.webhook.id],
    );
    expect(rows).toHaveLength(events);
    for (const row of rows) expect(row).toEqual({ state: 'delivered', attempts: 1, recorded: 1 });
  });
});

// Webhook races on a real Postgres, each made to happen on purpose (a transaction held open, a
// request held at the receiver, a row lock held in another connection): what a fake database
// cannot show, since the outcome is decided by Postgres' locks and visibility.
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { type Receiver, startReceiver } from './receiver';
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
  let receiver: Receiver;
  // The services' clock: real time plus what a test added.
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const start = () => startPurser({ database, clock, env: ENV });

  beforeAll(async () => {
    receiver = await startReceiver((path) => (path === '/enabled' ? 204 : 'hold'));
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

  /** Resolves once the webhook's attempt `attempt` is recorded (fails after 10 s). */
  async function recorded(webhookId: string, attempt: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows: unknown[] = await service.purser.dataSource.query(
        `SELECT 1 FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
         WHERE d.webhook_id = $1 AND a.attempt = $2`,
        [webhookId, attempt],
      );
      if (rows.length > 0) return;
      if (Date.now() > deadline) throw new Error(`attempt ${attempt} was never recorded`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
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

  it('should let a late attempt whose lease ran out record itself and leave the delivery to the newer one', async () => {
    const webhook = await createWebhook('/late', ['RECONCILIATION_VARIANCE']);
    // A second replica on the same database takes the delivery over once the lease runs out.
    const second = await start();
    try {
      await service.purser.services.webhooks.notify('RECONCILIATION_VARIANCE', {
        provider: 'openai',
      });
      const [late] = await receiver.arrived('/late', 1);
      // Attempt 1 is held at the receiver; past its lease (timeout + 60 s) the delivery is
      // due again, and whichever replica is not busy with attempt 1 claims attempt 2.
      offsetMs += 3_600_000;
      const passes = [
        service.purser.services.webhookWorker.tick(),
        second.purser.services.webhookWorker.tick(),
      ];
      const [, newer] = await receiver.arrived('/late', 2);
      // Attempt 1 ends first, with a permanent refusal, while attempt 2 is under way.
      late!.answer(410);
      await recorded(webhook, 1);
      newer!.answer(200);
      await Promise.all(passes);
      await recorded(webhook, 2);

      expect(await deliveries(webhook)).toEqual([
        { state: 'delivered', attempts: 2, last_status: 200, last_error: null },
      ]);
      const attempts = await service.purser.dataSource.query(
        `SELECT a.attempt, a.status_code, a.error FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1 ORDER BY a.attempt`,
        [webhook],
      );
      expect(attempts).toEqual([
        { attempt: 1, status_code: 410, error: 'HTTP 410' },
        { attempt: 2, status_code: 200, error: null },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('should go on with the batch when a webhook is deleted during its attempt', async () => {
    const deleted = await createWebhook('/deleted', ['ANOMALY']);
    const kept = await createWebhook('/kept', ['ANOMALY']);
    // One statement writes both deliveries: the pass the notify wakes claims both in one batch.
    await service.purser.services.webhooks.notify('ANOMALY', { score: 9 });
    const pass = service.purser.services.webhookWorker.tick();
    const [toDeleted] = await receiver.arrived('/deleted', 1);
    const [toKept] = await receiver.arrived('/kept', 1);
    const removed = await service.graphql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, {
      id: deleted,
    });
    expect(removed.errors).toBeUndefined();
    // Recording the deleted webhook's attempt finds no delivery; the pass must still wait for
    // (and record) the rest of its batch, which shutdown relies on too.
    toDeleted!.answer(200);
    const ended = await Promise.race([
      pass.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('under way'), 1000)),
    ]);
    expect(ended).toBe('under way');
    toKept!.answer(200);
    await pass;
    expect(await deliveries(kept)).toEqual([
      { state: 'delivered', attempts: 1, last_status: 200, last_error: null },
    ]);
    expect(await deliveries(deleted)).toEqual([]);
  });

  it('should keep both of two partial updates made at once', async () => {
    const webhook = await createWebhook('/updated', ['ANOMALY']);
    const renamed = unique('renamed');
    // A row lock held in another connection: both updates read the webhook, then wait on it
    // to write, so each has read the other's field before either wrote.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM webhooks WHERE id = $1 FOR UPDATE', [webhook]);
      const rename = service.graphql(UPDATE, { id: webhook, input: { name: renamed } });
      const disable = service.graphql(UPDATE, { id: webhook, input: { enabled: false } });
      const deadline = Date.now() + 10_000;
      for (;;) {
        // Asked outside the holder's transaction, whose statistics snapshot stays as it began.
        const [{ waiting }] = await service.purser.dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'UPDATE webhooks SET%'`,
        );
        if (waiting === 2) break;
        if (Date.now() > deadline) throw new Error(`${waiting} updates waiting, 2 expected`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await holder.query('COMMIT');
      const answers = await Promise.all([rename, disable]);
      for (const answer of answers) expect(answer.errors).toBeUndefined();
    } finally {
      await holder.end();
    }
    const [row] = await service.purser.dataSource.query(
      `SELECT name, enabled FROM webhooks WHERE id = $1`,
      [webhook],
    );
    expect(row).toEqual({ name: renamed, enabled: false });
  });
});

import { createHmac, timingSafeEqual } from 'node:crypto';
import { startPurser, type RunningPurser } from '../support/purser';
import { startReceiver, type Receiver } from './receiver';

export const MAX_ATTEMPTS = 4;

export const CREATE = `mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id name url format events enabled } } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id, first: 50) { edges { node {
  id state attempts maxAttempts deliveryKey eventId eventType lastStatusCode lastError finishedAt nextAttemptAt
  attemptLog { attempt statusCode error durationMs } } } } }`;

export interface Delivery {
  state: string;
  attempts: number;
  maxAttempts: number;
  deliveryKey: string;
  eventId: string;
  eventType: string;
  lastStatusCode: number | null;
  lastError: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  attemptLog: {
    attempt: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
  }[];
}

/** What a receiver does with the documented header: HMAC-SHA256 over "<t>.<raw body>". */
export function verify(
  header: string | string[] | undefined,
  body: string,
  secret: string,
  nowSeconds: number,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(typeof header === 'string' ? header : '');
  if (!match) return false;
  if (Math.abs(nowSeconds - Number(match[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

export interface WebhookRig {
  service: RunningPurser;
  receiver: Receiver;
  /** The service's clock (ms): real time plus what `later` added. */
  clock(): number;
  /** Every due delivery sent: a pass under way may have started before the clock moved. */
  drain(): Promise<void>;
  /**
   * Moves the clock an hour (past any retry here: at most 60 s × 2^3) and sends what is due.
   * Retries are a minute or more apart in real time, so none comes due behind a test's back.
   */
  later(): Promise<void>;
  createWebhook(
    input: Record<string, unknown>,
  ): Promise<{ secret: string; webhook: { id: string; url: string } }>;
  deliveries(webhookId: string): Promise<Delivery[]>;
}

/**
 * For the describe block it is called in: a service whose webhooks retry after 60 s (120…),
 * time out after 1 s and give up after {@link MAX_ATTEMPTS}, on a clock the test moves, and a
 * receiver on 127.0.0.1 answering `respond`. Budget alerts are handed on only by tick().
 */
export function webhookRig(respond: Parameters<typeof startReceiver>[0]): WebhookRig {
  let offsetMs = 0;
  const rig = {
    clock: () => Date.now() + offsetMs,
    async drain() {
      await rig.service.purser.services.webhookWorker.tick();
      await rig.service.purser.services.webhookWorker.tick();
    },
    async later() {
      offsetMs += 3_600_000;
      await rig.drain();
    },
    async createWebhook(input: Record<string, unknown>) {
      const answer = await rig.service.graphql<{
        createWebhook: { secret: string; webhook: { id: string; url: string } };
      }>(CREATE, { input: { format: 'JSON', events: ['ANOMALY'], ...input } });
      expect(answer.errors).toBeUndefined();
      return answer.data!.createWebhook;
    },
    async deliveries(id: string) {
      const answer = await rig.service.graphql<{
        webhookDeliveries: { edges: { node: Delivery }[] };
      }>(DELIVERIES, { id });
      expect(answer.errors).toBeUndefined();
      return answer.data!.webhookDeliveries.edges.map((edge) => edge.node);
    },
  } as WebhookRig;
  beforeAll(async () => {
    rig.receiver = await startReceiver(respond, rig.clock);
    rig.service = await startPurser({
      clock: () => new Date(rig.clock()),
      env: {
        PURSER_SECRET_KEY: 'notifications-test-secret-key-32-chars!',
        PURSER_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        PURSER_WEBHOOK_RETRY_BASE_SECONDS: '60',
        PURSER_WEBHOOK_TIMEOUT_SECONDS: '1',
        PURSER_SWEEP_INTERVAL_SECONDS: '3600',
      },
    });
  });
  afterAll(async () => {
    await rig.service?.stop();
    await rig.receiver?.close();
  });
  return rig;
}

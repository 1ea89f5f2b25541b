// Shared by the ingest-* security suites: a production-mode Purser (optionally consuming
// NATS on a durable consumer of its own), the three ingest paths, and what got stored.
import { jetstream, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  connectNats,
  createIngestConsumer,
  deleteIngestConsumer,
  uniqueName,
} from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';

/** One result of an ingest request, as REST answers it. */
export interface IngestResultRow {
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  reason: string | null;
}

/** A dead letter as stored. */
export interface DeadLetterRow {
  stream_sequence: string | null;
  origin: string;
  subject: string | null;
  event_id: string | null;
  source: string | null;
  reason: string;
  details: {
    kind: string;
    payload_encoding: 'utf8' | 'base64';
    payload_truncated: boolean;
    delivery_count?: number;
    error: { code: string; message: string; issues: string[] };
  };
  payload: string;
}

export interface IngestHarness {
  service: RunningPurser;
  gateway: string;
  /** The durable consumer of this service, when it consumes NATS. */
  consumer?: string;
  /** POSTs a body to /v1/usage: an object is sent as JSON, a string verbatim. */
  post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** POSTs a GraphQL request body (verbatim when a string). */
  graphql(body: unknown): Promise<{
    status: number;
    body: {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
  }>;
  /** `ingestUsage(events: $events)` with its results. */
  ingestUsage(eventsJson: string): ReturnType<IngestHarness['graphql']>;
  /** Event ids stored under `source`, in order. */
  storedIds(source: string): Promise<string[]>;
  /** Dead letters of these stream sequences, in sequence order. */
  lettersBySequence(sequences: number[]): Promise<DeadLetterRow[]>;
  stop(): Promise<void>;
}

const INGEST_MUTATION =
  'mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted duplicates rejected results { id status reason } } }';

/** A production-mode service; with `nats`, consuming the usage stream on a consumer of its own. */
export async function startIngestHarness(
  options: { nats?: NatsConnection; env?: Record<string, string>; clock?: () => Date } = {},
): Promise<IngestHarness> {
  let consumer: string | undefined;
  if (options.nats) {
    consumer = uniqueName('purser-security');
    await createIngestConsumer(options.nats, consumer);
  }
  const service = await startPurser({
    nats: Boolean(options.nats),
    env: {
      NODE_ENV: 'production',
      ...(consumer ? { INGEST_CONSUMER_NAME: consumer } : {}),
      ...options.env,
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const gateway = await service.keyFor('gateway');
  const send = async (path: string, body: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as never };
  };
  const harness: IngestHarness = {
    service,
    gateway,
    consumer,
    post: (body) => send('/v1/usage', body),
    graphql: (body) => send('/graphql', body),
    ingestUsage: (eventsJson) =>
      send(
        '/graphql',
        `{"query": ${JSON.stringify(INGEST_MUTATION)}, "variables": {"events": ${eventsJson}}}`,
      ),
    async storedIds(source) {
      const rows: { event_id: string }[] = await service.purser.dataSource.query(
        'SELECT event_id FROM usage_events WHERE source = $1 ORDER BY event_id',
        [source],
      );
      return rows.map((row) => row.event_id);
    },
    lettersBySequence: (sequences) =>
      service.purser.dataSource.query(
        `SELECT stream_sequence::text, origin, subject, event_id, source, reason, details, payload
         FROM dead_letters WHERE stream_sequence = ANY($1::bigint[]) ORDER BY stream_sequence`,
        [sequences],
      ),
    async stop() {
      await service.stop();
      if (options.nats && consumer) await deleteIngestConsumer(options.nats, consumer);
    },
  };
  return harness;
}

/** Publishes each body in order through JetStream: text or bytes as they are, objects as JSON. */
export async function publishInOrder(
  nats: NatsConnection,
  subject: string,
  bodies: unknown[],
): Promise<PubAck[]> {
  const js = jetstream(nats);
  const acks: PubAck[] = [];
  for (const body of bodies) {
    const data =
      typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    acks.push(await js.publish(subject, data));
  }
  return acks;
}

/** What {@link ingestSuite} starts: read its fields inside the tests, once `beforeAll` ran. */
export interface IngestSuite {
  harness: IngestHarness;
  /** The suite's own NATS connection (with `nats: true` only). */
  nats: NatsConnection;
}

/**
 * Starts a harness in the enclosing describe's `beforeAll` and stops it in its `afterAll`;
 * with `nats: true` the harness consumes NATS, on a connection of its own closed after it.
 */
export function ingestSuite(
  options: { nats?: boolean; env?: Record<string, string>; clock?: () => Date } = {},
): IngestSuite {
  const { nats: withNats, ...harnessOptions } = options;
  const suite = {} as IngestSuite;
  beforeAll(async () => {
    if (withNats) suite.nats = await connectNats();
    suite.harness = await startIngestHarness({
      ...harnessOptions,
      ...(withNats ? { nats: suite.nats } : {}),
    });
  });
  afterAll(async () => {
    await suite.harness.stop();
    if (withNats) await suite.nats.close();
  });
  return suite;
}

export { connectNats };

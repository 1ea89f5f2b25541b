import { getEventListeners } from 'node:events';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PurserError } from '../errors';
import type { Logger } from '../observability/logger';
import type { IngestService } from './ingest.service';
import type { IngestItem } from './ingest-types';
import { abortableSleep, UsageConsumer } from './usage-consumer';

/** A JetStream message as the consumer reads it, recording how it was settled. */
function message(id: string, deliveryCount: number) {
  const settled: string[] = [];
  const msg = {
    data: Buffer.from(JSON.stringify({ id })),
    subject: 'purser.usage.v1.openai',
    info: { deliveryCount, streamSequence: Number(id.replace(/\D/g, '') || 0) },
    ack: () => settled.push('ack'),
    nak: (delay?: number) => settled.push(delay === undefined ? 'nak' : `nak ${delay}`),
    working: () => undefined,
  };
  return { msg: msg as unknown as JsMsg, settled, id };
}

const idOf = (item: IngestItem) =>
  (JSON.parse(Buffer.from(item.body as Uint8Array).toString()) as { id: string }).id;

const unavailable = () =>
  new PurserError({ code: 'UNAVAILABLE', message: 'The database is unavailable; retry later' });

/**
 * A consumer over a fake ingest: a batch holding a `poison` id throws `poisonError`; a single
 * message is stored unless it is poison. Dead letters are recorded, or fail with `letterError`.
 */
function consumerWith(options: { poisonError: () => Error; letterError?: () => Error }) {
  const batches: string[][] = [];
  const letters: { id: string; reason: string }[] = [];
  const ingest = {
    maxDeliveries: 3,
    async ingest(items: IngestItem[]) {
      const ids = items.map(idOf);
      batches.push(ids);
      if (ids.some((id) => id.startsWith('poison'))) throw options.poisonError();
      return ids.map((id) => ({ id, status: 'accepted' }));
    },
    async deadLetterUndeliverable(item: IngestItem, reason: string) {
      if (options.letterError) throw options.letterError();
      letters.push({ id: idOf(item), reason });
    },
  } as unknown as IngestService;
  const logger = { warn: () => undefined, info: () => undefined } as unknown as Logger;
  const consumer = new UsageConsumer({
    nats: {} as NatsConnection,
    ingest,
    logger,
    durableName: 'unit',
    batchSize: 10,
  });
  return { consumer, batches, letters };
}

describe('UsageConsumer redelivery', () => {
  it('should nak a whole batch while the database is unreachable, before the last delivery', async () => {
    const { consumer, batches } = consumerWith({ poisonError: unavailable });
    const messages = [message('good1', 1), message('poison2', 1)];
    await consumer.handle(messages.map((entry) => entry.msg));
    expect(batches).toEqual([['good1', 'poison2']]);
    expect(messages.map((entry) => entry.settled)).toEqual([['nak 250'], ['nak 250']]);
  });

  it('should store the good messages of a batch that failed otherwise and nak the bad one', async () => {
    const { consumer, batches, letters } = consumerWith({
      poisonError: () => new Error('a bug'),
    });
    const messages = [message('good1', 1), message('poison2', 2), message('good3', 1)];
    await consumer.handle(messages.map((entry) => entry.msg));
    expect(batches).toEqual([['good1', 'poison2', 'good3'], ['good1'], ['poison2'], ['good3']]);
    expect(messages.map((entry) => entry.settled)).toEqual([['ack'], ['nak 500'], ['ack']]);
    expect(letters).toEqual([]);
  });

  it('should dead-letter a message that still fails on its last delivery, saying why', async () => {
    const { consumer, letters } = consumerWith({ poisonError: unavailable });
    const messages = [message('good1', 3), message('poison2', 3), message('good3', 3)];
    await consumer.handle(messages.map((entry) => entry.msg));
    expect(messages.map((entry) => entry.settled)).toEqual([['ack'], ['ack'], ['ack']]);
    expect(letters).toEqual([
      {
        id: 'poison2',
        reason: 'redelivered 3 times: The database is unavailable; retry later',
      },
    ]);
  });

  it('should keep a message in JetStream when its dead letter cannot be stored either', async () => {
    const { consumer } = consumerWith({ poisonError: unavailable, letterError: unavailable });
    const messages = [message('poison1', 3), message('good2', 1)];
    await consumer.handle(messages.map((entry) => entry.msg));
    expect(messages.map((entry) => entry.settled)).toEqual([['nak 1000'], ['nak 1000']]);
  });

  it('should leave no listener on its abort signal after the backoffs it waited', async () => {
    const { consumer } = consumerWith({ poisonError: unavailable });
    for (let round = 0; round < 3; round += 1) {
      await consumer.handle([message('poison1', 1).msg]);
    }
    const signal = (consumer as unknown as { abort: AbortController }).abort.signal;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('abortableSleep', () => {
  it('should resolve at once when aborted and remove its listener either way', async () => {
    const controller = new AbortController();
    await abortableSleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const long = abortableSleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await long;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await abortableSleep(60_000, controller.signal);
  });
});

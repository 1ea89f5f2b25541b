// A NUL anywhere in a usage event — U+0000 in its id, source, model, attribution or tags, or a
// raw 0x00 byte in a NATS message — must neither block ingest nor cost the events beside it:
// the event is dead-lettered with a reason naming the field, the rest of its batch is stored,
// over NATS, HTTP and GraphQL alike. Postgres text and jsonb cannot hold NUL, so the dead
// letter itself must never carry one into the database.
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import { uniqueName, waitForConsumerIdle } from '../support/nats';
import { ingestSuite, type IngestResultRow, publishInOrder } from './ingest-support';

const NUL_REASON = /must not contain the NUL character \(U\+0000\)/;

/** Events of one batch: good ones around a NUL in each text field that reaches Postgres. */
function nulBatch(source: string) {
  const good = (id: string) => makeUsageEvent({ id, source });
  const events = [
    good('good-1'),
    makeUsageEvent({ id: 'id-\u0000-nul', source }),
    makeUsageEvent({ id: 'source-nul', source: `${source}\u0000` }),
    makeUsageEvent({ id: 'model-nul', source, model: 'gpt-4o\u0000' }),
    makeUsageEvent({ id: 'team-nul', source, attribution: { team: 'sea\u0000rch' } }),
    makeUsageEvent({ id: 'tag-nul', source, tags: { 'k\u0000': 'v' } }),
    makeUsageEvent({ id: 'unit-nul', source, usage: { input_tokens: 1, units: { 'a\u0000': 1 } } }),
    good('good-2'),
  ];
  const fields = ['id', 'source', 'model', 'attribution.team', 'tags', 'usage.units'];
  return { events, fields };
}

describe('a NUL in a usage event', () => {
  describe('over HTTP and GraphQL', () => {
    const suite = ingestSuite();

    it('should answer 200, store the good events and reject each NUL naming its field (REST)', async () => {
      const { harness } = suite;
      const source = uniqueName('nul-http');
      const { events, fields } = nulBatch(source);
      const answer = await harness.post(events);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ accepted: 2, rejected: 6 });
      const results = answer.body.results as IngestResultRow[];
      expect(results.map((result) => result.status)).toEqual([
        'accepted',
        ...fields.map(() => 'rejected'),
        'accepted',
      ]);
      fields.forEach((field, index) => {
        expect(results[index + 1]!.reason).toMatch(NUL_REASON);
        expect(results[index + 1]!.reason!.startsWith(field)).toBe(true);
      });
      expect(await harness.storedIds(source)).toEqual(['good-1', 'good-2']);
      // Every rejection is a dead letter; text columns hold no NUL, the payload is the event.
      const letters: { event_id: string; source: string; reason: string; payload: string }[] =
        await harness.service.purser.dataSource.query(
          `SELECT event_id, source, reason, payload FROM dead_letters
           WHERE origin = 'http' AND payload LIKE $1 ORDER BY id`,
          [`%${source}%`],
        );
      expect(letters).toHaveLength(6);
      expect(letters[0]).toMatchObject({ event_id: 'id-\ufffd-nul', source });
      expect(letters[1]).toMatchObject({ event_id: 'source-nul', source: `${source}\ufffd` });
      expect(JSON.parse(letters[0]!.payload)).toEqual(events[1]);
    });

    it('should store the events after a NUL in the same ingestUsage mutation', async () => {
      const { harness } = suite;
      const source = uniqueName('nul-graphql');
      const { events } = nulBatch(source);
      const answer = await harness.ingestUsage(JSON.stringify(events));
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?.ingestUsage).toMatchObject({ accepted: 2, rejected: 6 });
      expect(await harness.storedIds(source)).toEqual(['good-1', 'good-2']);
    });
  });

  describe('over NATS', () => {
    const suite = ingestSuite({ nats: true });

    it('should dead-letter each NUL, raw 0x00 byte included, and store the rest of the batch', async () => {
      const { harness, nats } = suite;
      const source = uniqueName('nul-nats');
      const { events, fields } = nulBatch(source);
      const rawNul = Buffer.from(
        JSON.stringify(makeUsageEvent({ id: 'raw-nul', source })).replace(
          '"raw-nul"',
          '"raw\u0000nul"',
        ),
      );
      expect(rawNul.includes(0)).toBe(true);
      const binary = Buffer.concat([
        Buffer.from('{"id": "bin'),
        Buffer.from([0, 0, 0]),
        Buffer.from('"}'),
      ]);
      // V8's words for this one quote the text, NULs included.
      const quoted = Buffer.from('\u0000\u0000x');
      const bodies = [...events.slice(0, -1), rawNul, binary, quoted, events.at(-1)];
      const acks = await publishInOrder(nats, usageSubject('openai'), bodies);
      // Today's failure: the batch is nak'd forever and the consumer never settles.
      await waitForConsumerIdle(nats, harness.consumer!, 20_000);
      expect(await harness.storedIds(source)).toEqual(['good-1', 'good-2']);

      const rejected = acks.slice(1, -1).map((ack) => ack.seq);
      const letters = await harness.lettersBySequence(rejected);
      expect(letters.map((letter) => Number(letter.stream_sequence))).toEqual(rejected);
      fields.forEach((field, index) => {
        expect(letters[index]!.reason.startsWith(field)).toBe(true);
        expect(letters[index]!.reason).toMatch(NUL_REASON);
      });
      // The raw bytes are kept exactly; text that cannot hold them is base64.
      const [raw, bin, quotedLetter] = letters.slice(-3);
      for (const [letter, bytes] of [
        [raw!, rawNul],
        [bin!, binary],
        [quotedLetter!, quoted],
      ] as const) {
        expect(letter.details.payload_encoding).toBe('base64');
        expect(Buffer.from(letter.payload, 'base64').equals(bytes)).toBe(true);
        expect(letter.details.kind).toBe('invalid_event');
      }
      expect(raw!.reason).toMatch(/^invalid JSON/);
      expect(bin!.reason).toMatch(/^invalid JSON/);
      expect(quotedLetter!.reason).toMatch(/^invalid JSON.*\\u0000/);

      // Replayed, it is refused again, and the replay's result is recorded.
      const [{ id }] = await harness.service.purser.dataSource.query(
        'SELECT id::text AS id FROM dead_letters WHERE stream_sequence = $1',
        [quotedLetter!.stream_sequence],
      );
      const replay = await harness.service.graphql<{
        replayDeadLetter: { status: string; reason: string };
      }>('mutation($id: ID!) { replayDeadLetter(id: $id) { status reason } }', { id });
      expect(replay.errors).toBeUndefined();
      expect(replay.data?.replayDeadLetter).toMatchObject({
        status: 'rejected',
        reason: quotedLetter!.reason,
      });
      const [{ replay_result }] = await harness.service.purser.dataSource.query(
        'SELECT replay_result FROM dead_letters WHERE id = $1::bigint',
        [id],
      );
      expect(replay_result).toBe(`rejected: ${quotedLetter!.reason}`);
    });
  });
});

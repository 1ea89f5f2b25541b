// The smaller ingest rules, each the same on every path: how old an event may be
// (INGEST_MAX_AGE_DAYS), an empty batch, the service's clock deciding what is late or early,
// a unit named like an Object.prototype member, and bytes that are not UTF-8 over NATS.
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import { loadEnv } from '@purser/api';
import { uniqueName, waitForConsumerIdle } from '../support/nats';
import { ingestSuite, type IngestResultRow, publishInOrder } from './ingest-support';

const DAY_MS = 86_400_000;

describe('ingest rules', () => {
  describe('with the defaults', () => {
    // The service's own age bound (test instances otherwise take dated fixtures of any age).
    const suite = ingestSuite({
      env: { INGEST_MAX_AGE_DAYS: String(loadEnv({}).INGEST_MAX_AGE_DAYS) },
    });

    it('should reject an event from year 1, naming the age bound, on REST and GraphQL', async () => {
      const { harness } = suite;
      const source = uniqueName('age');
      const ancient = makeUsageEvent({ id: 'ancient', source, timestamp: '0001-01-01T00:00:00Z' });
      const recent = makeUsageEvent({
        id: 'recent',
        source,
        timestamp: new Date(Date.now() - 300 * DAY_MS).toISOString(),
      });
      const rest = await harness.post([ancient, recent]);
      expect(rest.status).toBe(200);
      const results = rest.body.results as IngestResultRow[];
      expect(results.map((result) => result.status)).toEqual(['rejected', 'accepted']);
      expect(results[0]!.reason).toMatch(
        /^timestamp: 0001-01-01T00:00:00Z is older than the accepted age of 400 days/,
      );
      const graphql = await harness.ingestUsage(
        JSON.stringify([{ ...ancient, id: 'ancient-graphql' }]),
      );
      expect(graphql.body.data?.ingestUsage).toMatchObject({
        rejected: 1,
        results: [{ reason: results[0]!.reason }],
      });
      expect(await harness.storedIds(source)).toEqual(['recent']);
    });

    it('should refuse an empty batch on GraphQL as REST does, naming it', async () => {
      const { harness } = suite;
      const rest = await harness.post([]);
      expect(rest.status).toBe(400);
      expect(rest.body).toMatchObject({ code: 'BAD_USER_INPUT' });
      const graphql = await harness.ingestUsage('[]');
      expect(graphql.body.data ?? null).toBeNull();
      expect(graphql.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/empty/),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    });

    it('should store a unit named like an Object.prototype member, not answer 500', async () => {
      const { harness } = suite;
      const source = uniqueName('units');
      // Within the age bound whenever this runs.
      const timestamp = new Date().toISOString();
      const answer = await harness.post([
        makeUsageEvent({
          id: 'ctor',
          source,
          timestamp,
          usage: { input_tokens: 5, units: { constructor: 2 } },
        }),
        makeUsageEvent({
          id: 'str',
          source,
          timestamp,
          usage: { input_tokens: 5, units: { toString: 1 } },
        }),
        makeUsageEvent({ id: 'plain', source, timestamp }),
      ]);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ accepted: 3 });
      const rows: { event_id: string; unpriced_keys: string[] }[] =
        await harness.service.purser.dataSource.query(
          'SELECT event_id, unpriced_keys FROM usage_events WHERE source = $1 ORDER BY event_id',
          [source],
        );
      expect(rows).toEqual([
        { event_id: 'ctor', unpriced_keys: ['constructor'] },
        { event_id: 'plain', unpriced_keys: [] },
        { event_id: 'str', unpriced_keys: ['toString'] },
      ]);
    });
  });

  describe('with INGEST_MAX_AGE_DAYS and a clock of its own', () => {
    // The service's clock is half a year ahead of the machine's: what is late or early is
    // decided by it, as settlement's windows are.
    const offsetMs = 180 * DAY_MS;
    const clock = () => new Date(Date.now() + offsetMs);
    const suite = ingestSuite({ env: { INGEST_MAX_AGE_DAYS: '30' }, clock });

    it('should bound the age by the setting and judge both bounds by the service clock', async () => {
      const { harness } = suite;
      const source = uniqueName('clock');
      const at = (days: number) => new Date(clock().getTime() - days * DAY_MS).toISOString();
      const answer = await harness.post([
        makeUsageEvent({ id: 'now', source, timestamp: at(0) }),
        makeUsageEvent({ id: 'twenty-days', source, timestamp: at(20) }),
        makeUsageEvent({ id: 'forty-days', source, timestamp: at(40) }),
        makeUsageEvent({ id: 'machine-now', source, timestamp: new Date().toISOString() }),
      ]);
      expect(answer.status).toBe(200);
      const results = answer.body.results as IngestResultRow[];
      expect(results.map((result) => result.status)).toEqual([
        'accepted',
        'accepted',
        'rejected',
        'rejected',
      ]);
      expect(results[2]!.reason).toMatch(/older than the accepted age of 30 days/);
      expect(results[3]!.reason).toMatch(/older than the accepted age of 30 days/);
      expect(await harness.storedIds(source)).toEqual(['now', 'twenty-days']);
    });
  });

  describe('over NATS', () => {
    const suite = ingestSuite({ nats: true });

    it('should dead-letter bytes that are not UTF-8 with the bytes kept, not store U+FFFD', async () => {
      const { harness, nats } = suite;
      const source = uniqueName('utf8');
      const text = JSON.stringify(makeUsageEvent({ id: 'latin1', source, model: 'gpt-4o-XX' }));
      const bytes = Buffer.from(text);
      const at = bytes.indexOf('XX');
      bytes[at] = 0xe9; // "é" in Latin-1: not UTF-8
      bytes[at + 1] = 0xff;
      const good = makeUsageEvent({ id: 'good', source });
      const acks = await publishInOrder(nats, usageSubject('openai'), [bytes, good]);
      await waitForConsumerIdle(nats, harness.consumer!, 20_000);
      expect(await harness.storedIds(source)).toEqual(['good']);
      const [letter] = await harness.lettersBySequence([acks[0]!.seq]);
      expect(letter).toBeDefined();
      expect(letter!.reason).toMatch(/^\(body\): not valid UTF-8/);
      expect(letter!.details.payload_encoding).toBe('base64');
      expect(Buffer.from(letter!.payload, 'base64').equals(bytes)).toBe(true);
    });
  });
});

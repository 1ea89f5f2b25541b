// A "__proto__" key must not smuggle fields into an event: an event, its usage or its
// attribution placed under "__proto__" was stored and billed over HTTP and GraphQL (copying
// the key set the object's prototype) while NATS rejected the same bytes. One parser, one
// answer: every path rejects it, naming the key, and stores nothing.
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import { uniqueName, waitForConsumerIdle } from '../support/nats';
import { ingestSuite, type IngestResultRow, publishInOrder } from './ingest-support';

/** JSON texts (a JSON.stringify cannot write an own "__proto__" key), each one event. */
function smuggled(source: string): { name: string; json: string }[] {
  const full = makeUsageEvent({ id: 'whole', source });
  const { usage, ...withoutUsage } = makeUsageEvent({ id: 'usage', source });
  const { attribution, ...withoutAttribution } = makeUsageEvent({ id: 'attribution', source });
  const inner = makeUsageEvent({ id: 'inner', source, attribution: undefined });
  return [
    { name: 'the whole event', json: `{"__proto__": ${JSON.stringify(full)}}` },
    {
      name: 'its usage',
      json: `${JSON.stringify(withoutUsage).slice(0, -1)}, "__proto__": {"usage": ${JSON.stringify(usage)}}}`,
    },
    {
      name: 'its attribution',
      json: `${JSON.stringify(withoutAttribution).slice(0, -1)}, "__proto__": {"attribution": ${JSON.stringify(attribution)}}}`,
    },
    {
      name: 'a field of its attribution',
      json: `${JSON.stringify(inner).slice(0, -1)}, "attribution": {"__proto__": {"team": "billed-elsewhere"}}}`,
    },
  ];
}

const PROTO_REASON = /^(attribution\.)?__proto__: /;

describe('a __proto__ key in a usage event', () => {
  const suite = ingestSuite({ nats: true });

  it('should be rejected over REST, naming the key, and nothing stored or billed', async () => {
    const { harness } = suite;
    const source = uniqueName('proto-http');
    const cases = smuggled(source);
    const answer = await harness.post(`[${cases.map((entry) => entry.json).join(',')}]`);
    expect(answer.status).toBe(200);
    const results = answer.body.results as IngestResultRow[];
    expect(results.map((result) => result.status)).toEqual(cases.map(() => 'rejected'));
    for (const result of results) expect(result.reason).toMatch(PROTO_REASON);
    expect(await harness.storedIds(source)).toEqual([]);
    const [{ n }] = await harness.service.purser.dataSource.query(
      `SELECT count(*)::int AS n FROM usage_events WHERE team = 'billed-elsewhere' OR source = $1`,
      [source],
    );
    expect(n).toBe(0);
  });

  it('should be rejected by ingestUsage, from variables and from an inline literal', async () => {
    const { harness } = suite;
    const source = uniqueName('proto-graphql');
    const cases = smuggled(source);
    const answer = await harness.ingestUsage(`[${cases.map((entry) => entry.json).join(',')}]`);
    expect(answer.body.errors).toBeUndefined();
    const ingest = answer.body.data?.ingestUsage as {
      rejected: number;
      results: IngestResultRow[];
    };
    expect(ingest.rejected).toBe(cases.length);
    for (const result of ingest.results) expect(result.reason).toMatch(PROTO_REASON);

    const event = makeUsageEvent({ id: 'literal', source });
    const literal = `mutation { ingestUsage(events: [{ __proto__: { id: "literal", source: ${JSON.stringify(
      source,
    )}, timestamp: ${JSON.stringify(event.timestamp)}, provider: "openai", model: "gpt-4o-mini", usage: { input_tokens: 5 } } }]) { rejected results { reason } } }`;
    const inline = await harness.graphql({ query: literal });
    expect(inline.body.errors).toBeUndefined();
    expect(inline.body.data?.ingestUsage).toMatchObject({
      rejected: 1,
      results: [{ reason: expect.stringMatching(PROTO_REASON) }],
    });
    expect(await harness.storedIds(source)).toEqual([]);
  });

  it('should get the same answer over NATS as over REST', async () => {
    const { harness, nats } = suite;
    const source = uniqueName('proto-nats');
    const cases = smuggled(source);
    const acks = await publishInOrder(
      nats,
      usageSubject('openai'),
      cases.map((entry) => entry.json),
    );
    await waitForConsumerIdle(nats, harness.consumer!, 20_000);
    expect(await harness.storedIds(source)).toEqual([]);
    const letters = await harness.lettersBySequence(acks.map((ack) => ack.seq));
    expect(letters).toHaveLength(cases.length);
    const rest = await harness.post(`[${cases.map((entry) => entry.json).join(',')}]`);
    expect(letters.map((letter) => letter.reason)).toEqual(
      (rest.body.results as IngestResultRow[]).map((result) => result.reason),
    );
  });
});

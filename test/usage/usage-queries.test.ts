// What unit tests cannot catch: reads over stored usage through GraphQL against a real
// database — cursor pagination over usageEvents and deadLetters, their filters, the stored
// cost breakdown, and replaying a dead letter (recorded on it, never dead-lettered again).
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsageJson } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

interface EventNode {
  id: string;
  source: string;
  timestamp: string;
  model: string;
  attribution: Record<string, string>;
  usage: Record<string, number>;
  cost: string;
  currency: string;
  breakdown: { key: string; quantity: number; unitPrice: string; amount: string }[];
  priceCardId: string | null;
  unpriced: boolean;
  unpricedKeys: string[];
  ingestPath: string;
}

interface Page<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface DeadLetterNode {
  id: string;
  origin: string;
  eventId: string | null;
  source: string | null;
  reason: string;
  payload: string;
  replayedAt: string | null;
  replayResult: string | null;
}

const USAGE_EVENTS = `query($filter: UsageEventFilter, $first: Int, $after: String) {
  usageEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node {
      id source timestamp model attribution usage cost currency
      breakdown { key quantity unitPrice amount } priceCardId unpriced unpricedKeys ingestPath
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const DEAD_LETTERS = `query($first: Int, $after: String) {
  deadLetters(first: $first, after: $after) {
    edges { cursor node { id origin eventId source reason payload replayedAt replayResult } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const REPLAY = `mutation($id: ID!, $payload: JSONObject) {
  replayDeadLetter(id: $id, payload: $payload) { id status reason }
}`;

describe('usage queries', () => {
  let service: RunningPurser;
  let gateway: string;
  let viewer: string;
  const stamp = Date.now();
  const team = `queries-${stamp}`;

  /** In order of ingestion (one request each, so stored ids increase in this order). */
  const EVENTS = [
    { key: 'q1', model: 'gpt-4o-mini', timestamp: '2026-10-05T12:00:00Z' },
    { key: 'q2', model: 'gpt-imaginary', timestamp: '2026-10-05T13:00:00Z' },
    { key: 'q3', model: 'gpt-4o-mini', timestamp: '2026-10-06T08:00:00Z' },
    { key: 'q4', model: 'gpt-4o-mini', timestamp: '2026-10-06T09:30:00Z' },
    { key: 'q5', model: 'gpt-imaginary', timestamp: '2026-10-07T00:00:00Z' },
    { key: 'q6', model: 'gpt-4o-mini', timestamp: '2026-10-07T23:59:59Z' },
    { key: 'q7', model: 'gpt-4o-mini', timestamp: '2026-10-08T10:00:00Z' },
  ];
  const idOf = (key: string) => `${team}-${key}`;

  const post = async (body: unknown) => {
    const response = await postUsageJson(service, gateway, body);
    return (await response.json()) as {
      accepted: number;
      rejected: number;
      results: { reason: string | null }[];
    };
  };

  const events = async (variables: Record<string, unknown>, token?: string) => {
    const result = await service.graphql<{ usageEvents: Page<EventNode> }>(
      USAGE_EVENTS,
      { ...variables, filter: { team, ...(variables.filter as object) } },
      token,
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.usageEvents;
  };

  const allDeadLetters = async () => {
    // This suite's database holds a handful of dead letters: one page of 100 is all of them.
    const result = await service.graphql<{ deadLetters: Page<DeadLetterNode> }>(DEAD_LETTERS, {
      first: 100,
    });
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    expect(result.data.deadLetters.pageInfo.hasNextPage).toBe(false);
    return result.data.deadLetters.edges.map((edge) => edge.node);
  };

  beforeAll(async () => {
    service = await startPurser();
    gateway = await service.keyFor('gateway');
    viewer = await service.keyFor('viewer');
    for (const item of EVENTS) {
      const result = await post(
        makeUsageEvent({
          id: idOf(item.key),
          source: team,
          timestamp: item.timestamp,
          provider: 'openai',
          model: item.model,
          usage: { input_tokens: 1000, cache_read_tokens: 2000, output_tokens: 500 },
          attribution: { team, feature: 'chat' },
        }),
      );
      expect(result.accepted).toBe(1);
    }
  });
  afterAll(() => service.stop());

  describe('usageEvents', () => {
    it('should page newest first with first/after until hasNextPage is false', async () => {
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await events({ first: 3, after }, viewer);
        pages.push(page.edges.map((edge) => edge.node.id));
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor!;
      }
      expect(pages).toEqual([
        ['q7', 'q6', 'q5'].map(idOf),
        ['q4', 'q3', 'q2'].map(idOf),
        ['q1'].map(idOf),
      ]);
    });

    it('should say there is no next page when the page holds exactly what is left', async () => {
      const page = await events({ first: 7 });
      expect(page.edges).toHaveLength(7);
      expect(page.pageInfo.hasNextPage).toBe(false);
      const empty = await events({ first: 3, after: page.pageInfo.endCursor });
      expect(empty).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it.each([
      ['unpriced events', { unpriced: true }, ['q5', 'q2']],
      ['priced events', { unpriced: false }, ['q7', 'q6', 'q4', 'q3', 'q1']],
      [
        'a range, from inclusive and to exclusive',
        { from: '2026-10-06T08:00:00Z', to: '2026-10-07T23:59:59Z' },
        ['q5', 'q4', 'q3'],
      ],
      [
        'a range and unpriced',
        { from: '2026-10-06T00:00:00Z', to: '2026-10-09T00:00:00Z', unpriced: true },
        ['q5'],
      ],
      ['a model', { model: 'gpt-imaginary' }, ['q5', 'q2']],
      ['another team', { team: `${team}-other` }, []],
      ['a source', { source: team }, ['q7', 'q6', 'q5', 'q4', 'q3', 'q2', 'q1']],
    ])('should filter on %s', async (_name, filter, keys) => {
      const page = await events({ filter, first: 50 });
      expect(page.edges.map((edge) => edge.node.id)).toEqual(keys.map(idOf));
    });

    it('should page within a filter', async () => {
      const first = await events({ filter: { unpriced: false }, first: 2 });
      expect(first.edges.map((edge) => edge.node.id)).toEqual(['q7', 'q6'].map(idOf));
      const second = await events({
        filter: { unpriced: false },
        first: 2,
        after: first.pageInfo.endCursor,
      });
      expect(second.edges.map((edge) => edge.node.id)).toEqual(['q4', 'q3'].map(idOf));
      expect(second.pageInfo.hasNextPage).toBe(true);
    });

    it('should return the stored price breakdown of a priced event', async () => {
      const page = await events({ filter: { to: '2026-10-05T12:00:01Z' } });
      expect(page.edges.map((edge) => edge.node)).toEqual([
        {
          id: idOf('q1'),
          source: team,
          timestamp: '2026-10-05T12:00:00.000Z',
          model: 'gpt-4o-mini',
          attribution: { team, feature: 'chat' },
          usage: { input_tokens: 1000, cache_read_tokens: 2000, output_tokens: 500 },
          // 1000×0.15 + 2000×0.075 + 500×0.60 per 1M
          cost: '0.0006',
          currency: 'USD',
          breakdown: [
            { key: 'input_tokens', quantity: 1000, unitPrice: '0.00000015', amount: '0.00015' },
            {
              key: 'cache_read_tokens',
              quantity: 2000,
              unitPrice: '0.000000075',
              amount: '0.00015',
            },
            { key: 'output_tokens', quantity: 500, unitPrice: '0.0000006', amount: '0.0003' },
          ],
          priceCardId: 'openai/gpt-4o-mini@2026-07-24',
          unpriced: false,
          unpricedKeys: [],
          ingestPath: 'http',
        },
      ]);
    });

    it('should flag an unpriced event with its keys and no breakdown', async () => {
      const page = await events({ filter: { model: 'gpt-imaginary' }, first: 1 });
      expect(page.edges[0].node).toMatchObject({
        id: idOf('q5'),
        cost: '0',
        breakdown: [],
        priceCardId: null,
        unpriced: true,
        unpricedKeys: ['input_tokens', 'cache_read_tokens', 'output_tokens'],
      });
    });

    it.each([
      ['a cursor it never returned', { after: 'not-a-cursor' }],
      ['a cursor of another shape', { after: Buffer.from('offset:5').toString('base64url') }],
      ['a page of 0', { first: 0 }],
      ['a page above the maximum', { first: 501 }],
    ])('should refuse %s with BAD_USER_INPUT', async (_name, variables) => {
      // A small selection, so that the complexity limit lets `first: 501` reach the resolver.
      const result = await service.graphql(
        `query($filter: UsageEventFilter, $first: Int, $after: String) {
          usageEvents(filter: $filter, first: $first, after: $after) { pageInfo { hasNextPage } }
        }`,
        { filter: { team }, ...variables },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('should refuse a gateway key with FORBIDDEN', async () => {
      const result = await service.graphql(USAGE_EVENTS, { filter: { team } }, gateway);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('deadLetters and replayDeadLetter', () => {
    const bad = (key: string) =>
      makeUsageEvent({
        id: `${team}-${key}`,
        source: `${team}-dl`,
        timestamp: '2026-10-09T10:00:00Z',
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { input_tokens: -5, output_tokens: 1 },
        attribution: { team },
      });

    const letterOf = async (eventId: string) => {
      const letters = (await allDeadLetters()).filter((letter) => letter.eventId === eventId);
      expect(letters).toHaveLength(1);
      return letters[0];
    };

    it('should list a rejected event with its reason and payload, newest first', async () => {
      const first = bad('dl-listed-1');
      const second = bad('dl-listed-2');
      expect(await post(first)).toMatchObject({ rejected: 1 });
      expect(await post(second)).toMatchObject({ rejected: 1 });
      const result = await service.graphql<{ deadLetters: Page<DeadLetterNode> }>(
        DEAD_LETTERS,
        { first: 1 },
        viewer,
      );
      const page = result.data!.deadLetters;
      expect(page.pageInfo.hasNextPage).toBe(true);
      const [newest] = page.edges.map((edge) => edge.node);
      expect(newest).toMatchObject({
        origin: 'http',
        eventId: second.id,
        source: `${team}-dl`,
        replayedAt: null,
        replayResult: null,
      });
      expect(newest.reason).toContain('usage.input_tokens');
      expect(JSON.parse(newest.payload)).toEqual(second);
      const next = await service.graphql<{ deadLetters: Page<DeadLetterNode> }>(DEAD_LETTERS, {
        first: 1,
        after: page.pageInfo.endCursor,
      });
      expect(next.data!.deadLetters.edges[0].node.eventId).toBe(first.id);
    });

    it('should accept a replay with a corrected payload and record it on the dead letter', async () => {
      const event = bad('dl-fixed');
      await post(event);
      const letter = await letterOf(event.id);
      const lettersBefore = (await allDeadLetters()).length;
      const corrected = { ...event, usage: { input_tokens: 5, output_tokens: 1 } };
      const result = await service.graphql(REPLAY, { id: letter.id, payload: corrected });
      expect(result.data).toEqual({
        replayDeadLetter: { id: event.id, status: 'accepted', reason: null },
      });
      const replayed = await letterOf(event.id);
      expect(replayed.replayResult).toBe('accepted');
      expect(Date.parse(replayed.replayedAt!)).toBeGreaterThan(Date.now() - 60_000);
      const stored = await events({ filter: { source: `${team}-dl` } });
      expect(stored.edges.map((edge) => edge.node)).toEqual([
        expect.objectContaining({
          id: event.id,
          ingestPath: 'replay',
          usage: { input_tokens: 5, output_tokens: 1 },
          // 5×0.15 + 1×0.60 per 1M
          cost: '0.00000135',
        }),
      ]);
      // Replaying it again is a duplicate, never a second row.
      const again = await service.graphql(REPLAY, { id: letter.id, payload: corrected });
      expect(again.data).toEqual({
        replayDeadLetter: { id: event.id, status: 'duplicate', reason: null },
      });
      expect((await letterOf(event.id)).replayResult).toBe('duplicate');
      expect(await allDeadLetters()).toHaveLength(lettersBefore);
    });

    it('should record a rejected replay of the unchanged payload without a new dead letter', async () => {
      const event = bad('dl-still-bad');
      await post(event);
      const letter = await letterOf(event.id);
      const lettersBefore = (await allDeadLetters()).length;
      const result = await service.graphql<{
        replayDeadLetter: { id: string; status: string; reason: string };
      }>(REPLAY, { id: letter.id });
      expect(result.data?.replayDeadLetter).toMatchObject({ id: event.id, status: 'rejected' });
      expect(result.data?.replayDeadLetter.reason).toContain('usage.input_tokens');
      const after = await letterOf(event.id);
      expect(after.replayResult).toBe(`rejected: ${result.data?.replayDeadLetter.reason}`);
      expect(after.replayedAt).not.toBeNull();
      expect(await allDeadLetters()).toHaveLength(lettersBefore);
      const stored = await events({ filter: { source: `${team}-dl` } });
      expect(stored.edges.map((edge) => edge.node.id)).not.toContain(event.id);
    });

    it('should replay a dead letter that came through GraphQL as stored', async () => {
      const event = makeUsageEvent({
        id: `${team}-dl-graphql`,
        source: `${team}-gql`,
        timestamp: '2099-01-01T00:00:00Z',
        attribution: { team },
      });
      const ingest = await service.graphql<{ ingestUsage: { rejected: number } }>(
        `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { rejected } }`,
        { events: [event] },
        gateway,
      );
      expect(ingest.data?.ingestUsage.rejected).toBe(1);
      const letter = await letterOf(event.id);
      expect(letter.origin).toBe('graphql');
      expect(JSON.parse(letter.payload)).toEqual(event);
      const result = await service.graphql<{ replayDeadLetter: { reason: string } }>(REPLAY, {
        id: letter.id,
      });
      expect(result.data?.replayDeadLetter.reason).toContain('timestamp');
    });

    it.each([
      ['an id that does not exist', '999999999'],
      ['an id that is not a number', 'abc'],
      ['an id beyond a bigint', '99999999999999999999999'],
    ])('should answer NOT_FOUND for %s', async (_name, id) => {
      const result = await service.graphql(REPLAY, { id });
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('should refuse a replay from a viewer key with FORBIDDEN', async () => {
      const [letter] = await allDeadLetters();
      const result = await service.graphql(REPLAY, { id: letter.id }, viewer);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await letterOf(letter.eventId!)).replayedAt).toBe(letter.replayedAt);
    });

    it('should refuse a bad deadLetters cursor with BAD_USER_INPUT', async () => {
      const result = await service.graphql(DEAD_LETTERS, { after: 'nope' });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
});

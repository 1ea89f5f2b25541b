// What unit tests cannot catch: small documents whose fragments fan out, sent to a running
// production-mode service with and without a key, never hold its event loop: without a key
// they are refused before they are parsed, with one by rules linear in the document's size.
import { servePurser } from '../support/purser';
import {
  MAX_LOOP_DELAY_MS,
  errorCodes,
  errorMessages,
  fullGc,
  measureLoopDelay,
  post,
} from './http-probe';

/**
 * `{ ...L0 }` where each fragment spreads the next one `width` times, each under its own
 * alias of `selection`: `width ^ levels` selections once expanded, in a few hundred bytes.
 */
function fanOut(levels: number, width: number, selection = '__typename'): string {
  let document = '{ ...L0 }';
  for (let level = 0; level < levels; level++) {
    const next = level + 1 < levels ? ` ...L${level + 1}` : '';
    const body = Array.from({ length: width }, (_, i) => `a${i}: ${selection}${next}`).join(' ');
    document += `\nfragment L${level} on Query { ${body} }`;
  }
  return document;
}

/** `{ a0: __typename a1: __typename … }`: 3 tokens per alias. */
function aliases(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
}

/** The same fan-out through inline fragments instead of named ones. */
function inlineFanOut(levels: number, width: number): string {
  let inner = 'x: __typename';
  for (let level = 0; level < levels; level++) {
    inner = Array.from(
      { length: width },
      (_, i) => `a${i}: __typename ... on Query { ${inner} }`,
    ).join(' ');
  }
  return `{ ${inner} }`;
}

const queries: [string, string][] = [
  ['the reported one: 8 levels of 10 spreads', fanOut(8, 10)],
  ['deeper: 14 levels of 10 spreads', fanOut(14, 10)],
  ['wider: 6 levels of 30 spreads', fanOut(6, 30)],
  ['through a field: 7 levels of 10 spreads under apiKeys', fanOut(7, 10, 'apiKeys { id }')],
  [
    'a fragment cycle',
    '{ ...A } fragment A on Query { x: __typename ...B } fragment B on Query { ...A }',
  ],
  ['inline fragments: 3 levels of 10', inlineFanOut(3, 10)],
  ['100,000 aliases of __typename', aliases(100_000)],
];
// The bodies are built before anything is measured: only the service's work is.
const documents = queries.map(([name, query]): [string, Buffer] => [
  name,
  Buffer.from(JSON.stringify({ query })),
]);
const gc = fullGc();

describe('documents that fan out (production mode)', () => {
  const served = servePurser('viewer', { start: { env: { NODE_ENV: 'production' } } });

  const send = (body: Buffer | string, headers: Record<string, string> = {}) =>
    post(`${served.service.url}/graphql`, body, headers);
  // Garbage the test itself left would otherwise be collected, and counted, in the window.
  beforeEach(() => gc());

  it.each(documents)(
    'should refuse %s without a key before parsing it, UNAUTHENTICATED, without holding the loop',
    async (_name, body) => {
      for (const authorization of [undefined, 'Bearer purser_not-a-real-key']) {
        const { result, maxHeldMs } = await measureLoopDelay(() =>
          send(body, authorization ? { authorization } : {}),
        );
        expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
        expect(result.status).toBe(401);
        expect(errorCodes(result.body)).toEqual(['UNAUTHENTICATED']);
      }
    },
  );

  it.each(documents)(
    'should refuse %s with a key, naming why, without holding the loop',
    async (_name, body) => {
      const { result, maxHeldMs } = await measureLoopDelay(() =>
        send(body, { authorization: `Bearer ${served.key}` }),
      );
      expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
      expect(result.status).toBe(400);
      expect(errorCodes(result.body).length).toBeGreaterThan(0);
      for (const code of errorCodes(result.body)) {
        expect([
          'QUERY_TOO_COMPLEX',
          'QUERY_TOO_DEEP',
          'GRAPHQL_PARSE_FAILED',
          'GRAPHQL_VALIDATION_FAILED',
        ]).toContain(code);
      }
      for (const message of errorMessages(result.body)) expect(message.length).toBeGreaterThan(10);
    },
  );

  it('should refuse the reported 7 MB body of 500,000 aliases without a key, unread', async () => {
    const body = Buffer.from(JSON.stringify({ query: aliases(500_000) }));
    gc();
    const { result, maxHeldMs } = await measureLoopDelay(() => send(body));
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    expect(result.status).toBe(401);
    expect(errorCodes(result.body)).toEqual(['UNAUTHENTICATED']);
  });

  it('should still answer a small fan-out within the limits', async () => {
    const { result, maxHeldMs } = await measureLoopDelay(() =>
      send(JSON.stringify({ query: fanOut(3, 4) }), { authorization: `Bearer ${served.key}` }),
    );
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      data: { a0: 'Query', a1: 'Query', a2: 'Query', a3: 'Query' },
    });
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });

  it('should keep answering /healthz while fan-outs arrive', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ query: fanOut(8 + (i % 3), 10) }),
    );
    const { result, maxHeldMs } = await measureLoopDelay(async () => {
      const attacks = bodies.map((body) => send(body));
      const health = await fetch(`${served.service.url}/healthz`);
      await Promise.all(attacks);
      return health.status;
    });
    expect(result).toBe(200);
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });
});

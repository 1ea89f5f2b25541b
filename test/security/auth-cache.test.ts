// What unit tests cannot catch: a production-mode instance under a flood of random API keys.
// Unknown secrets are remembered (a repeat costs no database read, so it is answered even
// with the database cut), they cannot push a working key out of the cache, and failed
// authentications are limited per client address with 429 and Retry-After.
import http from 'node:http';
import { priceModel, PENNY, unique } from '../support/decisions';
import { hasPostgres } from '../support/database';
import { startPurser, type RunningPurser } from '../support/purser';
import { startPurserBehindProxy } from '../support/proxied-purser';

const MODEL = 'auth-cache-penny';
const DECISION = '/v1/data/purser/authz/decision';

const body = JSON.stringify({
  input: {
    provider: 'openai',
    model: MODEL,
    attribution: { team: 'auth-cache' },
    estimated_input_tokens: 10,
    max_output_tokens: 0,
  },
});

const GRAPHQL = { path: '/graphql', body: JSON.stringify({ query: '{ apiKeys { id } }' }) };

/**
 * POSTs with `token` from the local address `from` (127.x.y.z): an authorize request, or
 * `target`. Answers the status, Retry-After and error code (REST's, or GraphQL's first).
 */
function ask(
  service: RunningPurser,
  token: string,
  from = '127.0.0.1',
  target = { path: DECISION, body },
): Promise<{ status: number; retryAfter?: string; code?: string }> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: target.path,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(target.body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            code?: string;
            errors?: { extensions?: { code?: string } }[];
          };
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'] as string | undefined,
            code: answer.code ?? answer.errors?.[0]?.extensions?.code,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(target.body);
  });
}

const randomKey = () => unique('purser_random');

describe('authentication under a flood of unknown keys', () => {
  it('should answer 429 with Retry-After past the failure burst of one address, and leave other addresses and verified keys alone', async () => {
    const service = await startPurser({
      env: {
        NODE_ENV: 'production',
        PURSER_AUTH_FAILURE_BURST: '5',
        PURSER_AUTH_FAILURES_PER_SECOND: '0.5',
      },
    });
    try {
      const gateway = await service.keyFor('gateway');
      await priceModel(service, MODEL, PENNY);
      expect((await ask(service, gateway, '127.0.0.3')).status).toBe(200);
      const answers = [];
      for (let attempt = 0; attempt < 8; attempt += 1)
        answers.push(await ask(service, randomKey(), '127.0.0.3'));
      expect(answers.map((answer) => answer.status)).toEqual([
        401, 401, 401, 401, 401, 429, 429, 429,
      ]);
      expect(answers[5]).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(answers[5]!.retryAfter)).toBeGreaterThanOrEqual(1);
      // GraphQL counts against the same address.
      const limited = await ask(service, randomKey(), '127.0.0.3', GRAPHQL);
      expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
      // A key this replica verified still works from the limited address.
      expect((await ask(service, gateway, '127.0.0.3')).status).toBe(200);
      // Another address is not affected.
      expect((await ask(service, randomKey(), '127.0.0.4')).status).toBe(401);
    } finally {
      await service.stop();
    }
  }, 60_000);

  (hasPostgres ? it : it.skip)(
    'should keep a verified key through 10,000 random keys and answer a repeated unknown key without the database',
    async () => {
      const { service, proxy, close } = await startPurserBehindProxy({
        NODE_ENV: 'production',
        PURSER_AUTH_CACHE_MS: '20000',
        PURSER_AUTH_FAILURE_BURST: '100000',
      });
      try {
        const gateway = await service.keyFor('gateway');
        await priceModel(service, MODEL, PENNY);
        expect((await ask(service, gateway)).status).toBe(200);
        const keys = Array.from({ length: 10_000 }, randomKey);
        let next = 0;
        const statuses = new Map<number, number>();
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < keys.length) {
              const { status } = await ask(service, keys[next++]!);
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
            }
          }),
        );
        expect(Object.fromEntries(statuses)).toEqual({ 401: 10_000 });

        await proxy.cut();
        // Neither answer needs the database: the verified key is still cached, and so is
        // the fact that the last random key is unknown.
        expect(await ask(service, gateway)).toMatchObject({ status: 200 });
        expect(await ask(service, keys.at(-1)!)).toMatchObject({
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      } finally {
        await close();
      }
    },
    120_000,
  );
});

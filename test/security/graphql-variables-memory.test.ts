// What unit tests cannot catch: a running production-mode service keeps nothing of a
// request's variables once it has answered, with or without a key, so requests with distinct
// multi-megabyte variables cannot grow its heap; a body over the limit is refused, named.
import { startPurser, type RunningPurser } from '../support/purser';
import { errorCodes, fullGc, post, settledHeap } from './http-probe';

const MB = 1024 * 1024;
const query = 'query($m: String!) { modelPrice(provider: "openai", model: $m) { id } }';

describe('variables and memory (production mode)', () => {
  let service: RunningPurser;
  let viewer: string;
  const gc = fullGc();

  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    viewer = await service.keyFor('viewer');
  });
  afterAll(() => service?.stop());

  /** Sends `count` requests, each with its own `size`-byte variable, one after another. */
  async function sendDistinct(count: number, size: number, headers: Record<string, string>) {
    const statuses = new Set<number>();
    for (let i = 0; i < count; i++) {
      const model = `${String(i).padStart(6, '0')}${'x'.repeat(size - 6)}`;
      const answer = await post(
        `${service.url}/graphql`,
        JSON.stringify({ query, variables: { m: model } }),
        headers,
      );
      statuses.add(answer.status);
    }
    return statuses;
  }

  it.each([
    ['with a key', true],
    ['without a key', false],
  ])(
    'should not keep distinct 8 MB variables sent %s (heap after 24 requests within 64 MB of before)',
    async (_name, withKey) => {
      const headers: Record<string, string> = withKey ? { authorization: `Bearer ${viewer}` } : {};
      // Warm up: the first requests compile code and fill pools that stay.
      await sendDistinct(2, 8 * MB, headers);
      const before = settledHeap(gc);
      const statuses = await sendDistinct(24, 8 * MB, headers);
      const after = settledHeap(gc);
      expect([...statuses]).toEqual([withKey ? 200 : 401]);
      // Kept, 24 distinct 8 MB variables would be 192 MB.
      expect((after - before) / MB).toBeLessThan(64);
    },
  );

  it('should refuse a body over the limit with 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
    const limited = await startPurser({
      env: { NODE_ENV: 'production', GRAPHQL_MAX_BODY_BYTES: String(MB) },
    });
    try {
      const key = await limited.keyFor('viewer');
      const body = JSON.stringify({ query, variables: { m: 'x'.repeat(2 * MB) } });
      const answer = await post(`${limited.url}/graphql`, body, { authorization: `Bearer ${key}` });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: `Request body is larger than the limit of ${MB} bytes`,
      });
      const small = await post(
        `${limited.url}/graphql`,
        JSON.stringify({ query, variables: { m: 'gpt-4o' } }),
        { authorization: `Bearer ${key}` },
      );
      expect(small.status).toBe(200);
      expect(errorCodes(small.body)).toEqual([]);
    } finally {
      await limited.stop();
    }
  });
});

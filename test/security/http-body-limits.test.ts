// What unit tests cannot catch: the body limits of a running production-mode service, on
// the Express routes and the raw ones, plain and compressed: a body over the limit — or one
// that inflates past it — answers 413 naming the limit, a caller without a key 401, and
// neither is logged as an error of the service.
import { gzipSync } from 'node:zlib';
import { servePurser } from '../support/purser';
import { errorCodes, expectNoErrorLogged, post } from './http-probe';

const MB = 1024 * 1024;

describe('request body limits (production mode)', () => {
  const served = servePurser('gateway', { start: { env: { NODE_ENV: 'production' } } });

  expectNoErrorLogged(() => served.service);

  // 11 MB of JSON: over the 10 MB of every route.
  const oversized = JSON.stringify([{ padding: 'x'.repeat(11 * MB) }]);
  // 200 MB of JSON in about 200 KB: a compression bomb.
  const bomb = gzipSync(Buffer.from(`{"query":"${' '.repeat(200 * MB)}"}`));

  it.each([
    ['/v1/usage', 'plain', oversized, {}],
    ['/v1/usage', 'gzip bomb', bomb, { 'content-encoding': 'gzip' }],
    ['/v1/usage', 'gzip of an oversized body', gzipSync(oversized), { 'content-encoding': 'gzip' }],
    ['/graphql', 'gzip bomb', bomb, { 'content-encoding': 'gzip' }],
    ['/graphql', 'plain', oversized, {}],
    ['/v1/data/purser/authz/decision', 'plain', oversized, {}],
  ])(
    'should answer %s with a %s body 413 PAYLOAD_TOO_LARGE with a key, 401 without',
    async (path, _kind, body, headers: Record<string, string>) => {
      const limited = await post(`${served.service.url}${path}`, body, {
        ...headers,
        authorization: `Bearer ${served.key}`,
      });
      expect(limited.status).toBe(413);
      expect(limited.body).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.stringMatching(/^Request body is larger than the limit of \d+ bytes$/),
      });

      const anonymous = await post(`${served.service.url}${path}`, body, headers);
      expect(anonymous.status).toBe(401);
      const codes = path === '/graphql' ? errorCodes(anonymous.body) : [anonymous.body];
      expect(JSON.stringify(codes)).toContain('UNAUTHENTICATED');
    },
  );

  it('should answer a body in an unsupported encoding 415, named', async () => {
    const answer = await post(`${served.service.url}/v1/usage`, Buffer.from('{}'), {
      'content-encoding': 'x-unknown',
      authorization: `Bearer ${served.key}`,
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('x-unknown'),
    });
  });

  it('should answer a corrupt gzip body 400, named', async () => {
    const answer = await post(`${served.service.url}/v1/usage`, Buffer.from('not gzip at all'), {
      'content-encoding': 'gzip',
      authorization: `Bearer ${served.key}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ code: 'BAD_USER_INPUT', message: expect.any(String) });
  });

  it('should count refused bodies in /metrics under their status', async () => {
    await post(`${served.service.url}/v1/usage`, oversized, {
      authorization: `Bearer ${served.key}`,
    });
    const metrics = await (await fetch(`${served.service.url}/metrics`)).text();
    expect(metrics).toMatch(/purser_http_requests_total\{route="[^"]*",status="413"\} \d+/);
    expect(metrics).not.toMatch(/status="500"/);
  });
});

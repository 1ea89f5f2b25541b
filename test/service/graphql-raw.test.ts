// What unit tests cannot catch: `POST /graphql` with a JSON body goes straight from Node's
// HTTP server into Apollo (`serveGraphQLRaw`); a compressed body, a query string or a GET is
// left to the Express integration. Both must answer the same, errors included, and be
// counted in /metrics. Express answers with an ETag and the raw path without one: that tells
// which of the two served a request.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { startPurser, type RunningPurser } from '../support/purser';
import { expectRawAsExpress, isJsonPrimitive, type PathAnswer } from '../support/raw-path';

type Answer = PathAnswer;

describe('GraphQL transport: the raw path and its fallbacks', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
  });

  afterAll(async () => {
    await service?.stop();
  });

  async function post(
    body: string | Buffer,
    headers: Record<string, string> = {},
    query = '',
  ): Promise<Answer> {
    const response = await fetch(`${service.url}/graphql${query}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${service.adminToken}`,
        ...headers,
      },
      body,
    });
    return {
      status: response.status,
      etag: response.headers.get('etag'),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const operation = JSON.stringify({ query: '{ apiKeys { name role } }' });

  it('should answer a JSON POST on the raw path, and the same through Express for a gzip body or a query string', async () => {
    const raw = await post(operation);
    expect(raw).toMatchObject({ status: 200, etag: null });
    expect(raw.body).toEqual({ data: { apiKeys: expect.any(Array) } });

    const gzipped = await post(gzipSync(operation), { 'content-encoding': 'gzip' });
    expect(gzipped.etag).not.toBeNull();
    expect(gzipped.body).toEqual(raw.body);

    const queried = await post(operation, {}, '?trace=0');
    expect(queried.etag).not.toBeNull();
    expect(queried.body).toEqual(raw.body);
  });

  it('should refuse invalid JSON with BAD_USER_INPUT on both paths', async () => {
    const raw = await post('{"query": ');
    const express = await post(gzipSync('{"query": '), { 'content-encoding': 'gzip' });
    expect(raw).toMatchObject({
      status: 400,
      etag: null,
      body: {
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining('Request body is not valid JSON'),
      },
    });
    expect(express.status).toBe(400);
    expect(express.body.code).toBe(raw.body.code);
  });

  it('should answer authentication and validation errors as Express does', async () => {
    const anonymous = await post(operation, { authorization: '' });
    const anonymousExpress = await post(gzipSync(operation), {
      authorization: '',
      'content-encoding': 'gzip',
    });
    expect(anonymous.status).toBe(anonymousExpress.status);
    expect(JSON.stringify(anonymous.body)).not.toContain('stacktrace');
    expect(anonymous.body).toEqual(anonymousExpress.body);
    expect((anonymous.body.errors as { extensions: { code: string } }[])[0]!.extensions.code).toBe(
      'UNAUTHENTICATED',
    );

    const invalid = JSON.stringify({ query: '{ noSuchField }' });
    const rawInvalid = await post(invalid);
    const expressInvalid = await post(gzipSync(invalid), { 'content-encoding': 'gzip' });
    expect(rawInvalid.status).toBe(400);
    expect(rawInvalid.status).toBe(expressInvalid.status);
    // The same error, but for the stack trace (development mode), which names the transport.
    const withoutStack = (body: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify(body, (key, value: unknown) => (key === 'stacktrace' ? undefined : value)),
      );
    expect(withoutStack(rawInvalid.body)).toEqual(withoutStack(expressInvalid.body));
  });

  it('should refuse a body that is not JSON as Apollo does, and count raw requests in /metrics', async () => {
    const text = await post(operation, { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/purser_http_requests_total\{route="\/graphql",status="200"\} \d+/);
    expect(metrics).toMatch(/purser_http_requests_total\{route="\/graphql",status="400"\} \d+/);
  });
  it('should answer generated requests on the raw path as Express does', async () => {
    const documents = fc.constantFrom(
      '{ apiKeys { name role } }',
      '{ apiKeys { name role } budgets { id } }',
      'query($first: Int) { budgets(first: $first) { id } }',
      '{ noSuchField }',
      '{ apiKeys { name role }',
      'mutation { ingestUsage(events: []) { accepted } }',
      '',
    );
    // Known difference, left as it is (behaviour unchanged; docs/0008): a top-level JSON
    // primitive ("null", "0") is refused 400 by both, but body-parser's strict mode calls it
    // invalid JSON and the raw path leaves it to Apollo ("POST body missing").
    const requests = fc
      .oneof(
        {
          weight: 8,
          arbitrary: fc
            .record(
              {
                query: fc.oneof(documents, fc.string({ maxLength: 20 })),
                variables: fc.oneof(
                  fc.record({ first: fc.oneof(fc.integer({ min: -2, max: 100 }), fc.string()) }),
                  fc.constant(null),
                ),
                operationName: fc.oneof(fc.constant(null), fc.string({ maxLength: 8 })),
              },
              { requiredKeys: ['query'] },
            )
            .map((body) => JSON.stringify(body)),
        },
        { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      )
      .filter((text) => !isJsonPrimitive(text));
    // JSON.parse and body-parser word a syntax error each their own way.
    const fast = await expectRawAsExpress({
      raw: (text) => post(text),
      express: (text) => post(gzipSync(text), { 'content-encoding': 'gzip' }),
      arbitrary: requests,
      runs: 150,
      // The stack trace (development mode) names the transport.
      replace: (key, value) => (key === 'stacktrace' ? undefined : value),
    });
    expect(fast).toBeGreaterThan(100);
  });
});

// What unit tests cannot catch: thousands of generated requests — documents built from the
// real schema's names with random nesting, aliases, fragments, arguments and variables,
// random JSON bodies, methods and headers — against a running production-mode service. Every
// answer is a 2xx, or a 4xx whose body names what was wrong; never a 5xx, never an error the
// service logs as unexpected, and the event loop is never held long.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  Choices,
  DocumentBuilder,
  INTS,
  SCHEMA_QUERY,
  STRINGS,
  type IntrospectedSchema,
} from './graphql-documents';
import { MAX_LOOP_DELAY_MS, measureLoopDelay, readAnswer, type Answer } from './http-probe';

/** Checks the property every answer has; throws naming the request when it does not. */
function expectNamedAnswer(answer: Answer, request: unknown): void {
  const fail = (why: string) => {
    throw new Error(
      `${why}: ${answer.status} ${answer.text.slice(0, 600)}\nfor ${JSON.stringify(request).slice(0, 1500)}`,
    );
  };
  if (answer.status < 200 || answer.status >= 500 || (answer.status >= 300 && answer.status < 400))
    fail('not a 2xx or 4xx');
  if ((answer.headers.get('content-type') ?? '').startsWith('text/html')) {
    if (answer.status !== 200) fail('an HTML error');
    return;
  }
  const body = answer.body as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null) fail('not a JSON object');
  const errors = body!.errors;
  if (Array.isArray(errors)) {
    if (errors.length === 0) fail('an empty errors list');
    for (const error of errors as { message?: unknown; extensions?: { code?: unknown } }[]) {
      if (typeof error.message !== 'string' || error.message.length === 0) fail('an unnamed error');
      const code = error.extensions?.code;
      if (typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR')
        fail(`code ${String(code)}`);
    }
    return;
  }
  if (answer.status >= 400) {
    if (typeof body!.code !== 'string' || typeof body!.message !== 'string' || !body!.message)
      fail('a refusal without code and message');
  } else if (!('data' in body!)) {
    fail('a 2xx without data');
  }
}

async function send(
  url: string,
  method: 'GET' | 'POST',
  body: string | Buffer | undefined,
  headers: Record<string, string>,
): Promise<Answer> {
  // Not JSON: the check above says what is wrong with such a body.
  return readAnswer(await fetch(url, { method, headers, body }));
}

describe('GraphQL under generated input (production mode)', () => {
  let service: RunningPurser;
  let builder: DocumentBuilder;
  const keys: Record<string, string> = {};
  let errorLogs: jest.SpyInstance;

  beforeAll(async () => {
    // Failed authentications are rate-limited per address (429): here every one must reach
    // the GraphQL gate.
    service = await startPurser({
      env: { NODE_ENV: 'production', PURSER_AUTH_FAILURE_BURST: '1000000' },
    });
    for (const role of ['admin', 'finance', 'viewer', 'gateway'])
      keys[role] = await service.keyFor(role);
    // Production answers no introspection: read the schema from a development replica.
    const replica = await startPurser({ database: service.database });
    try {
      const introspection = await replica.graphql<IntrospectedSchema>(SCHEMA_QUERY);
      builder = new DocumentBuilder(introspection.data!);
    } finally {
      await replica.stop();
    }
  });
  afterAll(() => service?.stop());

  beforeEach(() => {
    errorLogs = jest.spyOn(service.purser.services.logger, 'error');
  });
  afterEach(() => {
    const logged = [
      ...new Set(
        errorLogs.mock.calls.map(
          ([fields, message]) => `${String(message)}: ${(fields as { err?: Error })?.err?.stack}`,
        ),
      ),
    ];
    errorLogs.mockRestore();
    expect(logged).toEqual([]);
  });

  const choices = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 40, maxLength: 300 });
  const variableValue = fc.oneof(
    fc.constantFrom(...INTS, ...STRINGS, null, true, 1.5),
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(
      fc.dictionary(
        fc.constantFrom('id', 'source', 'model', 'provider', 'usage', 'team'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { maxLength: 3 },
    ),
  );

  it('should answer documents built from the schema with a 2xx or a named 4xx, holding the loop briefly', async () => {
    const { maxHeldMs } = await measureLoopDelay(() =>
      fc.assert(
        fc.asyncProperty(
          choices,
          fc.constantFrom('admin', 'finance', 'viewer', 'gateway'),
          fc.boolean(),
          fc.constantFrom(undefined, 'Op0', 'Op1', 'Nope'),
          fc.dictionary(fc.constantFrom('u1', 'u2', 'u3', 'v0', 'v1'), variableValue),
          async (numbers, role, compressed, operationName, otherVariables) => {
            const { query, variables, careful } = builder.document(new Choices(numbers));
            // A careless client also names operations and sends variables at random.
            const request = careful
              ? { query, variables }
              : { query, variables: { ...variables, ...otherVariables }, operationName };
            const json = JSON.stringify(request);
            const answer = await send(
              `${service.url}/graphql`,
              'POST',
              compressed ? gzipSync(json) : json,
              {
                'content-type': 'application/json',
                authorization: `Bearer ${keys[role]}`,
                ...(compressed ? { 'content-encoding': 'gzip' } : {}),
              },
            );
            expectNamedAnswer(answer, { role, ...request });
          },
        ),
        { numRuns: 1500 },
      ),
    );
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });

  it('should answer random bodies, methods and headers with a 2xx or a named 4xx', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
      fc
        .record(
          {
            query: fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 })),
            variables: fc.jsonValue({ maxDepth: 3 }),
            operationName: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
            extensions: fc.jsonValue({ maxDepth: 3 }),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.constant(
        '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
      ),
      fc.constant('[{"query": "{ __typename }"}, {"query": "{ apiKeys { id } }"}]'),
    );
    const header = fc.string({
      unit: fc.constantFrom(...'abcxyz/;=+-* .0123456789'.split('')),
      maxLength: 40,
    });
    const headers = fc.record(
      {
        'content-type': fc.oneof(
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'application/graphql-response+json',
            'application/graphql',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
          ),
          header,
        ),
        accept: fc.oneof(
          fc.constantFrom(
            'application/json',
            'text/html',
            'multipart/mixed',
            '*/*',
            'application/graphql-response+json',
          ),
          header,
        ),
        'apollo-require-preflight': fc.constant('true'),
        'x-request-id': header,
        'x-anything': header,
      },
      { requiredKeys: [] },
    );
    const { maxHeldMs } = await measureLoopDelay(() =>
      fc.assert(
        fc.asyncProperty(
          body,
          headers,
          fc.constantFrom('admin', 'viewer', 'gateway'),
          fc.constantFrom<'GET' | 'POST'>('POST', 'POST', 'POST', 'GET'),
          fc.constantFrom(
            '',
            '?trace=1',
            '?query=%7B__typename%7D',
            '?query=%7BapiKeys%7Bid%7D%7D&variables=%7Bx',
          ),
          async (text, extra, role, method, search) => {
            const answer = await send(
              `${service.url}/graphql${search}`,
              method,
              method === 'POST' ? text : undefined,
              { ...extra, authorization: `Bearer ${keys[role]}` },
            );
            expectNamedAnswer(answer, { method, search, extra, text });
          },
        ),
        { numRuns: 700 },
      ),
    );
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });

  it('should refuse every request without a valid key with 401 UNAUTHENTICATED, whatever it holds', async () => {
    const { maxHeldMs } = await measureLoopDelay(() =>
      fc.assert(
        fc.asyncProperty(
          choices,
          fc.oneof(
            fc.constant(undefined),
            fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer purser_x'),
            fc
              .string({
                unit: fc.constantFrom(...'abcdefABCDEF0123456789_-'.split('')),
                maxLength: 60,
              })
              .map((secret) => `Bearer purser_${secret}`),
          ),
          fc.boolean(),
          async (numbers, authorization, compressed) => {
            const { query } = builder.document(new Choices(numbers));
            const json = JSON.stringify({ query });
            const answer = await send(
              `${service.url}/graphql`,
              'POST',
              compressed ? gzipSync(json) : json,
              {
                'content-type': 'application/json',
                ...(authorization === undefined ? {} : { authorization }),
                ...(compressed ? { 'content-encoding': 'gzip' } : {}),
              },
            );
            if (answer.status !== 401) expectNamedAnswer(answer, { authorization, query });
            expect(answer.status).toBe(401);
            expect(
              (answer.body as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions
                .code,
            ).toBe('UNAUTHENTICATED');
          },
        ),
        { numRuns: 500 },
      ),
    );
    expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  });
});

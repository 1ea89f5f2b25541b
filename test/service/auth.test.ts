// What unit tests cannot catch: the bearer key is checked on every GraphQL and REST request
// of a running service, against hashed keys in the database, with stable error codes.
import { hashSecret } from '@purser/api';
import { startPurser, type RunningPurser } from '../support/purser';

describe('authentication and roles', () => {
  let service: RunningPurser;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    service = await startPurser();
    for (const role of ['admin', 'finance', 'viewer', 'gateway'])
      keys[role] = await service.keyFor(role);
  });
  afterAll(() => service.stop());

  const listKeys = '{ apiKeys { id role } }';

  it('should answer UNAUTHENTICATED without a key and with an unknown key', async () => {
    for (const token of [null, 'purser_not-a-real-key']) {
      const result = await service.graphql(listKeys, {}, token);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data).toBeNull();
    }
  });

  it.each([
    ['admin', true],
    ['finance', false],
    ['viewer', false],
    ['gateway', false],
  ])('should let %s manage API keys: %s', async (role, allowed) => {
    const result = await service.graphql<{ createApiKey: { role: string } }>(
      'mutation { createApiKey(name: "made by test", role: "viewer") { id role secret } }',
      {},
      keys[role],
    );
    if (allowed) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.createApiKey.role).toBe('viewer');
    } else {
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('should store only a hash of the secret', async () => {
    const created = await service.graphql<{ createApiKey: { id: string; secret: string } }>(
      'mutation { createApiKey(name: "hashed", role: "viewer") { id secret } }',
    );
    const { id, secret } = created.data!.createApiKey;
    const rows = await service.purser.dataSource.query(
      'SELECT secret_hash FROM api_keys WHERE id = $1',
      [id],
    );
    expect(rows[0].secret_hash).toBe(hashSecret(secret));
    const everything = JSON.stringify(
      await service.purser.dataSource.query('SELECT * FROM api_keys'),
    );
    expect(everything).not.toContain(secret);
  });

  it('should reject an unknown role with BAD_USER_INPUT naming the allowed ones', async () => {
    const result = await service.graphql(
      'mutation { createApiKey(name: "x", role: "root") { id } }',
    );
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toContain('admin, finance, viewer, gateway');
  });

  it('should stop accepting a revoked key at once on this instance', async () => {
    const secret = await service.keyFor('admin');
    const created = await service.graphql<{ apiKeys: { id: string }[] }>(listKeys, {}, secret);
    expect(created.errors).toBeUndefined();
    const ids = created.data!.apiKeys.map((key) => key.id);
    const mine = await service.purser.dataSource.query(
      'SELECT id FROM api_keys WHERE secret_hash = $1',
      [hashSecret(secret)],
    );
    expect(ids).toContain(mine[0].id);
    const revoked = await service.graphql<{ revokeApiKey: boolean }>(
      `mutation { revokeApiKey(id: "${mine[0].id}") }`,
    );
    expect(revoked.data?.revokeApiKey).toBe(true);
    const after = await service.graphql(listKeys, {}, secret);
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('should answer REST without a key with 401 and a JSON body', async () => {
    const response = await fetch(`${service.url}/v1/usage`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('should serve health, readiness and metrics without a key and without secrets', async () => {
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok' },
    });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('purser_http_requests_total');
    expect(metrics).not.toContain(service.adminToken);
  });

  it('should reject queries deeper than the limit with QUERY_TOO_DEEP', async () => {
    // The schema need not be that deep: the depth rule runs with the other validation rules.
    const deep = Array.from({ length: 14 }).reduce<string>((inner) => `apiKeys { ${inner} }`, 'id');
    const result = await service.graphql(`{ ${deep} }`);
    const codes = result.errors?.map((error) => error.extensions?.code);
    expect(codes).toContain('QUERY_TOO_DEEP');
    expect(
      result.errors?.find((error) => error.extensions?.code === 'QUERY_TOO_DEEP')?.message,
    ).toBe('Query depth 15 exceeds the maximum of 12');
  });

  it('should reject an operation too costly for its variables with QUERY_TOO_COMPLEX, the same text with small variables not', async () => {
    const query = `query($first: Int) {
      usageEvents(first: $first) {
        edges { cursor node { id source timestamp model attribution usage cost currency
          breakdown { key quantity unitPrice amount } priceCardId unpriced unpricedKeys ingestPath } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const code = async (first: number) =>
      (await service.graphql(query, { first })).errors?.map((error) => error.extensions?.code);
    // The cost of a document is remembered per variables: asking again must not reuse another's.
    expect(await code(10)).toBeUndefined();
    expect(await code(500)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(await code(10)).toBeUndefined();
    expect(await code(500)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('should refuse variables that do not fit the operation with BAD_USER_INPUT naming the field', async () => {
    const result = await service.graphql(
      'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }',
      { input: { name: 'no period', scope: {}, limit: '1', mode: 'BLOCK' } },
    );
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toContain('"period"');
  });

  it('should refuse a simple cross-site request (CSRF prevention)', async () => {
    const response = await fetch(
      `${service.url}/graphql?query=${encodeURIComponent('{ apiKeys { id } }')}`,
      {
        headers: { authorization: `Bearer ${service.adminToken}` },
      },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('CSRF');
  });
});

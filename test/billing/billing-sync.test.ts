// Billing sources and sync against real Postgres, the providers replayed from their fixtures:
// keys encrypted and never returned, per-adapter sync with the fixtures' per-day totals,
// an idempotent re-sync, a restated line kept visible, start errors for a missing or wrong
// PURSER_SECRET_KEY.
import { loadEnv } from '@purser/api';
import { Money } from '@purser/pricing';
import { spawnCli } from '../support/cli';
import { createTestDatabase } from '../support/database';
import { startPurser, type RunningPurser } from '../support/purser';
import { anthropicCosts, openaiCosts } from './fixtures';
import { startReplay, type Replay } from './replay';

const SECRET = 'a-test-secret-of-at-least-32-characters!!';
const OPENAI_KEY = 'sk-admin-test-OPENAIKEY0123456789';
const ANTHROPIC_KEY = 'sk-ant-admin01-test-ANTHROPICKEY98765';

const CREATE = `mutation($input: BillingSourceInput!) {
  createBillingSource(input: $input) { id provider name baseUrl hasApiKey lastSyncedAt }
}`;
const SYNC = `mutation($id: ID!, $from: DateTime!, $to: DateTime!) {
  syncBillingSource(id: $id, from: $from, to: $to) { linesImported linesUnchanged linesRestated }
}`;

/** The OpenAI costs page, with `restate` applied to a deep copy (a provider's correction). */
function openaiPage(restate: boolean, withdraw = false): unknown {
  const page = openaiCosts() as {
    data: { results: { amount: { value: number } }[] }[];
  };
  if (restate) page.data[0]!.results[2]!.amount.value = 3.4; // gpt-4.1 output of 2026-07-01
  if (withdraw) page.data[0]!.results.pop(); // 2026-07-01's web search
  return page;
}

const emptyLastPage = { object: 'page', data: [], has_more: false, next_page: null };

describe('billing sources and sync', () => {
  let service: RunningPurser;
  let replay: Replay;
  let restate = false;
  let withdraw = false;
  let refuse = false;

  beforeAll(async () => {
    replay = await startReplay((request) => {
      if (refuse) return { status: 401, body: { error: { message: 'invalid admin key' } } };
      if (request.query.has('page')) return { body: emptyLastPage };
      if (request.path.endsWith('/organization/costs'))
        return { body: openaiPage(restate, withdraw) };
      if (request.path.endsWith('/organizations/cost_report')) return { body: anthropicCosts() };
      return { status: 404, body: { error: 'no such fixture' } };
    });
    service = await startPurser({ env: { PURSER_SECRET_KEY: SECRET } });
  });
  afterAll(async () => {
    await service?.stop();
    await replay?.close();
  });

  const db = <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    service.purser.dataSource.query(sql, params);
  const create = async (input: Record<string, unknown>, token?: string) =>
    service.graphql<{ createBillingSource: Record<string, unknown> }>(CREATE, { input }, token);
  const sync = async (id: string, from = '2026-07-01T00:00:00Z', to = '2026-07-03T00:00:00Z') =>
    service.graphql<{ syncBillingSource: Record<string, number> }>(SYNC, { id, from, to });

  it('should store the key encrypted, never return it, and refuse non-admins', async () => {
    const viewer = await service.keyFor('finance');
    const refused = await create({ provider: 'openai', name: 'x', apiKey: OPENAI_KEY }, viewer);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const created = await create({
      provider: 'openai',
      name: 'openai-org',
      baseUrl: `${replay.url}/v1`,
      apiKey: OPENAI_KEY,
    });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createBillingSource).toMatchObject({
      provider: 'openai',
      hasApiKey: true,
      lastSyncedAt: null,
    });
    expect(JSON.stringify(created)).not.toContain(OPENAI_KEY);
    const [row] = await db<{ api_key_ciphertext: string }>(
      `SELECT api_key_ciphertext FROM billing_sources WHERE name = 'openai-org'`,
    );
    expect(row!.api_key_ciphertext).toMatch(/^v1\./);
    expect(row!.api_key_ciphertext).not.toContain(OPENAI_KEY);
    const listed = await service.graphql(`{ billingSources { id name baseUrl hasApiKey } }`);
    expect(JSON.stringify(listed)).not.toContain(OPENAI_KEY);
  });

  it('should update and delete a source, keeping or removing its key', async () => {
    const created = await create({ provider: 'openai', name: 'temp', apiKey: OPENAI_KEY });
    const id = created.data!.createBillingSource.id as string;
    const UPDATE = `mutation($id: ID!, $input: BillingSourceInput!) {
      updateBillingSource(id: $id, input: $input) { name baseUrl effectiveBaseUrl hasApiKey } }`;
    // The stored key is not sent to a new URL unless given again.
    const redirected = await service.graphql(UPDATE, {
      id,
      input: { provider: 'openai', name: 'temp', baseUrl: 'https://proxy.example/v1' },
    });
    expect(redirected.errors?.[0]).toMatchObject({
      message: expect.stringContaining('apiKey: give the API key again to change baseUrl'),
      extensions: { code: 'BAD_USER_INPUT', field: 'apiKey' },
    });
    const renamed = await service.graphql(UPDATE, {
      id,
      input: { provider: 'openai', name: 'temp1' },
    });
    expect(renamed.data).toEqual({
      updateBillingSource: {
        name: 'temp1',
        baseUrl: null,
        effectiveBaseUrl: 'https://api.openai.com/v1',
        hasApiKey: true,
      },
    });
    const kept = await service.graphql(UPDATE, {
      id,
      input: {
        provider: 'openai',
        name: 'temp2',
        baseUrl: 'https://proxy.example/v1',
        apiKey: OPENAI_KEY,
      },
    });
    expect(kept.data).toEqual({
      updateBillingSource: {
        name: 'temp2',
        baseUrl: 'https://proxy.example/v1',
        effectiveBaseUrl: 'https://proxy.example/v1',
        hasApiKey: true,
      },
    });
    const removed = await service.graphql(UPDATE, {
      id,
      input: { provider: 'openai', name: 'temp2', apiKey: '' },
    });
    expect(removed.data).toEqual({
      updateBillingSource: {
        name: 'temp2',
        baseUrl: null,
        effectiveBaseUrl: 'https://api.openai.com/v1',
        hasApiKey: false,
      },
    });
    const missing = await service.graphql(UPDATE, {
      id: 'nope',
      input: { provider: 'openai', name: 'x' },
    });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const DELETE = `mutation($id: ID!) { deleteBillingSource(id: $id) }`;
    expect((await service.graphql(DELETE, { id })).data).toEqual({ deleteBillingSource: true });
    expect((await service.graphql(DELETE, { id })).data).toEqual({ deleteBillingSource: false });
  });

  it('should name a bad input field', async () => {
    const bad = await create({ provider: 'nope', name: 'n' });
    expect(bad.errors?.[0]?.message).toMatch(/provider: unknown billing provider/);
    const url = await create({ provider: 'openai', name: 'n', baseUrl: 'ftp://x' });
    expect(url.errors?.[0]?.message).toMatch(/baseUrl/);
    const file = await create({ provider: 'focus', name: 'n', apiKey: 'k' });
    expect(file.errors?.[0]?.message).toMatch(/take no apiKey/);
  });

  it('should sync OpenAI idempotently and keep a restated line visible', async () => {
    const { data } = await service.graphql<{ billingSources: { id: string; name: string }[] }>(
      `{ billingSources { id name } }`,
    );
    const id = data!.billingSources.find((source) => source.name === 'openai-org')!.id;
    const first = await sync(id);
    expect(first.errors).toBeUndefined();
    expect(first.data!.syncBillingSource).toEqual({
      linesImported: 18,
      linesUnchanged: 0,
      linesRestated: 0,
    });
    const costsRequest = replay.requests.find(
      (request) => request.path === '/v1/organization/costs',
    );
    expect(costsRequest?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);

    // The fixtures' per-day totals (README-providers.md), web search included.
    const totals = await db<{ day: string; project: string; total: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, project, sum(amount)::text AS total
       FROM provider_cost_lines WHERE source_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [id],
    );
    expect(totals.map((row) => [row.day, row.project, new Money(row.total).toFixed()])).toEqual([
      ['2026-07-01', 'proj_L2mP7sT9vX1zC4bN6hJ8kQ0w', '5.48354335'],
      ['2026-07-01', 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF', '14.9982688'],
      ['2026-07-02', 'proj_L2mP7sT9vX1zC4bN6hJ8kQ0w', '3.48350955'],
      ['2026-07-02', 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF', '15.5027192'],
    ]);

    expect((await sync(id)).data!.syncBillingSource).toEqual({
      linesImported: 0,
      linesUnchanged: 18,
      linesRestated: 0,
    });
    restate = true;
    try {
      expect((await sync(id)).data!.syncBillingSource).toEqual({
        linesImported: 0,
        linesUnchanged: 17,
        linesRestated: 1,
      });
    } finally {
      restate = false;
    }
    const restated = await db<Record<string, string | null>>(
      `SELECT amount::text AS amount, previous_amount::text AS previous, restated_at::text AS at
       FROM provider_cost_lines WHERE source_id = $1 AND restated_at IS NOT NULL`,
      [id],
    );
    expect(restated).toEqual([{ amount: '3.4', previous: '3.303016', at: expect.any(String) }]);
    const count = await db<{ n: string }>(
      `SELECT count(*)::text AS n FROM provider_cost_lines WHERE source_id = $1`,
      [id],
    );
    expect(count[0]!.n).toBe('18');
    const { data: after } = await service.graphql<{ billingSources: { lastSyncedAt: string }[] }>(
      `{ billingSources { lastSyncedAt } }`,
    );
    expect(after!.billingSources[0]!.lastSyncedAt).not.toBeNull();
    // A line the provider no longer returns for a day the sync covered whole: restated to 0.
    withdraw = true;
    try {
      // The restated output line is back to its first amount, the web search line is gone.
      expect((await sync(id)).data!.syncBillingSource).toEqual({
        linesImported: 0,
        linesUnchanged: 16,
        linesRestated: 2,
      });
    } finally {
      withdraw = false;
    }
    const withdrawn = await db<Record<string, string>>(
      `SELECT amount::text AS amount, previous_amount::text AS previous FROM provider_cost_lines
       WHERE source_id = $1 AND cost_type = 'web_search'`,
      [id],
    );
    expect(withdrawn).toEqual([{ amount: '0', previous: '2.14' }]);
    // The web search line comes back: the fixture's amounts again for the other tests.
    expect((await sync(id)).data!.syncBillingSource).toMatchObject({ linesRestated: 1 });
  });

  it('should sync Anthropic (amounts in cents) to the fixtures per-day totals', async () => {
    const created = await create({
      provider: 'anthropic',
      name: 'anthropic-org',
      baseUrl: replay.url,
      apiKey: ANTHROPIC_KEY,
    });
    const id = created.data!.createBillingSource.id as string;
    const result = await sync(id);
    expect(result.errors).toBeUndefined();
    expect(result.data!.syncBillingSource.linesImported).toBe(24);
    const totals = await db<{ day: string; project: string | null; total: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, project, sum(amount)::text AS total
       FROM provider_cost_lines WHERE source_id = $1 GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST`,
      [id],
    );
    expect(totals.map((row) => [row.day, row.project, new Money(row.total).toFixed()])).toEqual([
      ['2026-07-01', 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ', '26.9119953'],
      ['2026-07-01', null, '2.134911'],
      ['2026-07-02', 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ', '27.9752178'],
      ['2026-07-02', null, '1.937025'],
    ]);
  });

  it('should sync from the CLI, and refuse to without the secret', async () => {
    const database = { DATABASE_URL: service.database.url! };
    const { data } = await service.graphql<{ billingSources: { id: string; name: string }[] }>(
      `{ billingSources { id name } }`,
    );
    const id = data!.billingSources.find((source) => source.name === 'anthropic-org')!.id;
    const args = ['billing', 'sync', '--source', id, '--from', '2026-07-01', '--to', '2026-07-03'];
    const run = await spawnCli(args, { ...database, PURSER_SECRET_KEY: SECRET });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('anthropic-org (anthropic): 0 imported, 24 unchanged, 0 restated\n');
    const refused = await spawnCli(args, database);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/PURSER_SECRET_KEY is not set/);
    expect(refused.stderr + refused.stdout).not.toContain(ANTHROPIC_KEY);
    const bad = await spawnCli(['billing', 'sync', '--from', '2026-07-01'], database);
    expect(bad.code).toBe(64);
  });

  it('should answer a refused key with a clear error that never holds the key', async () => {
    const created = await create({
      provider: 'openai',
      name: 'openai-refused',
      baseUrl: replay.url,
      apiKey: OPENAI_KEY,
    });
    refuse = true;
    try {
      const result = await sync(created.data!.createBillingSource.id as string);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(/401/);
      expect(JSON.stringify(result)).not.toContain(OPENAI_KEY);
    } finally {
      refuse = false;
    }
  });
});

describe('PURSER_SECRET_KEY at start', () => {
  it('should refuse to start without the secret, or with another one, once a key is stored', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startPurser({ database, env: { PURSER_SECRET_KEY: SECRET } });
      const created = await first.graphql(CREATE, {
        input: { provider: 'openai', name: 'org', apiKey: OPENAI_KEY },
      });
      expect(created.errors).toBeUndefined();
      await first.stop();
      await expect(startPurser({ database })).rejects.toThrow(
        /PURSER_SECRET_KEY is not set, but billing source "org" has an API key/,
      );
      await expect(
        startPurser({ database, env: { PURSER_SECRET_KEY: `${SECRET}-but-another` } }),
      ).rejects.toThrow(/PURSER_SECRET_KEY cannot decrypt the API key of billing source "org"/);
      const again = await startPurser({ database, env: { PURSER_SECRET_KEY: SECRET } });
      await again.stop();
    } finally {
      await database.drop();
    }
  });

  it('should refuse a secret shorter than 32 characters', () => {
    expect(() => loadEnv({ PURSER_SECRET_KEY: 'short' })).toThrow(
      /PURSER_SECRET_KEY: must be at least 32 characters/,
    );
  });
});

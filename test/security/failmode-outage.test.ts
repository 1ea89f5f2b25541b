// What unit tests cannot catch: a production-mode instance whose Postgres goes away for longer
// than its API-key cache lives. A key verified before the outage keeps working through it
// (for PURSER_AUTH_STALE_SECONDS at most), decisions follow PURSER_FAIL_MODE, a key that was
// never verified cannot be (503, not 401 or 500), ingest answers 503 with Retry-After, and a
// revocation made meanwhile applies at the first read once the database answers again.
import {
  pennyTeamBudget,
  postDecisionInput,
  postUsageJson,
  recentUsage,
} from '../support/decisions';
import { hasPostgres, queryDatabase } from '../support/database';
import { startPurserBehindProxy, type ProxiedPurser } from '../support/proxied-purser';
import { type RunningPurser } from '../support/purser';

const MODEL = 'failmode-penny';
/** The key cache of these instances lives this long, so a test waits past it quickly. */
const KEY_CACHE_MS = 300;

interface Outage extends ProxiedPurser {
  gateway: string;
  team: string;
}

async function throughProxy(env: Record<string, string>): Promise<Outage> {
  const proxied = await startPurserBehindProxy({
    NODE_ENV: 'production',
    PURSER_AUTH_CACHE_MS: String(KEY_CACHE_MS),
    ...env,
  });
  const gateway = await proxied.service.keyFor('gateway');
  const team = await pennyTeamBudget(proxied.service, MODEL, 'outage');
  return { ...proxied, gateway, team };
}

const input = (team: string) => ({
  provider: 'openai',
  model: MODEL,
  attribution: { team },
  estimated_input_tokens: 1000,
  max_output_tokens: 10,
});

async function restAuthorize(service: RunningPurser, token: string, team: string) {
  const response = await postDecisionInput(service, token, input(team));
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as {
      code?: string;
      message?: string;
      result?: { allow: boolean; action: string; reasons: { code: string }[] };
    },
  };
}

async function graphql(service: RunningPurser, token: string, query: string, variables = {}) {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

const AUTHORIZE = `mutation($request: AuthorizeInput!) {
  authorize(request: $request) { allow action reasons { code } reservation { id } }
}`;

const graphqlAuthorize = (service: RunningPurser, token: string, team: string) =>
  graphql(service, token, AUTHORIZE, {
    request: {
      provider: 'openai',
      model: MODEL,
      attribution: { team },
      estimatedInputTokens: 1000,
      maxOutputTokens: 10,
    },
  });

async function postUsage(service: RunningPurser, token: string, team: string) {
  const response = await postUsageJson(service, token, [recentUsage(MODEL, { team }, 10)]);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { code?: string },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codes = (reasons: { code: string }[] | undefined) => reasons?.map((reason) => reason.code);

/**
 * Verifies the key on both paths, cuts Postgres and waits past the key cache; answers when
 * the key was last verified.
 */
async function verifyThenCut({ service, gateway, team, proxy }: Outage): Promise<number> {
  expect((await restAuthorize(service, gateway, team)).body.result?.allow).toBe(true);
  expect((await graphqlAuthorize(service, gateway, team)).body.data).toBeTruthy();
  const verifiedAt = Date.now();
  await proxy.cut();
  await sleep(KEY_CACHE_MS * 4);
  return verifiedAt;
}

describe('PURSER_FAIL_MODE through a Postgres outage longer than the key cache', () => {
  if (!hasPostgres) {
    it.skip('needs a Postgres server to cut (PGlite runs in-process)', () => {});
    return;
  }

  it('should deny with purser_unavailable (fail_closed), answer 503 to ingest and to unknown keys, and apply a revocation once the database answers', async () => {
    const outage = await throughProxy({});
    const { service, gateway, team } = outage;
    try {
      // The key is verified on both paths before the cut.
      await verifyThenCut(outage);

      const rest = await restAuthorize(service, gateway, team);
      expect(rest.status).toBe(200);
      expect(rest.body.result).toMatchObject({ allow: false, action: 'deny' });
      expect(codes(rest.body.result?.reasons)).toEqual(['purser_unavailable']);

      const viaGraphql = await graphqlAuthorize(service, gateway, team);
      expect(viaGraphql.status).toBe(200);
      expect(viaGraphql.body.data?.authorize).toMatchObject({
        allow: false,
        action: 'DENY',
        reservation: null,
      });

      const usage = await postUsage(service, gateway, team);
      expect(usage).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
      expect(Number(usage.retryAfter)).toBeGreaterThan(0);

      const ingest = await graphql(
        service,
        gateway,
        'mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }',
        {
          events: [recentUsage(MODEL, { team }, 10)],
        },
      );
      expect(ingest.status).toBe(503);
      expect(Number(ingest.retryAfter)).toBeGreaterThan(0);
      expect(ingest.body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

      // A key this replica never verified cannot be verified now: 503, not 401 or 500.
      const stranger = await restAuthorize(service, 'purser_never-seen-before', team);
      expect(stranger).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
      expect(Number(stranger.retryAfter)).toBeGreaterThan(0);
      const strangerGraphql = await graphqlAuthorize(service, 'purser_never-seen-before', team);
      expect(strangerGraphql.status).toBe(503);
      expect(strangerGraphql.body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

      // Another replica revokes the key while this one cannot reach the database.
      await queryDatabase(
        outage.database.url!,
        `UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND role = 'gateway'`,
      );
      expect(codes((await restAuthorize(service, gateway, team)).body.result?.reasons)).toEqual([
        'purser_unavailable',
      ]);
      await outage.proxy.restore();
      const revoked = await restAuthorize(service, gateway, team);
      expect(revoked).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    } finally {
      await outage.close();
    }
  }, 60_000);

  it('should allow with fail_open through the outage, and stop trusting the key after PURSER_AUTH_STALE_SECONDS', async () => {
    const outage = await throughProxy({
      PURSER_FAIL_MODE: 'fail_open',
      PURSER_AUTH_STALE_SECONDS: '3',
    });
    const { service, gateway, team } = outage;
    try {
      const verifiedAt = await verifyThenCut(outage);

      const rest = await restAuthorize(service, gateway, team);
      expect(rest.status).toBe(200);
      expect(rest.body.result).toMatchObject({ allow: true, action: 'warn' });
      expect(codes(rest.body.result?.reasons)).toEqual(['fail_open']);
      const viaGraphql = await graphqlAuthorize(service, gateway, team);
      expect(viaGraphql.body.data?.authorize).toMatchObject({ allow: true, action: 'WARN' });

      // Past the bound the key is no longer vouched for.
      await sleep(Math.max(0, verifiedAt + 3_500 - Date.now()));
      const stale = await restAuthorize(service, gateway, team);
      expect(stale).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
      expect(Number(stale.retryAfter)).toBeGreaterThan(0);

      // Back: the key works again as soon as it can be read.
      await outage.proxy.restore();
      expect((await restAuthorize(service, gateway, team)).body.result?.allow).toBe(true);
    } finally {
      await outage.close();
    }
  }, 60_000);
});

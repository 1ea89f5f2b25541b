// What unit tests cannot catch: swapping the policy of a running service under load. Every
// request in flight must still be answered, each by exactly one revision (the old before the
// swap, the new after), and the new data must take effect at once — through GraphQL and
// through the bundle file watcher.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_BUNDLE_PATH, repackBundle } from '@purser/policy/testing';
import { AUTHORIZE, createBudget, type DecisionAnswer } from '../support/decisions';
import { eventually } from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';

const ACTIVATE = `mutation($bundle: String!) {
  activatePolicyBundle(bundle: $bundle) { revision sha256 activatedAt previousRevision }
}`;
const POLICY_BUNDLE = `{ policyBundle { revision sha256 activatedAt } }`;

interface BundleInfo {
  revision: string;
  sha256: string;
  activatedAt: string;
  previousRevision?: string | null;
}

/** A copy of the default bundle whose data denies `model` to `team`, under a new revision. */
function denyingBundle(original: Buffer, team: string, model: string, revision: string): Buffer {
  return repackBundle(original, {
    revision,
    data: (data) => {
      const copy = structuredClone(data) as {
        purser: { config: { models: { teams: Record<string, unknown> } } };
      };
      copy.purser.config.models.teams[team] = { deny: [model] };
      return copy;
    },
  });
}

describe('policy hot swap', () => {
  let service: RunningPurser;
  let gateway: string;
  let original: Buffer;
  beforeAll(async () => {
    original = await readFile(DEFAULT_BUNDLE_PATH);
    service = await startPurser({ env: { PURSER_POLICY_WATCH: 'false' } });
    gateway = await service.keyFor('gateway');
  });
  afterAll(() => service.stop());

  const activeRevision = async () => {
    const result = await service.graphql<{ policyBundle: BundleInfo }>(POLICY_BUNDLE);
    return result.data!.policyBundle.revision;
  };

  it('should answer every request during a swap, each by one revision, the new data at once', async () => {
    const team = `t-${randomBytes(5).toString('hex')}`;
    const model = 'gpt-4o-mini';
    // Holds are placed on every allowed call, as in production.
    await createBudget(service, {
      name: `swap ${team}`,
      scope: { team },
      period: 'MONTHLY',
      limit: '1000000',
      mode: 'BLOCK',
    });
    const oldRevision = await activeRevision();
    const newRevision = `swap-${randomBytes(4).toString('hex')}`;
    const bundle = denyingBundle(original, team, model, newRevision);

    const total = 300;
    const concurrency = 12;
    const calls: {
      started: number;
      ended: number;
      status: number;
      errors?: unknown;
      decision?: DecisionAnswer;
    }[] = [];
    let activationSent = Infinity;
    let activationDone = Infinity;
    let activation: Promise<unknown> | undefined;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next += 1;
        if (next === 100) {
          activationSent = performance.now();
          activation = service
            .graphql<{ activatePolicyBundle: BundleInfo }>(ACTIVATE, {
              bundle: bundle.toString('base64'),
            })
            .then((result) => {
              activationDone = performance.now();
              return result;
            });
        }
        const started = performance.now();
        const response = await fetch(`${service.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
          body: JSON.stringify({
            query: AUTHORIZE,
            variables: {
              request: {
                provider: 'openai',
                model,
                attribution: { team, environment: 'production' },
                estimatedInputTokens: 200,
                maxOutputTokens: 100,
              },
            },
          }),
        });
        const body = (await response.json()) as {
          data?: { authorize: DecisionAnswer };
          errors?: unknown;
        };
        calls.push({
          started,
          ended: performance.now(),
          status: response.status,
          errors: body.errors,
          decision: body.data?.authorize,
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const activated = (await activation) as { data?: { activatePolicyBundle: BundleInfo } };

    expect(activated.data?.activatePolicyBundle).toMatchObject({
      revision: newRevision,
      previousRevision: oldRevision,
    });
    expect(calls).toHaveLength(total);
    expect(calls.filter((call) => call.status !== 200 || call.errors || !call.decision)).toEqual(
      [],
    );
    for (const call of calls) {
      const decision = call.decision!;
      if (decision.policyRevision === oldRevision) {
        expect({ action: decision.action, reservation: Boolean(decision.reservation) }).toEqual({
          action: 'ALLOW',
          reservation: true,
        });
      } else {
        expect(decision.policyRevision).toBe(newRevision);
        expect(decision).toMatchObject({
          allow: false,
          action: 'DENY',
          reservation: null,
          reasons: [{ code: 'model_not_allowed' }],
        });
      }
      if (call.ended < activationSent) expect(decision.policyRevision).toBe(oldRevision);
      if (call.started > activationDone) expect(decision.policyRevision).toBe(newRevision);
    }
    const revisions = calls.map((call) => call.decision!.policyRevision);
    expect(revisions.filter((revision) => revision === oldRevision).length).toBeGreaterThan(90);
    expect(revisions.filter((revision) => revision === newRevision).length).toBeGreaterThan(90);
    expect(await activeRevision()).toBe(newRevision);
    // The log records the revision each decision was taken under (written every 25 ms).
    await service.purser.services.decisionLog.flush();
    const logged = await service.purser.dataSource.query(
      `SELECT policy_revision, action, count(*)::int AS n FROM decisions
        WHERE attribution->>'team' = $1 GROUP BY 1, 2 ORDER BY 1`,
      [team],
    );
    expect(logged).toEqual(
      expect.arrayContaining([
        {
          policy_revision: oldRevision,
          action: 'allow',
          n: revisions.filter((r) => r === oldRevision).length,
        },
        {
          policy_revision: newRevision,
          action: 'deny',
          n: revisions.filter((r) => r === newRevision).length,
        },
      ]),
    );
  });

  it.each([
    ['bytes that are not a tarball', () => Buffer.from('not a policy bundle at all')],
    [
      'a bundle whose policy.wasm is garbage',
      () =>
        repackBundle(original, {
          revision: 'broken-wasm',
          members: { '/policy.wasm': Buffer.from('\0asm garbage') },
        }),
    ],
    [
      'a bundle whose data.json is not JSON',
      () =>
        repackBundle(original, {
          revision: 'broken-data',
          members: { '/data.json': Buffer.from('{"purser": ') },
        }),
    ],
  ])('should refuse %s with BAD_USER_INPUT and keep the active revision', async (_name, make) => {
    const before = await service.graphql<{ policyBundle: BundleInfo }>(POLICY_BUNDLE);
    const result = await service.graphql(ACTIVATE, { bundle: make().toString('base64') });
    expect(result.data).toBeFalsy();
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const after = await service.graphql<{ policyBundle: BundleInfo }>(POLICY_BUNDLE);
    expect(after.data!.policyBundle).toEqual(before.data!.policyBundle);
    // Decisions keep being taken under the active revision.
    const decided = await service.graphql<{ simulateDecision: DecisionAnswer }>(
      AUTHORIZE.replace('mutation', 'query').replace('authorize(', 'simulateDecision('),
      {
        request: {
          provider: 'openai',
          model: 'gpt-4o',
          estimatedInputTokens: 10,
          maxOutputTokens: 10,
        },
      },
    );
    expect(decided.data?.simulateDecision.policyRevision).toBe(before.data!.policyBundle.revision);
  });

  it.each(['gateway', 'finance', 'viewer'])(
    'should refuse activation by a %s key with FORBIDDEN',
    async (role) => {
      const before = await activeRevision();
      const token = await service.keyFor(role);
      const bundle = repackBundle(original, { revision: `forbidden-${role}` });
      const result = await service.graphql(ACTIVATE, { bundle: bundle.toString('base64') }, token);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await activeRevision()).toBe(before);
    },
  );

  it('should answer UNAUTHENTICATED without a key', async () => {
    const result = await service.graphql(ACTIVATE, { bundle: original.toString('base64') }, null);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('policy bundle file watcher', () => {
  let directory: string;
  let service: RunningPurser;
  let bundlePath: string;
  let original: Buffer;
  beforeAll(async () => {
    original = await readFile(DEFAULT_BUNDLE_PATH);
    directory = await mkdtemp(join(tmpdir(), 'purser-policy-'));
    bundlePath = join(directory, 'bundle.tar.gz');
    await writeFile(bundlePath, original);
    service = await startPurser({
      env: { PURSER_POLICY_BUNDLE: bundlePath, PURSER_POLICY_WATCH: 'true' },
    });
  });
  afterAll(async () => {
    await service.stop();
    await rm(directory, { recursive: true, force: true });
  });

  const bundleInfo = async () =>
    (await service.graphql<{ policyBundle: BundleInfo }>(POLICY_BUNDLE)).data!.policyBundle;
  const simulate = async (team: string, model: string) =>
    (
      await service.graphql<{ simulateDecision: DecisionAnswer }>(
        AUTHORIZE.replace('mutation', 'query').replace('authorize(', 'simulateDecision('),
        {
          request: {
            provider: 'openai',
            model,
            attribution: { team, environment: 'production' },
            estimatedInputTokens: 10,
            maxOutputTokens: 10,
          },
        },
      )
    ).data!.simulateDecision;

  /** Writes beside the watched file, then renames over it: what a deploy tool does. */
  const replaceAtomically = async (content: Buffer) => {
    const staging = join(directory, `.bundle-${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(staging, content);
    await rename(staging, bundlePath);
  };

  it('should swap to a bundle atomically renamed over the watched file', async () => {
    const before = await bundleInfo();
    const team = `t-${randomBytes(5).toString('hex')}`;
    expect(await simulate(team, 'gpt-4o')).toMatchObject({ action: 'ALLOW' });
    const revision = `watched-${randomBytes(4).toString('hex')}`;
    await replaceAtomically(denyingBundle(original, team, 'gpt-4o', revision));
    const after = await eventually(async () => {
      const info = await bundleInfo();
      expect(info.revision).toBe(revision);
      return info;
    }, 15_000);
    expect(after.sha256).not.toBe(before.sha256);
    expect(Date.parse(after.activatedAt)).toBeGreaterThan(Date.parse(before.activatedAt));
    expect(await simulate(team, 'gpt-4o')).toMatchObject({
      action: 'DENY',
      policyRevision: revision,
      reasons: [{ code: 'model_not_allowed' }],
    });
  });

  it('should keep the active bundle when a corrupt file replaces it', async () => {
    const before = await bundleInfo();
    await replaceAtomically(Buffer.from('half-written garbage'));
    // The watcher debounces 200 ms; give it well past that to (wrongly) swap.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await bundleInfo()).toEqual(before);
    const revision = `recovered-${randomBytes(4).toString('hex')}`;
    await replaceAtomically(repackBundle(original, { revision }));
    await eventually(async () => expect((await bundleInfo()).revision).toBe(revision), 15_000);
  });
});

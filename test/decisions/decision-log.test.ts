// What unit tests cannot catch: the decision log as the service writes it. Every decision —
// GraphQL authorize, simulateDecision and the OPA-compatible REST path — lands in the
// decisions table (batched off the hot path) and is queryable through `decisions` with
// filters and cursors, and is published on purser.decisions.v1 in the contract's shape.
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { DECISIONS_SUBJECT, decisionLoggedSchema, type DecisionLogged } from '@purser/adapters';
import {
  authorize,
  postDecisionInput,
  pennyBudget,
  SIMULATE,
  type DecisionAnswer,
} from '../support/decisions';
import { connectNats, eventually } from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';

const DECISIONS = `query($filter: DecisionFilter, $first: Int, $after: String) {
  decisions(filter: $filter, first: $first, after: $after) {
    edges { cursor node {
      decisionId createdAt path provider requestedModel model action allow attribution request
      reasons { code message budgetId } estimatedCost reservationId policyRevision latencyMs
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface LoggedNode {
  decisionId: string;
  createdAt: string;
  path: string;
  provider: string;
  requestedModel: string;
  model: string;
  action: string;
  allow: boolean;
  attribution: Record<string, string>;
  request: Record<string, unknown>;
  reasons: { code: string; message: string; budgetId: string | null }[];
  estimatedCost: string | null;
  reservationId: string | null;
  policyRevision: string;
  latencyMs: number;
}

interface Page {
  edges: { cursor: string; node: LoggedNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const withNats = Boolean(process.env.NATS_URL);

describe('decision log', () => {
  let service: RunningPurser;
  let gateway: string;
  let revision: string;
  let nats: NatsConnection | undefined;
  let subscription: Subscription | undefined;
  const published: unknown[] = [];
  const model = `log-model-${randomBytes(4).toString('hex')}`;
  const team = `t-${randomBytes(5).toString('hex')}`;
  const otherTeam = `t-${randomBytes(5).toString('hex')}`;
  let budgetId: string;
  /** The decisions taken, oldest first. */
  const taken: { path: string; decisionId: string; reservationId: string | null }[] = [];

  const request = (attributionTeam = team) => ({
    provider: 'openai',
    model,
    attribution: { team: attributionTeam, feature: 'log', environment: 'production' },
    estimatedInputTokens: 1000,
    maxOutputTokens: 300,
  });

  const page = async (variables: Record<string, unknown>) => {
    const result = await service.graphql<{ decisions: Page }>(DECISIONS, variables);
    if (!result.data) throw new Error(`decisions failed: ${JSON.stringify(result.errors)}`);
    return result.data.decisions;
  };

  beforeAll(async () => {
    service = await startPurser({ nats: true });
    gateway = await service.keyFor('gateway');
    if (withNats) {
      nats = await connectNats();
      subscription = nats.subscribe(DECISIONS_SUBJECT, {
        callback: (error, message) => {
          if (!error) published.push(message.json());
        },
      });
      await nats.flush();
    }
    budgetId = await pennyBudget(service, model, {
      name: `log ${team}`,
      team,
      period: 'MONTHLY',
      limit: '0.025',
    });
    revision = (
      await service.graphql<{ policyBundle: { revision: string } }>('{ policyBundle { revision } }')
    ).data!.policyBundle.revision;

    // simulate (allow, nothing held) → authorize ×2 (allow, $0.01 held each) → REST (deny).
    const simulated = await service.graphql<{ simulateDecision: DecisionAnswer }>(
      SIMULATE,
      { request: request() },
      gateway,
    );
    taken.push({
      path: 'simulate',
      decisionId: simulated.data!.simulateDecision.decisionId,
      reservationId: null,
    });
    for (let i = 0; i < 2; i += 1) {
      const decision = await authorize(service, request(), gateway);
      taken.push({
        path: 'graphql',
        decisionId: decision.decisionId,
        reservationId: decision.reservation!.id,
      });
    }
    const response = await postDecisionInput(service, gateway, {
      provider: 'openai',
      model,
      attribution: { team, feature: 'log', environment: 'production' },
      estimated_input_tokens: 1000,
      max_output_tokens: 300,
    });
    const rest = (await response.json()) as { decision_id: string };
    taken.push({ path: 'rest', decisionId: rest.decision_id, reservationId: null });
    // One decision of another team, which the team filter must leave out.
    await authorize(service, request(otherTeam), gateway);
  });
  afterAll(async () => {
    await subscription?.drain();
    await nats?.close();
    await service.stop();
  });

  it('should record every path with its revision, reasons, reservation and latency', async () => {
    const { edges } = await page({ filter: { team }, first: 10 });
    // Newest first.
    expect(edges.map((edge) => [edge.node.path, edge.node.decisionId])).toEqual(
      [...taken].reverse().map((decision) => [decision.path, decision.decisionId]),
    );
    const [rest, second, first, simulated] = edges.map((edge) => edge.node);
    expect(rest).toMatchObject({
      provider: 'openai',
      requestedModel: model,
      model,
      action: 'DENY',
      allow: false,
      reasons: [{ code: 'budget_exceeded', budgetId }],
      reservationId: null,
      policyRevision: revision,
      attribution: { team, feature: 'log', environment: 'production' },
      request: expect.objectContaining({ estimated_input_tokens: 1000, max_output_tokens: 300 }),
    });
    for (const [node, taken_] of [
      [first, taken[1]],
      [second, taken[2]],
    ] as const) {
      expect(node).toMatchObject({
        action: 'ALLOW',
        allow: true,
        reasons: [],
        estimatedCost: '0.01',
        reservationId: taken_!.reservationId,
        policyRevision: revision,
      });
    }
    expect(simulated).toMatchObject({
      action: 'ALLOW',
      estimatedCost: '0.01',
      reservationId: null,
      policyRevision: revision,
    });
    for (const node of edges.map((edge) => edge.node)) {
      expect(node.latencyMs).toBeGreaterThan(0);
      expect(node.latencyMs).toBeLessThan(10_000);
      expect(Math.abs(Date.parse(node.createdAt) - Date.now())).toBeLessThan(120_000);
    }
  });

  it('should page through a team with cursors, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    do {
      const result: Page = await page({ filter: { team }, first: 3, after });
      seen.push(...result.edges.map((edge) => edge.node.decisionId));
      hasNext.push(result.pageInfo.hasNextPage);
      after = result.pageInfo.hasNextPage ? result.pageInfo.endCursor : null;
    } while (after);
    expect(hasNext).toEqual([true, false]);
    expect(seen).toEqual([...taken].reverse().map((decision) => decision.decisionId));
  });

  it.each([
    ['DENY', ['rest']],
    ['ALLOW', ['graphql', 'graphql', 'simulate']],
    ['WARN', []],
  ])('should filter the team by action %s', async (action, paths) => {
    const { edges } = await page({ filter: { team, action }, first: 10 });
    expect(edges.map((edge) => edge.node.path)).toEqual(paths);
  });

  it('should keep other teams out of a team filter and find them with theirs', async () => {
    const { edges } = await page({ filter: { team: otherTeam } });
    expect(edges.map((edge) => [edge.node.path, edge.node.attribution.team])).toEqual([
      ['graphql', otherTeam],
    ]);
  });

  it('should decide and log a request whose attribution and metadata hold a lone surrogate, written as U+FFFD, with its batch', async () => {
    const lone = `${otherTeam}-\ud800`;
    const answers = await Promise.all(
      [lone, otherTeam].map((attributionTeam) =>
        authorize(
          service,
          { ...request(attributionTeam), metadata: { note: attributionTeam } },
          gateway,
        ),
      ),
    );
    await service.purser.services.decisionLog.flush();
    const rows: { id: string; team: string; note: string }[] =
      await service.purser.dataSource.query(
        `SELECT id, attribution->>'team' AS team, request->'metadata'->>'note' AS note
         FROM decisions WHERE id = ANY($1::text[])`,
        [answers.map((answer) => answer.decisionId)],
      );
    expect(new Map(rows.map((row) => [row.id, [row.team, row.note]]))).toEqual(
      new Map([
        [answers[0]!.decisionId, [`${otherTeam}-\ufffd`, `${otherTeam}-\ufffd`]],
        [answers[1]!.decisionId, [otherTeam, otherTeam]],
      ]),
    );
  });

  it('should refuse the log to a gateway key', async () => {
    const result = await service.graphql(DECISIONS, { first: 1 }, gateway);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  (withNats ? it : it.skip)(
    'should publish each decision on purser.decisions.v1 in the contract shape (needs NATS_URL)',
    async () => {
      const ours = await eventually(() => {
        const found = published.filter((payload) =>
          taken.some(
            (decision) => decision.decisionId === (payload as { decision_id?: string }).decision_id,
          ),
        );
        expect(found).toHaveLength(taken.length);
        return found;
      }, 10_000);
      const byId = new Map<string, DecisionLogged>(
        ours.map((payload) => {
          const parsed = decisionLoggedSchema.parse(payload);
          return [parsed.decision_id, parsed];
        }),
      );
      const [simulated, first, second, rest] = taken.map((decision) =>
        byId.get(decision.decisionId)!,
      );
      const common = {
        request: {
          provider: 'openai',
          model,
          attribution: { team, feature: 'log', environment: 'production' },
          estimated_input_tokens: 1000,
          max_output_tokens: 300,
        },
        model,
        max_output_tokens: 300,
        policy_revision: revision,
      };
      expect(simulated).toMatchObject({
        ...common,
        allow: true,
        action: 'allow',
        simulated: true,
        estimated_cost: { amount: '0.01', currency: 'USD' },
      });
      expect(simulated!.reservation_id).toBeUndefined();
      for (const [payload, decision] of [
        [first, taken[1]],
        [second, taken[2]],
      ] as const) {
        expect(payload).toMatchObject({
          ...common,
          allow: true,
          action: 'allow',
          simulated: false,
          reservation_id: decision!.reservationId,
          reasons: [],
        });
      }
      expect(rest).toMatchObject({
        ...common,
        allow: false,
        action: 'deny',
        simulated: false,
        reasons: [{ code: 'budget_exceeded', budget_id: budgetId }],
      });
      for (const payload of byId.values()) {
        expect(payload.latency_ms).toBeGreaterThan(0);
        expect(Number.isNaN(Date.parse(payload.decided_at))).toBe(false);
      }
    },
  );
});

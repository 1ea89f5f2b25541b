import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission, holdKeyOf } from '../auth/api-key.service';
import { badInput, PurserError } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { decodeCursor, pageSize, toPage } from '../graphql/pagination';
import { toWireAttribution } from '../attribution/attribution';
import type { AuthorizeRequest, Decision as DecisionValue } from './authorize.service';
import { validateAuthorizeRequest } from './authorize-input';
import {
  AuthorizeInput,
  Decision,
  DecisionAction,
  DecisionConnection,
  DecisionFilter,
  DecisionRecordNode,
  PolicyBundleInfo,
} from './decision.types';

export function toAuthorizeRequest(input: AuthorizeInput): AuthorizeRequest {
  const request: AuthorizeRequest = {
    provider: input.provider,
    model: input.model,
    attribution: toWireAttribution(input.attribution),
    virtualKey: input.virtualKey ?? undefined,
    estimatedInputTokens: input.estimatedInputTokens,
    maxOutputTokens: input.maxOutputTokens,
    metadata: input.metadata ?? undefined,
  };
  // A request may not claim a virtual key id in its attribution: only a presented secret binds one.
  delete request.attribution.virtual_key;
  const problem = validateAuthorizeRequest(request);
  if (problem) throw badInput(`request.${problem}`);
  return request;
}

export function toDecisionObject(decision: DecisionValue): Decision {
  return { ...decision, action: decision.action as DecisionAction };
}

@Resolver()
export class DecisionResolver {
  @Mutation(() => Decision, {
    description: 'Decides and, when allowed, holds the worst-case cost on every applicable budget.',
  })
  async authorize(
    @Arg('request', () => AuthorizeInput) request: AuthorizeInput,
    @Ctx() context: GraphQLContext,
  ): Promise<Decision> {
    const principal = assertPermission(context.principal, 'decisions.authorize');
    return toDecisionObject(
      await context.services.authorizer.authorize(
        toAuthorizeRequest(request),
        principal,
        'graphql',
      ),
    );
  }

  @Query(() => Decision, {
    description: 'What authorize would answer now, without holding anything.',
  })
  async simulateDecision(
    @Arg('request', () => AuthorizeInput) request: AuthorizeInput,
    @Ctx() context: GraphQLContext,
  ): Promise<Decision> {
    const principal = assertPermission(context.principal, 'decisions.simulate');
    return toDecisionObject(
      await context.services.authorizer.authorize(
        toAuthorizeRequest(request),
        principal,
        'simulate',
      ),
    );
  }

  @Mutation(() => Boolean, {
    description: 'Frees a hold (by reservation or decision id); false when it was no longer held.',
  })
  async releaseReservation(
    @Arg('id', () => ID) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    const principal = assertPermission(context.principal, 'decisions.authorize');
    // A hold is bound to the key that placed it; an admin may release any.
    return context.services.ledger.release(id, context.services.clock(), holdKeyOf(principal));
  }

  @Query(() => DecisionConnection, { description: 'Recorded decisions, newest first.' })
  async decisions(
    @Ctx() context: GraphQLContext,
    @Arg('filter', () => DecisionFilter, { nullable: true }) filter?: DecisionFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'decisions.read');
    await context.services.decisionLog.flush();
    const size = pageSize(first);
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter?.action) where.push(`action = $${params.push(filter.action)}`);
    if (filter?.model)
      where.push(`(model = $${params.push(filter.model)} OR requested_model = $${params.length})`);
    if (filter?.team) where.push(`attribution->>'team' = $${params.push(filter.team)}`);
    if (filter?.from) where.push(`created_at >= $${params.push(filter.from.toISOString())}`);
    if (filter?.to) where.push(`created_at < $${params.push(filter.to.toISOString())}`);
    const cursor = decodeCursor(after);
    if (cursor) where.push(`seq < $${params.push(cursor)}::bigint`);
    params.push(size + 1);
    const rows: Record<string, unknown>[] = await context.services.dataSource.query(
      `SELECT *, seq::text AS seq FROM decisions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY decisions.seq DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(
      rows.map((row): Record<string, unknown> & { id: string } => ({
        ...row,
        decision_id: row.id,
        id: String(row.seq),
      })),
      size,
      (row): DecisionRecordNode => ({
        decisionId: String(row.decision_id),
        createdAt: new Date(row.created_at as string),
        path: String(row.path),
        provider: String(row.provider),
        requestedModel: String(row.requested_model),
        model: String(row.model),
        action: row.action as DecisionAction,
        allow: Boolean(row.allow),
        attribution: row.attribution as Record<string, string>,
        request: row.request as Record<string, unknown>,
        reasons: (row.reasons as { code: string; message: string; budget_id?: string }[]).map(
          (reason) => ({ code: reason.code, message: reason.message, budgetId: reason.budget_id }),
        ),
        estimatedCost: (row.estimated_cost as string | null) ?? undefined,
        reservationId: (row.reservation_id as string | null) ?? undefined,
        policyRevision: String(row.policy_revision),
        latencyMs: Number(row.latency_ms),
      }),
    );
  }

  @Query(() => PolicyBundleInfo, { description: 'The active policy bundle.' })
  policyBundle(@Ctx() context: GraphQLContext): PolicyBundleInfo {
    assertPermission(context.principal, 'decisions.read');
    const policy = context.services.policy();
    return {
      revision: policy.revision,
      sha256: policy.engine.bundleSha256,
      activatedAt: policy.activatedAt,
    };
  }

  @Mutation(() => PolicyBundleInfo, {
    description: 'Activates a compiled bundle (base64 of the .tar.gz) without dropping requests.',
  })
  async activatePolicyBundle(
    @Arg('bundle', () => String) bundle: string,
    @Ctx() context: GraphQLContext,
  ): Promise<PolicyBundleInfo> {
    assertPermission(context.principal, 'policy.activate');
    const bytes = Buffer.from(bundle, 'base64');
    if (bytes.length === 0)
      throw badInput('bundle must be the base64 of a compiled policy bundle (.tar.gz)');
    const policy = context.services.policy();
    const result = await policy.activate(bytes);
    if (!result.ok) {
      throw new PurserError({
        code: 'BAD_USER_INPUT',
        message: `The bundle was rejected; revision ${result.revision} stays active: ${result.error.message}`,
      });
    }
    return {
      revision: result.revision,
      sha256: policy.engine.bundleSha256,
      activatedAt: policy.activatedAt,
      previousRevision: result.previousRevision,
    };
  }
}

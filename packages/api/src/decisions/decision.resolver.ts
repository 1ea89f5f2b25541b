import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission, holdKeyOf } from '../auth/api-key.service';
import type { Permission } from '../auth/roles';
import { badInput, PurserError } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { BudgetLedger } from '../budgets/budget-ledger';
import type { AuthorizeService } from './authorize.service';
import type { DecisionPath } from './decision-context';
import type { DecisionQueryService } from './decision-query.service';
import type { PolicyRuntime } from './policy-runtime';
import { decodeCursor, pageSize } from '../graphql/pagination';
import { graphqlAuthorizeRequest, toGraphQLDecision } from './authorize-mapping';
import {
  AuthorizeInput,
  Decision,
  DecisionConnection,
  DecisionFilter,
  PolicyBundleInfo,
} from './decision.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{
  authorizer: AuthorizeService;
  clock: () => Date;
  decisionQueries: DecisionQueryService;
  ledger: BudgetLedger;
  policy: () => PolicyRuntime;
}>;

/** The decision on a GraphQL request, for a principal allowed `permission`, taken on `path`. */
async function decide(
  context: Context,
  request: AuthorizeInput,
  permission: Permission,
  path: DecisionPath,
): Promise<Decision> {
  const principal = assertPermission(context.principal, permission);
  const domainRequest = graphqlAuthorizeRequest(request);
  return toGraphQLDecision(
    await context.services.authorizer.authorize(domainRequest, principal, path),
  );
}

@Resolver()
export class DecisionResolver {
  @Mutation(() => Decision, {
    description: 'Decides and, when allowed, holds the worst-case cost on every applicable budget.',
  })
  async authorize(
    @Arg('request', () => AuthorizeInput) request: AuthorizeInput,
    @Ctx() context: Context,
  ): Promise<Decision> {
    return decide(context, request, 'decisions.authorize', 'graphql');
  }

  @Query(() => Decision, {
    description: 'What authorize would answer now, without holding anything.',
  })
  async simulateDecision(
    @Arg('request', () => AuthorizeInput) request: AuthorizeInput,
    @Ctx() context: Context,
  ): Promise<Decision> {
    return decide(context, request, 'decisions.simulate', 'simulate');
  }

  @Mutation(() => Boolean, {
    description: 'Frees a hold (by reservation or decision id); false when it was no longer held.',
  })
  async releaseReservation(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    const principal = assertPermission(context.principal, 'decisions.authorize');
    // A hold is bound to the key that placed it; an admin may release any.
    return context.services.ledger.release(id, context.services.clock(), holdKeyOf(principal));
  }

  @Query(() => DecisionConnection, { description: 'Recorded decisions, newest first.' })
  async decisions(
    @Ctx() context: Context,
    @Arg('filter', () => DecisionFilter, { nullable: true }) filter?: DecisionFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'decisions.read');
    const size = pageSize(first);
    return context.services.decisionQueries.list(filter, size, decodeCursor(after));
  }

  @Query(() => PolicyBundleInfo, { description: 'The active policy bundle.' })
  policyBundle(@Ctx() context: Context): PolicyBundleInfo {
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
    @Ctx() context: Context,
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

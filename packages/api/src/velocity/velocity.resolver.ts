import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { VelocityService } from './velocity.service';
import { CreateVelocityLimitInput, VelocityLimitObject, VelocityMetric } from './velocity.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ velocity: VelocityService }>;

@Resolver()
export class VelocityResolver {
  @Mutation(() => VelocityLimitObject, {
    description: 'A rate limit: at most `limit` calls, tokens or cost per window per scope value.',
  })
  async createVelocityLimit(
    @Arg('input', () => CreateVelocityLimitInput) input: CreateVelocityLimitInput,
    @Ctx() context: Context,
  ): Promise<VelocityLimitObject> {
    assertPermission(context.principal, 'budgets.write');
    if (!Number.isInteger(input.windowSeconds))
      throw badInput('windowSeconds must be a whole number');
    const limit = await context.services.velocity.create({
      name: input.name,
      scope: input.scope as never,
      metric: input.metric,
      limit: input.limit,
      windowSeconds: input.windowSeconds,
    });
    return { ...limit, metric: limit.metric as VelocityMetric };
  }

  @Mutation(() => Boolean)
  async deleteVelocityLimit(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    assertPermission(context.principal, 'budgets.write');
    return context.services.velocity.delete(id);
  }

  @Query(() => [VelocityLimitObject])
  async velocityLimits(@Ctx() context: Context): Promise<VelocityLimitObject[]> {
    assertPermission(context.principal, 'budgets.read');
    return (await context.services.velocity.list()).map((limit) => ({
      ...limit,
      metric: limit.metric as VelocityMetric,
    }));
  }
}

import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { pageSize } from '../graphql/pagination';
import { assertPermission } from '../auth/api-key.service';
import { toScope } from '../attribution/attribution';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { type BudgetDefinition, type BudgetState, forecastAtWindowEnd } from './budget.service';
import {
  Budget,
  BudgetAlert,
  BudgetConnection,
  BudgetMode,
  BudgetPeriod,
  CreateBudgetInput,
  CreateVelocityLimitInput,
  CreateVirtualKeyInput,
  UpdateBudgetInput,
  VelocityLimitObject,
  VelocityMetric,
  VirtualKeyCreated,
  VirtualKeyObject,
} from './budget.types';

export function toBudget(state: BudgetState, now: Date): Budget {
  return {
    ...state,
    scope: state.scope as Record<string, string>,
    period: state.period as BudgetPeriod,
    mode: state.mode as BudgetMode,
    currentWindow: { start: state.windowStart, end: state.windowEnd },
    resetsAt: state.windowEnd,
    forecast: forecastAtWindowEnd(state, now),
  };
}

function definition(input: CreateBudgetInput): BudgetDefinition {
  return {
    name: input.name,
    scope: toScope(input.scope),
    period: input.period,
    timezone: input.timezone ?? 'UTC',
    limit: input.limit,
    currency: (input.currency ?? 'USD').toUpperCase(),
    mode: input.mode,
    softThresholds: input.softThresholds ?? [],
    downgradeChain: input.downgradeChain ?? [],
  };
}

@Resolver()
export class BudgetResolver {
  @Mutation(() => Budget)
  async createBudget(
    @Arg('input', () => CreateBudgetInput) input: CreateBudgetInput,
    @Ctx() context: GraphQLContext,
  ): Promise<Budget> {
    assertPermission(context.principal, 'budgets.write');
    const now = context.services.clock();
    return toBudget(await context.services.budgets.create(definition(input), now), now);
  }

  @Mutation(() => Budget)
  async updateBudget(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateBudgetInput) input: UpdateBudgetInput,
    @Ctx() context: GraphQLContext,
  ): Promise<Budget> {
    assertPermission(context.principal, 'budgets.write');
    const now = context.services.clock();
    const state = await context.services.budgets.update(
      id,
      {
        name: input.name,
        scope: input.scope === undefined || input.scope === null ? undefined : toScope(input.scope),
        period: input.period,
        timezone: input.timezone,
        limit: input.limit,
        currency: input.currency?.toUpperCase(),
        mode: input.mode,
        softThresholds: input.softThresholds,
        downgradeChain: input.downgradeChain,
      },
      now,
    );
    return toBudget(state, now);
  }

  @Mutation(() => Boolean, { description: 'Stops the budget from applying; its history stays.' })
  async deleteBudget(
    @Arg('id', () => ID) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    assertPermission(context.principal, 'budgets.write');
    return context.services.budgets.delete(id);
  }

  @Query(() => Budget, { nullable: true })
  async budget(
    @Arg('id', () => ID) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<Budget | null> {
    assertPermission(context.principal, 'budgets.read');
    const now = context.services.clock();
    const state = await context.services.budgets.get(id, now);
    return state ? toBudget(state, now) : null;
  }

  @Query(() => BudgetConnection)
  async budgets(
    @Ctx() context: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    assertPermission(context.principal, 'budgets.read');
    const now = context.services.clock();
    const page = await context.services.budgets.list(now, first, after);
    return {
      ...page,
      edges: page.edges.map((edge) => ({ ...edge, node: toBudget(edge.node, now) })),
    };
  }

  @Query(() => [BudgetAlert], {
    description: 'Threshold crossings, newest first (also published on purser.alerts.v1).',
  })
  async budgetAlerts(
    @Ctx() context: GraphQLContext,
    @Arg('budgetId', () => ID, { nullable: true }) budgetId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number,
  ): Promise<BudgetAlert[]> {
    assertPermission(context.principal, 'budgets.read');
    const rows: Record<string, unknown>[] = await context.services.dataSource.query(
      `SELECT id::text AS id, budget_id, window_start, threshold::float8 AS threshold, kind, spent::text AS spent,
              limit_amount::text AS limit_amount, currency, created_at, published_at
       FROM budget_alerts ${budgetId ? 'WHERE budget_id::text = $2' : ''} ORDER BY id DESC LIMIT $1`,
      budgetId ? [pageSize(first ?? 100), budgetId] : [pageSize(first ?? 100)],
    );
    return rows.map((row) => ({
      id: String(row.id),
      budgetId: String(row.budget_id),
      windowStart: new Date(row.window_start as string),
      threshold: Number(row.threshold),
      kind: String(row.kind),
      spent: String(row.spent),
      limit: String(row.limit_amount),
      currency: String(row.currency),
      createdAt: new Date(row.created_at as string),
      publishedAt: row.published_at ? new Date(row.published_at as string) : null,
    }));
  }

  @Mutation(() => VirtualKeyCreated, {
    description:
      'Creates a virtual key bound to attribution, models and budgets; returns the secret once.',
  })
  async createVirtualKey(
    @Arg('input', () => CreateVirtualKeyInput) input: CreateVirtualKeyInput,
    @Ctx() context: GraphQLContext,
  ): Promise<VirtualKeyCreated> {
    const principal = assertPermission(context.principal, 'virtualKeys.manage');
    const key = await context.services.virtualKeys.create(
      {
        name: input.name,
        attribution: toScope(input.attribution),
        allowedModels: input.allowedModels ?? [],
      },
      principal.name,
    );
    const now = context.services.clock();
    const budgets: Budget[] = [];
    for (const [index, budget] of (input.budgets ?? []).entries()) {
      const state = await context.services.budgets.create(
        {
          name: budget.name ?? `${input.name} (key budget ${index + 1})`,
          scope: { virtual_key: key.id },
          period: budget.period,
          timezone: budget.timezone ?? 'UTC',
          limit: budget.limit,
          currency: (budget.currency ?? 'USD').toUpperCase(),
          mode: budget.mode ?? BudgetMode.BLOCK,
          softThresholds: budget.softThresholds ?? [],
          downgradeChain: budget.downgradeChain ?? [],
        },
        now,
      );
      budgets.push(toBudget(state, now));
    }
    return { ...key, attribution: key.attribution as Record<string, string>, budgets };
  }

  @Mutation(() => Boolean)
  async revokeVirtualKey(
    @Arg('id', () => ID) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    assertPermission(context.principal, 'virtualKeys.manage');
    return context.services.virtualKeys.revoke(id);
  }

  @Query(() => [VirtualKeyObject])
  async virtualKeys(@Ctx() context: GraphQLContext): Promise<VirtualKeyObject[]> {
    assertPermission(context.principal, 'budgets.read');
    return (await context.services.virtualKeys.list()).map((key) => ({
      ...key,
      attribution: key.attribution as Record<string, string>,
    }));
  }

  @Mutation(() => VelocityLimitObject, {
    description: 'A rate limit: at most `limit` calls, tokens or cost per window per scope value.',
  })
  async createVelocityLimit(
    @Arg('input', () => CreateVelocityLimitInput) input: CreateVelocityLimitInput,
    @Ctx() context: GraphQLContext,
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
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    assertPermission(context.principal, 'budgets.write');
    return context.services.velocity.delete(id);
  }

  @Query(() => [VelocityLimitObject])
  async velocityLimits(@Ctx() context: GraphQLContext): Promise<VelocityLimitObject[]> {
    assertPermission(context.principal, 'budgets.read');
    return (await context.services.velocity.list()).map((limit) => ({
      ...limit,
      metric: limit.metric as VelocityMetric,
    }));
  }
}

import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { pageSize } from '../graphql/pagination';
import { assertPermission } from '../auth/api-key.service';
import { toScope } from '../attribution/attribution';
import type { GraphQLContext } from '../graphql/context';
import type { BudgetAlertService } from './budget-alerts.service';
import type { BudgetDefinition, BudgetService } from './budget.service';
import {
  Budget,
  BudgetAlert,
  BudgetConnection,
  CreateBudgetInput,
  toBudget,
  UpdateBudgetInput,
} from './budget.types';

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

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{
  budgets: BudgetService;
  budgetAlerts: BudgetAlertService;
  clock: () => Date;
}>;

@Resolver()
export class BudgetResolver {
  @Mutation(() => Budget)
  async createBudget(
    @Arg('input', () => CreateBudgetInput) input: CreateBudgetInput,
    @Ctx() context: Context,
  ): Promise<Budget> {
    assertPermission(context.principal, 'budgets.write');
    const now = context.services.clock();
    return toBudget(await context.services.budgets.create(definition(input), now), now);
  }

  @Mutation(() => Budget)
  async updateBudget(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateBudgetInput) input: UpdateBudgetInput,
    @Ctx() context: Context,
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
  async deleteBudget(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    assertPermission(context.principal, 'budgets.write');
    return context.services.budgets.delete(id);
  }

  @Query(() => Budget, { nullable: true })
  async budget(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<Budget | null> {
    assertPermission(context.principal, 'budgets.read');
    const now = context.services.clock();
    const state = await context.services.budgets.get(id, now);
    return state ? toBudget(state, now) : null;
  }

  @Query(() => BudgetConnection)
  async budgets(
    @Ctx() context: Context,
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
    @Ctx() context: Context,
    @Arg('budgetId', () => ID, { nullable: true }) budgetId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number,
  ): Promise<BudgetAlert[]> {
    assertPermission(context.principal, 'budgets.read');
    return context.services.budgetAlerts.list(pageSize(first ?? 100), budgetId);
  }
}

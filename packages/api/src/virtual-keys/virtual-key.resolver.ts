import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { type Budget, BudgetMode, toBudget } from '../budgets/budget.types';
import { toScope } from '../attribution/attribution';
import type { GraphQLContext } from '../graphql/context';
import type { BudgetService } from '../budgets/budget.service';
import type { VirtualKeyService } from './virtual-key.service';
import { CreateVirtualKeyInput, VirtualKeyCreated, VirtualKeyObject } from './virtual-key.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{
  budgets: BudgetService;
  clock: () => Date;
  virtualKeys: VirtualKeyService;
}>;

@Resolver()
export class VirtualKeyResolver {
  @Mutation(() => VirtualKeyCreated, {
    description:
      'Creates a virtual key bound to attribution, models and budgets; returns the secret once.',
  })
  async createVirtualKey(
    @Arg('input', () => CreateVirtualKeyInput) input: CreateVirtualKeyInput,
    @Ctx() context: Context,
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
    @Ctx() context: Context,
  ): Promise<boolean> {
    assertPermission(context.principal, 'virtualKeys.manage');
    return context.services.virtualKeys.revoke(id);
  }

  @Query(() => [VirtualKeyObject])
  async virtualKeys(@Ctx() context: Context): Promise<VirtualKeyObject[]> {
    assertPermission(context.principal, 'budgets.read');
    return (await context.services.virtualKeys.list()).map((key) => ({
      ...key,
      attribution: key.attribution as Record<string, string>,
    }));
  }
}

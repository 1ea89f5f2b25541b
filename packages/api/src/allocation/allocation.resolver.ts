import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Principal } from '../auth/api-key.service';
import { assertPermission } from '../auth/api-key.service';
import type { GraphQLContext } from '../graphql/context';
import type {
  ActorValue,
  AllocationRuleInputValue,
  AllocationRuleVersionValue,
} from './allocation-types';
import type { AllocationService } from './allocation.service';
import {
  AllocationRule,
  AllocationRuleInput,
  ChargebackLine,
  ChargebackReport,
  CostCenter,
  CostCenterInput,
  CostCenterNode,
  CostCenterUpdateInput,
  Period,
} from './allocation.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ allocation: AllocationService }>;

const actorOf = (principal: Principal): ActorValue => ({
  keyId: principal.keyId,
  name: principal.name,
  role: principal.role,
});

/** A GraphQL input (class instances) as the plain values the service validates. */
export function toRuleInput(input: AllocationRuleInput): AllocationRuleInputValue {
  return {
    name: input.name,
    priority: input.priority,
    match: input.match ? { ...input.match } : null,
    method: input.method,
    targets: Array.isArray(input.targets)
      ? input.targets.map((target) => ({ costCenter: target.costCenter, weight: target.weight }))
      : input.targets,
    effectiveFrom: input.effectiveFrom ?? null,
  } as AllocationRuleInputValue;
}

/** A chargeback's range and options as the service takes them: a null argument is its default. */
const chargebackOptions = (from: Date, to: Date, rollUp?: boolean, currency?: string) => ({
  from,
  to,
  rollUp: rollUp ?? false,
  currency: currency ?? undefined,
});

const toRule = (version: AllocationRuleVersionValue): AllocationRule =>
  version as unknown as AllocationRule;

@Resolver()
export class AllocationResolver {
  @Query(() => [CostCenter], { description: 'Cost centers by code (flat).' })
  async costCenters(
    @Ctx() context: Context,
    @Arg('includeInactive', () => Boolean, { nullable: true }) includeInactive?: boolean,
  ): Promise<CostCenter[]> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.listCostCenters({
      includeInactive: includeInactive ?? false,
    });
  }

  @Query(() => [CostCenterNode], { description: 'Cost centers as a tree: roots with children.' })
  async costCenterTree(
    @Ctx() context: Context,
    @Arg('includeInactive', () => Boolean, { nullable: true }) includeInactive?: boolean,
  ): Promise<CostCenterNode[]> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.costCenterTree({
      includeInactive: includeInactive ?? false,
    });
  }

  @Mutation(() => CostCenter)
  async createCostCenter(
    @Ctx() context: Context,
    @Arg('input', () => CostCenterInput) input: CostCenterInput,
  ): Promise<CostCenter> {
    assertPermission(context.principal, 'allocation.write');
    return context.services.allocation.createCostCenter({ ...input });
  }

  @Mutation(() => CostCenter)
  async updateCostCenter(
    @Ctx() context: Context,
    @Arg('code', () => String) code: string,
    @Arg('input', () => CostCenterUpdateInput) input: CostCenterUpdateInput,
  ): Promise<CostCenter> {
    assertPermission(context.principal, 'allocation.write');
    return context.services.allocation.updateCostCenter(code, { ...input });
  }

  @Mutation(() => CostCenter, {
    description: 'Keeps its history; it can no longer be a new rule target.',
  })
  async deactivateCostCenter(
    @Ctx() context: Context,
    @Arg('code', () => String) code: string,
  ): Promise<CostCenter> {
    assertPermission(context.principal, 'allocation.write');
    return context.services.allocation.deactivateCostCenter(code);
  }

  @Query(() => [AllocationRule], {
    description: 'Rule versions in force at `at` (default now), lowest priority first.',
  })
  async allocationRules(
    @Ctx() context: Context,
    @Arg('at', () => Date, { nullable: true }) at?: Date,
  ): Promise<AllocationRule[]> {
    assertPermission(context.principal, 'allocation.read');
    return (await context.services.allocation.rulesAt(at ?? undefined)).map(toRule);
  }

  @Query(() => [AllocationRule], { description: 'Every version of one rule, oldest first.' })
  async allocationRuleHistory(
    @Ctx() context: Context,
    @Arg('id', () => ID) id: string,
  ): Promise<AllocationRule[]> {
    assertPermission(context.principal, 'allocation.read');
    return (await context.services.allocation.ruleHistory(id)).map(toRule);
  }

  @Mutation(() => AllocationRule)
  async createAllocationRule(
    @Ctx() context: Context,
    @Arg('input', () => AllocationRuleInput) input: AllocationRuleInput,
  ): Promise<AllocationRule> {
    const principal = assertPermission(context.principal, 'allocation.write');
    return toRule(
      await context.services.allocation.createRule(toRuleInput(input), actorOf(principal)),
    );
  }

  @Mutation(() => AllocationRule, { description: 'A new version of the rule from effectiveFrom.' })
  async updateAllocationRule(
    @Ctx() context: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AllocationRuleInput) input: AllocationRuleInput,
  ): Promise<AllocationRule> {
    const principal = assertPermission(context.principal, 'allocation.write');
    return toRule(
      await context.services.allocation.updateRule(id, toRuleInput(input), actorOf(principal)),
    );
  }

  @Mutation(() => AllocationRule, { description: 'A version that ends the rule.' })
  async deleteAllocationRule(
    @Ctx() context: Context,
    @Arg('id', () => ID) id: string,
    @Arg('effectiveFrom', () => Date, { nullable: true }) effectiveFrom?: Date,
  ): Promise<AllocationRule> {
    const principal = assertPermission(context.principal, 'allocation.write');
    return toRule(
      await context.services.allocation.deleteRule(id, effectiveFrom ?? null, actorOf(principal)),
    );
  }

  @Query(() => ChargebackReport, {
    description:
      'Cost per cost center for [from, to) in one currency; total = Σ rows (not rolled up) + unallocated + adjustments.',
  })
  async chargeback(
    @Ctx() context: Context,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('rollUp', () => Boolean, { nullable: true }) rollUp?: boolean,
    @Arg('currency', () => String, { nullable: true }) currency?: string,
  ): Promise<ChargebackReport> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.chargeback(
      chargebackOptions(from, to, rollUp, currency),
    ) as Promise<ChargebackReport>;
  }

  @Query(() => [ChargebackLine], {
    description: 'The rules and usage that brought a cost center its cost (live computation).',
  })
  async chargebackDetail(
    @Ctx() context: Context,
    @Arg('costCenter', () => String) costCenter: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('currency', () => String, { nullable: true }) currency?: string,
  ): Promise<ChargebackLine[]> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.chargebackDetail(costCenter, {
      from,
      to,
      currency: currency ?? undefined,
    }) as Promise<ChargebackLine[]>;
  }

  @Query(() => ChargebackReport, {
    description:
      'The chargeback a draft rule set (replacing every stored rule) would give; nothing is saved.',
  })
  async previewAllocation(
    @Ctx() context: Context,
    @Arg('rules', () => [AllocationRuleInput]) rules: AllocationRuleInput[],
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('rollUp', () => Boolean, { nullable: true }) rollUp?: boolean,
    @Arg('currency', () => String, { nullable: true }) currency?: string,
  ): Promise<ChargebackReport> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.previewAllocation(
      rules.map(toRuleInput),
      chargebackOptions(from, to, rollUp, currency),
    ) as Promise<ChargebackReport>;
  }

  @Query(() => [Period], { description: 'Months ever closed, newest first, with their history.' })
  async periods(@Ctx() context: Context): Promise<Period[]> {
    assertPermission(context.principal, 'allocation.read');
    return context.services.allocation.periods();
  }

  @Mutation(() => Boolean, { description: 'Freezes a UTC month’s chargeback ("2026-11").' })
  async closePeriod(
    @Ctx() context: Context,
    @Arg('month', () => String) month: string,
  ): Promise<boolean> {
    const principal = assertPermission(context.principal, 'allocation.write');
    await context.services.allocation.closePeriod(month, actorOf(principal));
    return true;
  }

  @Mutation(() => Period, { description: 'Admins only; recorded with who and why.' })
  async reopenPeriod(
    @Ctx() context: Context,
    @Arg('month', () => String) month: string,
    @Arg('reason', () => String) reason: string,
  ): Promise<Period> {
    const principal = assertPermission(context.principal, 'periods.reopen');
    return context.services.allocation.reopenPeriod(month, reason, actorOf(principal));
  }
}

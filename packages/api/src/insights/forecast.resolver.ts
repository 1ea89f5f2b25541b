import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { currencyArg } from './anomaly.resolver';
import { scopeKind, type ForecastService } from './forecast.service';
import { Forecast, ForecastScopeInput } from './forecast.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ forecasts: ForecastService }>;

/** Longest id or code a scope field may carry (budget ids are UUIDs, codes are short). */
const MAX_SCOPE_VALUE = 256;

@Resolver()
export class ForecastResolver {
  @Query(() => Forecast, {
    description:
      "End-of-period spend with an 80 % interval, for a budget (its current window), a cost center or the whole organisation (a UTC month: period YYYY-MM, default the current one; a past month answers its actual spend). Permission: budgets.read, allocation.read or usage.read for the scope's kind.",
  })
  async forecast(
    @Arg('scope', () => ForecastScopeInput) scope: ForecastScopeInput,
    @Ctx() context: Context,
    @Arg('period', () => String, { nullable: true }) period?: string | null,
    @Arg('currency', () => String, {
      nullable: true,
      description:
        "Cost centers and the org: the spend's currency (default USD). A budget has its own.",
    })
    currency?: string | null,
  ): Promise<Forecast> {
    const kind = scopeKind(scope);
    assertPermission(
      context.principal,
      kind === 'budget' ? 'budgets.read' : kind === 'costCenter' ? 'allocation.read' : 'usage.read',
    );
    for (const field of ['budgetId', 'costCenter', 'costCenterId'] as const) {
      const value = scope[field];
      if (typeof value === 'string' && (value.length === 0 || value.length > MAX_SCOPE_VALUE)) {
        throw badInput(`scope.${field}: must be 1 to ${MAX_SCOPE_VALUE} characters`);
      }
    }
    if (kind === 'budget' && currency !== undefined && currency !== null) {
      throw badInput(
        "currency: a budget's forecast is in the budget's currency; leave currency out",
      );
    }
    return context.services.forecasts.forecast(scope, {
      period,
      currency: currencyArg(currency),
    });
  }
}

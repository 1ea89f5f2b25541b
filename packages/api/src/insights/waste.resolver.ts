import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import type { GraphQLContext } from '../graphql/context';
import { DEFAULT_WASTE_LIMIT, MAX_WASTE_LIMIT, MAX_WASTE_RANGE_DAYS } from './waste-rules';
import type { WasteService } from './waste.service';
import { WasteFinding } from './waste.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ waste: WasteService }>;

@Resolver()
export class WasteResolver {
  @Query(() => [WasteFinding], {
    description: `Waste findings over [from, to) (at most ${MAX_WASTE_RANGE_DAYS} days), most dollars first: recoverable, then spend.`,
  })
  wasteReport(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    // Nullable rather than a default: a null variable then means the default, not an error.
    @Arg('limit', () => Int, {
      nullable: true,
      description: `Findings answered, 1 to ${MAX_WASTE_LIMIT}; default ${DEFAULT_WASTE_LIMIT}.`,
    })
    limit?: number | null,
    @Arg('currency', () => String, {
      nullable: true,
      description: 'Only usage priced in this currency (no FX conversion); default USD.',
    })
    currency?: string | null,
  ): Promise<WasteFinding[]> {
    assertPermission(context.principal, 'usage.read');
    return context.services.waste.report({
      from,
      to,
      limit: limit ?? DEFAULT_WASTE_LIMIT,
      currency: (currency ?? 'USD').toUpperCase(),
    });
  }
}

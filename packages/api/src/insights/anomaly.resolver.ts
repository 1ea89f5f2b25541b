import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { AnomalyService, AnomalyValue } from './anomaly.service';
import { Anomaly } from './anomaly.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ anomalies: AnomalyService }>;

/** The GraphQL shape of an anomaly. */
export function toAnomaly(anomaly: AnomalyValue): Anomaly {
  return {
    dimensions: { [anomaly.dimension]: anomaly.value, hour: anomaly.hour.toISOString() },
    expected: anomaly.expected,
    observed: anomaly.observed,
    score: anomaly.score,
  };
}

/** A currency argument as an ISO 4217 code, upper case; BAD_USER_INPUT naming it otherwise. */
export function currencyArg(currency: string | undefined | null): string {
  const code = (currency ?? 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) {
    throw badInput(
      `currency: must be an ISO 4217 code such as USD (got ${JSON.stringify(currency).slice(0, 40)})`,
    );
  }
  return code;
}

@Resolver()
export class AnomalyResolver {
  @Query(() => [Anomaly], {
    description:
      'Hours starting in [from, to) (at most 31 days) whose spend per feature or per team is far above the same hour of the week over the past 8 weeks: robust score ≥ 4 and excess ≥ 5 in the currency. Ordered by hour; at most 1,000 (the highest scores).',
  })
  async anomalies(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('currency', () => String, {
      nullable: true,
      description: 'The currency of the spend, default USD (no FX conversion).',
    })
    currency?: string | null,
  ): Promise<Anomaly[]> {
    assertPermission(context.principal, 'usage.read');
    const found = await context.services.anomalies.anomalies({
      from,
      to,
      currency: currencyArg(currency),
    });
    return found.map(toAnomaly);
  }
}

import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { toWireAttribution } from '../attribution/attribution';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { SpendDimension } from '../usage/usage.types';
import { checkMetricBatch } from './business-metric-input';
import type { BusinessMetricService, MetricBatchResult } from './business-metrics.service';
import type { UnitEconomicsService } from './unit-economics.service';
import {
  BusinessMetricBatch,
  BusinessMetricInput,
  GrossMarginReport,
  UnitEconomicsRow,
} from './metrics.types';

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{
  businessMetrics: BusinessMetricService;
  unitEconomics: UnitEconomicsService;
}>;

/** How many refusals an error message spells out (all of them are in its `rejections`). */
const REASONS_IN_MESSAGE = 5;

/** GraphQL input → the wire shape `POST /v1/metrics` takes, validated by the same parser. */
function toWire(input: BusinessMetricInput): Record<string, unknown> {
  return {
    ...(input.id !== undefined && input.id !== null ? { id: input.id } : {}),
    name: input.name,
    timestamp: input.timestamp.toISOString(),
    value: input.value,
    ...(input.currency !== undefined && input.currency !== null
      ? { currency: input.currency }
      : {}),
    attribution: toWireAttribution(input.attribution),
  };
}

@Resolver()
export class MetricsResolver {
  @Mutation(() => Int, {
    description:
      'Records business metrics; answers how many were new. If any is refused, the others are still stored and the error (BAD_USER_INPUT) names each refused one in extensions.rejections; recordBusinessMetricBatch answers per item instead.',
  })
  async recordBusinessMetrics(
    @Arg('metrics', () => [BusinessMetricInput]) metrics: BusinessMetricInput[],
    @Ctx() context: Context,
  ): Promise<number> {
    const result = await this.record(metrics, context);
    if (result.rejected > 0) throw refusedError(result);
    return result.recorded;
  }

  @Mutation(() => BusinessMetricBatch, {
    description: 'Records business metrics as POST /v1/metrics does: an outcome per item.',
  })
  recordBusinessMetricBatch(
    @Arg('metrics', () => [BusinessMetricInput]) metrics: BusinessMetricInput[],
    @Ctx() context: Context,
  ): Promise<BusinessMetricBatch> {
    return this.record(metrics, context);
  }

  private record(metrics: BusinessMetricInput[], context: Context): Promise<MetricBatchResult> {
    assertPermission(context.principal, 'metrics.write');
    checkMetricBatch(metrics.length, 'metrics');
    return context.services.businessMetrics.record(metrics.map(toWire), 'metrics');
  }

  @Query(() => [UnitEconomicsRow], {
    description:
      'AI cost, the metric summed and cost per unit, per group. Groups by attribution keys, DAY and HOUR (UTC).',
  })
  async unitEconomics(
    @Arg('metric', () => String) metric: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('groupBy', () => [SpendDimension], { nullable: true }) groupBy?: SpendDimension[],
    @Arg('currency', () => String, {
      nullable: true,
      defaultValue: 'USD',
      description: 'The currency of the AI cost (no FX conversion); null: USD.',
    })
    currency?: string | null,
  ): Promise<UnitEconomicsRow[]> {
    assertPermission(context.principal, 'metrics.read');
    const report = await context.services.unitEconomics.unitEconomics({
      metric,
      from,
      to,
      groupBy: groupBy ?? [],
      currency: (currency ?? 'USD').toUpperCase(),
    });
    return report.rows.map((row) => ({
      ...row,
      currency: report.currency,
      metricCurrency: report.metricCurrency,
    }));
  }

  @Query(() => GrossMarginReport, {
    description:
      'Revenue (a money metric) − AI cost per group, by customer unless groupBy says otherwise. The revenue must be in the cost currency.',
  })
  grossMargin(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() context: Context,
    @Arg('revenueMetric', () => String, { nullable: true, defaultValue: 'revenue' })
    revenueMetric?: string | null,
    @Arg('groupBy', () => [SpendDimension], { nullable: true }) groupBy?: SpendDimension[],
    @Arg('currency', () => String, { nullable: true, defaultValue: 'USD' })
    currency?: string | null,
  ): Promise<GrossMarginReport> {
    assertPermission(context.principal, 'metrics.read');
    return context.services.unitEconomics.grossMargin({
      revenueMetric: revenueMetric ?? 'revenue',
      from,
      to,
      groupBy: groupBy ?? [SpendDimension.CUSTOMER],
      currency: (currency ?? 'USD').toUpperCase(),
    });
  }
}

/** The error of a batch with refused items: their reasons, and what was stored anyway. */
export function refusedError(result: MetricBatchResult) {
  const refused = result.results.filter((item) => item.status === 'rejected');
  const shown = refused.slice(0, REASONS_IN_MESSAGE).map((item) => item.reason);
  const more = refused.length > shown.length ? `; and ${refused.length - shown.length} more` : '';
  return badInput(
    `${refused.length} of ${result.results.length} metrics were refused: ${shown.join('; ')}${more}. The others were stored (${result.recorded} new, ${result.duplicates} already recorded).`,
    {
      recorded: result.recorded,
      duplicates: result.duplicates,
      rejections: refused.map((item) => ({
        index: item.index,
        field: item.field,
        reason: item.reason,
      })),
    },
  );
}

import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { AttributionInput } from '../graphql/attribution-fields';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

@InputType({
  description:
    'A business metric: resolved_tickets for a feature, revenue for a customer. Idempotent by id; without one, the id is derived from name, timestamp and attribution.',
})
export class BusinessMetricInput {
  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key: the same id is the same metric, never counted twice.',
  })
  id?: string;
  @Field(() => String) name: string;
  @Field(() => Date) timestamp: Date;
  @Field(() => DecimalScalar, { description: 'A non-negative decimal.' }) value: string;
  @Field(() => AttributionInput, {
    nullable: true,
    description: 'team, feature, environment, customer, project, user, agent.',
  })
  attribution?: AttributionInput;
  @Field(() => String, {
    nullable: true,
    description: 'ISO 4217, for money metrics (revenue).',
  })
  currency?: string;
}

@ObjectType({ description: 'What happened to one metric of a batch.' })
export class BusinessMetricResult {
  @Field(() => Int, { description: 'Position in the batch, from 0.' }) index: number;
  @Field(() => String, { nullable: true }) id?: string;
  @Field(() => String, { description: 'recorded | duplicate | rejected' }) status: string;
  @Field(() => String, { nullable: true, description: 'The field at fault (rejected).' })
  field?: string;
  @Field(() => String, { nullable: true, description: 'Why it was rejected.' }) reason?: string;
}

@ObjectType()
export class BusinessMetricBatch {
  @Field(() => Int, { description: 'Metrics stored by this call.' }) recorded: number;
  @Field(() => Int, { description: 'Metrics whose id was already stored.' }) duplicates: number;
  @Field(() => Int) rejected: number;
  @Field(() => [BusinessMetricResult]) results: BusinessMetricResult[];
}

@ObjectType()
export class UnitEconomicsRow {
  @Field(() => JSONObjectScalar, { description: 'Lowercase keys: {"feature": "support-bot"}' })
  dimensions: Record<string, string | null>;
  @Field(() => DecimalScalar, { description: 'AI cost of the group (as spend answers it).' })
  cost: string;
  @Field(() => DecimalScalar, { description: 'The metric summed over the group; 0 if none.' })
  metricValue: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'cost ÷ metricValue, 20 decimals (half to even); null when metricValue is 0.',
  })
  costPerUnit?: string | null;
  @Field(() => String, { description: 'The currency of cost.' }) currency: string;
  @Field(() => String, {
    nullable: true,
    description: 'The currency of metricValue for a money metric, else null.',
  })
  metricCurrency?: string | null;
}

@ObjectType()
export class GrossMarginRow {
  @Field(() => JSONObjectScalar) dimensions: Record<string, string | null>;
  @Field(() => DecimalScalar) revenue: string;
  @Field(() => DecimalScalar, { description: 'AI cost (as spend answers it).' }) cost: string;
  @Field(() => DecimalScalar, { description: 'revenue − cost.' }) margin: string;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'margin ÷ revenue × 100, 4 decimals (half to even); null when revenue is 0.',
  })
  marginPercent?: string | null;
}

@ObjectType()
export class GrossMarginReport {
  @Field(() => [GrossMarginRow]) rows: GrossMarginRow[];
  @Field(() => DecimalScalar) revenue: string;
  @Field(() => DecimalScalar) cost: string;
  @Field(() => DecimalScalar) margin: string;
  @Field(() => DecimalScalar, { nullable: true }) marginPercent?: string | null;
  @Field(() => String) currency: string;
}

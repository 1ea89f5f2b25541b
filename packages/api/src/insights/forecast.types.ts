import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

@InputType({ description: 'Which spend to forecast: exactly one of the fields.' })
export class ForecastScopeInput {
  @Field(() => ID, {
    nullable: true,
    description: "A budget: its scope's spend in its currency over its current window.",
  })
  budgetId?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "A cost center's code: its allocated spend (direct + shared) per UTC month.",
  })
  costCenter?: string | null;
  @Field(() => ID, { nullable: true, description: 'A cost center by id instead of code.' })
  costCenterId?: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description: "true: the whole organisation's spend per UTC month.",
  })
  org?: boolean | null;
}

@ObjectType({
  description:
    'End-of-period spend: the actual spend so far plus the daily run rate × the weekday profile of the time left, with an 80 % interval from the spread of past daily spend (docs/insights.md).',
})
export class Forecast {
  @Field(() => JSONObjectScalar, {
    description:
      '{"budgetId", "name", "scope"}, {"costCenter", "costCenterId", "name"} or {"org": true}.',
  })
  scope: Record<string, unknown>;
  @Field(() => String, {
    description: "The budget's period (daily, weekly, monthly) or the UTC month (2026-12).",
  })
  period: string;
  @Field(() => Date) periodStart: Date;
  @Field(() => Date) periodEnd: Date;
  @Field(() => Date, { description: 'When the forecast was made.' }) asOf: Date;
  @Field(() => String) currency: string;
  @Field(() => String, { description: "The days' time zone (the budget's, else UTC)." })
  timezone: string;
  @Field(() => DecimalScalar, { nullable: true, description: "The budget's limit." })
  limit: string | null;
  @Field(() => DecimalScalar, { description: 'Spend from the period start until asOf.' })
  actualToDate: string;
  @Field(() => DecimalScalar, { description: 'Spend expected at the period end.' })
  projected: string;
  @Field(() => DecimalScalar, { description: 'Low end of the 80 % interval (≥ actualToDate).' })
  low: string;
  @Field(() => DecimalScalar, { description: 'High end of the 80 % interval.' }) high: string;
  @Field(() => DecimalScalar, {
    description: 'The run rate: spend of an average day of the week.',
  })
  dailyRate: string;
  @Field(() => Int, { description: 'Complete days of history read (at most 56).' })
  historyDays: number;
  @Field(() => String, {
    description:
      'CLOSED (the period is over: actual spend), RUN_RATE (from the period’s complete days), RECENT_RATE (from the last 7 days: the period has fewer than 3 complete days), NO_HISTORY (nothing spent before today: nothing more projected).',
  })
  method: string;
}

import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { AttributionInput } from '../graphql/attribution-fields';
import { Connection } from '../graphql/pagination';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';
import { type BudgetState, forecastAtWindowEnd } from './budget.service';

export enum BudgetPeriod {
  DAILY = 'daily',
  WEEKLY = 'weekly',
  MONTHLY = 'monthly',
  TOTAL = 'total',
}
registerEnumType(BudgetPeriod, { name: 'BudgetPeriod' });

export enum BudgetMode {
  BLOCK = 'block',
  DOWNGRADE = 'downgrade',
  ALERT_ONLY = 'alert_only',
}
registerEnumType(BudgetMode, { name: 'BudgetMode' });

@InputType()
export class CreateBudgetInput {
  @Field(() => String) name: string;
  @Field(() => AttributionInput, {
    nullable: true,
    description: 'Empty or absent: the whole organization.',
  })
  scope?: AttributionInput;
  @Field(() => BudgetPeriod) period: BudgetPeriod;
  @Field(() => String, {
    nullable: true,
    description: 'IANA time zone of the period boundaries; default UTC.',
  })
  timezone?: string;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => String, { nullable: true, description: 'ISO 4217; default USD.' }) currency?: string;
  @Field(() => BudgetMode) mode: BudgetMode;
  @Field(() => [Float], {
    nullable: true,
    description: 'Fractions of the limit that warn, e.g. [0.8, 0.95].',
  })
  softThresholds?: number[];
  @Field(() => [String], {
    nullable: true,
    description: 'Models, most expensive first, for DOWNGRADE.',
  })
  downgradeChain?: string[];
}

@InputType()
export class UpdateBudgetInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => AttributionInput, { nullable: true }) scope?: AttributionInput;
  @Field(() => BudgetPeriod, { nullable: true }) period?: BudgetPeriod;
  @Field(() => String, { nullable: true }) timezone?: string;
  @Field(() => DecimalScalar, { nullable: true }) limit?: string;
  @Field(() => String, { nullable: true }) currency?: string;
  @Field(() => BudgetMode, { nullable: true }) mode?: BudgetMode;
  @Field(() => [Float], { nullable: true }) softThresholds?: number[];
  @Field(() => [String], { nullable: true }) downgradeChain?: string[];
}

@ObjectType()
export class BudgetWindow {
  @Field(() => Date) start: Date;
  @Field(() => Date, { nullable: true }) end?: Date | null;
}

@ObjectType()
export class Budget {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => DecimalScalar, { description: 'Spend in the current window.' }) spent: string;
  @Field(() => DecimalScalar, { description: 'Held by open reservations in the current window.' })
  reserved: string;
  @Field(() => DecimalScalar) remaining: string;
  @Field(() => String) currency: string;
  @Field(() => JSONObjectScalar, {
    description: 'Attribution selector, snake_case keys; {} is the whole organization.',
  })
  scope: Record<string, string>;
  @Field(() => BudgetPeriod) period: BudgetPeriod;
  @Field(() => String) timezone: string;
  @Field(() => BudgetMode) mode: BudgetMode;
  @Field(() => [Float]) softThresholds: number[];
  @Field(() => [String]) downgradeChain: string[];
  @Field(() => BudgetWindow) currentWindow: BudgetWindow;
  @Field(() => Date, { nullable: true }) resetsAt?: Date | null;
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Spend at the end of the window at the rate so far.',
  })
  forecast?: string | null;
  @Field(() => Date) createdAt: Date;
}

export const BudgetConnection = Connection(Budget, 'Budget');

@ObjectType()
export class BudgetAlert {
  @Field(() => ID) id: string;
  @Field(() => ID) budgetId: string;
  @Field(() => Date) windowStart: Date;
  @Field(() => Float) threshold: number;
  @Field(() => String) kind: string;
  @Field(() => DecimalScalar) spent: string;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => String) currency: string;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) publishedAt?: Date | null;
}

/** A budget's state as the API answers it. */
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

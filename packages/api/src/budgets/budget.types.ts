import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { AttributionInput } from '../graphql/attribution-fields';
import { Connection } from '../graphql/pagination';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

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
export class VirtualKeyObject {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => JSONObjectScalar) attribution: Record<string, string>;
  @Field(() => [String]) allowedModels: string[];
  @Field(() => String) secretPrefix: string;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) revokedAt?: Date | null;
}

@ObjectType()
export class VirtualKeyCreated extends VirtualKeyObject {
  @Field(() => String, { description: 'The secret; shown this once.' }) secret: string;
  @Field(() => [Budget], { description: 'Budgets created for the key.' }) budgets: Budget[];
}

@InputType()
export class VirtualKeyBudgetInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => BudgetPeriod) period: BudgetPeriod;
  @Field(() => String, { nullable: true }) timezone?: string;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => String, { nullable: true }) currency?: string;
  @Field(() => BudgetMode, { nullable: true, defaultValue: BudgetMode.BLOCK }) mode?: BudgetMode;
  @Field(() => [Float], { nullable: true }) softThresholds?: number[];
  @Field(() => [String], { nullable: true }) downgradeChain?: string[];
}

@InputType()
export class CreateVirtualKeyInput {
  @Field(() => String) name: string;
  @Field(() => AttributionInput, {
    nullable: true,
    description: 'Bound to the key; overrides what requests claim.',
  })
  attribution?: AttributionInput;
  @Field(() => [String], {
    nullable: true,
    description: 'Model patterns (*, prefix*, exact); empty: any allowed model.',
  })
  allowedModels?: string[];
  @Field(() => [VirtualKeyBudgetInput], {
    nullable: true,
    description: 'Budgets scoped to this key.',
  })
  budgets?: VirtualKeyBudgetInput[];
}

export enum VelocityMetric {
  REQUESTS = 'requests',
  TOKENS = 'tokens',
  COST = 'cost',
}
registerEnumType(VelocityMetric, { name: 'VelocityMetric' });

@InputType()
export class CreateVelocityLimitInput {
  @Field(() => String) name: string;
  @Field(() => String, {
    description: 'Attribution key counted per value: session, virtual_key, user, team, customer…',
  })
  scope: string;
  @Field(() => VelocityMetric) metric: VelocityMetric;
  @Field(() => DecimalScalar, { description: 'Calls, tokens, or money (cost) per window.' })
  limit: string;
  @Field(() => Float) windowSeconds: number;
}

@ObjectType()
export class VelocityLimitObject {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => String) scope: string;
  @Field(() => VelocityMetric) metric: VelocityMetric;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => Float) windowSeconds: number;
}

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

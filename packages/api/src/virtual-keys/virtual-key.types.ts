import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';
import { Budget, BudgetMode, BudgetPeriod } from '../budgets/budget.types';
import { AttributionInput } from '../graphql/attribution-fields';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

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

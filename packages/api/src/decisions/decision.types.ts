import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';
import { AttributionInput } from '../graphql/attribution-fields';
import { Connection } from '../graphql/pagination';

@InputType()
export class AuthorizeInput {
  @Field(() => String) provider: string;
  @Field(() => String) model: string;
  @Field(() => AttributionInput, { nullable: true }) attribution?: AttributionInput;
  @Field(() => String, {
    nullable: true,
    description: 'The virtual key secret the caller presented.',
  })
  virtualKey?: string;
  @Field(() => Int) estimatedInputTokens: number;
  @Field(() => Int) maxOutputTokens: number;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata?: Record<string, unknown>;
}

export enum DecisionAction {
  ALLOW = 'allow',
  WARN = 'warn',
  DOWNGRADE = 'downgrade',
  DENY = 'deny',
}
registerEnumType(DecisionAction, { name: 'DecisionAction' });

@ObjectType()
export class DecisionReason {
  @Field(() => String, { description: 'A stable code documented in policies/REASONS.md.' })
  code: string;
  @Field(() => String) message: string;
  @Field(() => ID, { nullable: true }) budgetId?: string;
  @Field(() => Int, { nullable: true }) retryAfterSeconds?: number;
}

@ObjectType()
export class BudgetState {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => DecimalScalar) limit: string;
  @Field(() => DecimalScalar) spent: string;
  @Field(() => DecimalScalar) reserved: string;
  @Field(() => DecimalScalar) remaining: string;
  @Field(() => String) currency: string;
  @Field(() => Date, { nullable: true }) resetsAt?: Date | null;
}

@ObjectType()
export class Reservation {
  @Field(() => ID) id: string;
  @Field(() => DecimalScalar) amount: string;
  @Field(() => String) currency: string;
  @Field(() => Date) expiresAt: Date;
}

@ObjectType()
export class Decision {
  @Field(() => ID) decisionId: string;
  @Field(() => Boolean) allow: boolean;
  @Field(() => DecisionAction) action: DecisionAction;
  @Field(() => String, { description: 'The model to call; differs from the request on downgrade.' })
  model: string;
  @Field(() => Int, { nullable: true }) maxOutputTokens?: number;
  @Field(() => [DecisionReason]) reasons: DecisionReason[];
  @Field(() => [BudgetState]) budgets: BudgetState[];
  @Field(() => Reservation, { nullable: true }) reservation?: Reservation;
  @Field(() => DecimalScalar, { nullable: true }) estimatedCost?: string;
  @Field(() => String, { nullable: true }) currency?: string;
  @Field(() => String) policyRevision: string;
  @Field(() => Int, {
    nullable: true,
    description: 'When rate limited: seconds until a retry can succeed.',
  })
  retryAfterSeconds?: number;
}

@ObjectType()
export class DecisionRecordNode {
  @Field(() => ID) decisionId: string;
  @Field(() => Date) createdAt: Date;
  @Field(() => String, { description: 'graphql, rest or simulate' }) path: string;
  @Field(() => String) provider: string;
  @Field(() => String) requestedModel: string;
  @Field(() => String) model: string;
  @Field(() => DecisionAction) action: DecisionAction;
  @Field(() => Boolean) allow: boolean;
  @Field(() => JSONObjectScalar) attribution: Record<string, string>;
  @Field(() => JSONObjectScalar) request: Record<string, unknown>;
  @Field(() => [DecisionReason]) reasons: DecisionReason[];
  @Field(() => DecimalScalar, { nullable: true }) estimatedCost?: string;
  @Field(() => ID, { nullable: true }) reservationId?: string;
  @Field(() => String) policyRevision: string;
  @Field(() => Float) latencyMs: number;
}

export const DecisionConnection = Connection(DecisionRecordNode, 'DecisionRecord');

@InputType()
export class DecisionFilter {
  @Field(() => DecisionAction, { nullable: true }) action?: DecisionAction;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => String, { nullable: true }) team?: string;
  @Field(() => Date, { nullable: true }) from?: Date;
  @Field(() => Date, { nullable: true }) to?: Date;
}

@ObjectType()
export class PolicyBundleInfo {
  @Field(() => String) revision: string;
  @Field(() => String, { description: 'sha256 of the bundle tarball.' }) sha256: string;
  @Field(() => Date) activatedAt: Date;
  @Field(() => String, { nullable: true }) previousRevision?: string;
}

import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AttributionFields } from '../graphql/attribution-fields';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

export enum AllocationMethod {
  DIRECT = 'DIRECT',
  FIXED = 'FIXED',
  EVEN = 'EVEN',
  PROPORTIONAL = 'PROPORTIONAL',
}
registerEnumType(AllocationMethod, {
  name: 'AllocationMethod',
  description:
    'DIRECT: one target takes all. FIXED: target weights are percents summing to 100. EVEN: equal parts. PROPORTIONAL: parts by each target’s direct cost over the report range (even when all are zero).',
});

@InputType()
export class CostCenterInput {
  @Field(() => String, { description: 'Unique, 1–64 of A-Z a-z 0-9 _ . - (e.g. CC-SEARCH).' })
  code: string;
  @Field(() => String) name: string;
  @Field(() => String, { nullable: true, description: 'The parent cost center’s code.' })
  parentCode?: string | null;
  @Field(() => String, { nullable: true }) glAccount?: string | null;
  @Field(() => String, { nullable: true }) owner?: string | null;
}

@InputType({ description: 'Fields left out are kept; null clears an optional one.' })
export class CostCenterUpdateInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) parentCode?: string | null;
  @Field(() => String, { nullable: true }) glAccount?: string | null;
  @Field(() => String, { nullable: true }) owner?: string | null;
}

@ObjectType()
export class CostCenter {
  @Field(() => ID) id: string;
  @Field(() => String) code: string;
  @Field(() => String) name: string;
  @Field(() => String, { nullable: true }) parentCode: string | null;
  @Field(() => String, { nullable: true }) glAccount: string | null;
  @Field(() => String, { nullable: true }) owner: string | null;
  @Field(() => Boolean, { description: 'False once deactivated (kept for history).' })
  active: boolean;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) deactivatedAt: Date | null;
}

@ObjectType()
export class CostCenterNode extends CostCenter {
  @Field(() => [CostCenterNode]) children: CostCenterNode[];
}

@InputType({ description: 'Exact values; every field set must equal the usage’s. Empty fits all.' })
export class AllocationMatchInput extends AttributionFields {
  @Field(() => String, { nullable: true }) provider?: string;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: 'Tag key → exact string value.',
  })
  tags?: Record<string, unknown>;
}

@InputType()
export class AllocationTargetInput {
  @Field(() => String, { description: 'A cost center code.' }) costCenter: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'A percent; FIXED only.' })
  weight?: string;
}

@InputType()
export class AllocationRuleInput {
  @Field(() => String) name: string;
  @Field(() => Int, { description: 'Lowest first; unique among rules in force together.' })
  priority: number;
  @Field(() => AllocationMatchInput, { nullable: true }) match?: AllocationMatchInput;
  @Field(() => AllocationMethod) method: AllocationMethod;
  @Field(() => [AllocationTargetInput]) targets: AllocationTargetInput[];
  @Field(() => Date, {
    nullable: true,
    description: 'A whole UTC hour; default the start of the current hour.',
  })
  effectiveFrom?: Date;
}

@ObjectType()
export class AllocationTarget {
  @Field(() => String) costCenter: string;
  @Field(() => DecimalScalar, { nullable: true }) weight?: string | null;
}

@ObjectType({ description: 'One effective-dated version of a rule.' })
export class AllocationRule {
  @Field(() => ID, { description: 'The rule’s id, the same for all its versions.' }) id: string;
  @Field(() => String) name: string;
  @Field(() => Int) priority: number;
  @Field(() => AllocationMethod) method: AllocationMethod;
  @Field(() => Int) version: number;
  @Field(() => JSONObjectScalar) match: Record<string, unknown>;
  @Field(() => [AllocationTarget]) targets: AllocationTarget[];
  @Field(() => Date) effectiveFrom: Date;
  @Field(() => Date, { nullable: true, description: 'The next version’s start; null: open.' })
  effectiveTo: Date | null;
  @Field(() => Boolean, { description: 'A delete: this version ends the rule.' })
  deleted: boolean;
  @Field(() => Date) recordedAt: Date;
  @Field(() => String, { nullable: true, description: 'The API key id that wrote it.' })
  recordedBy: string | null;
}

@ObjectType()
export class ChargebackRow {
  @Field(() => String) costCenter: string;
  @Field(() => String) name: string;
  @Field(() => String, { nullable: true }) glAccount: string | null;
  @Field(() => String, { nullable: true }) parentCode: string | null;
  @Field(() => Int, { description: 'Depth in the cost-center tree, 0 for a root.' })
  level: number;
  @Field(() => DecimalScalar) direct: string;
  @Field(() => DecimalScalar) shared: string;
  @Field(() => DecimalScalar, {
    description:
      "The cost center's part of the reconciliation variance (billed − estimated) of the range's billed days.",
  })
  trueUp: string;
  @Field(() => DecimalScalar) total: string;
  @Field(() => Boolean, {
    description:
      'A parent’s roll-up (rollUp: true): its subtree’s sums, already in other rows — not part of the report total.',
  })
  rolledUp: boolean;
}

@ObjectType({ description: 'Usage that reached a closed month after its close.' })
export class ChargebackAdjustment {
  @Field(() => String, { description: 'The closed month, e.g. "2026-11".' }) priorPeriod: string;
  @Field(() => String, { nullable: true, description: 'Null: unallocated.' })
  costCenter: string | null;
  @Field(() => String, { nullable: true }) glAccount: string | null;
  @Field(() => DecimalScalar) direct: string;
  @Field(() => DecimalScalar) shared: string;
  @Field(() => DecimalScalar) trueUp: string;
  @Field(() => DecimalScalar) total: string;
}

@ObjectType()
export class ChargebackReport {
  @Field(() => [ChargebackRow]) rows: ChargebackRow[];
  @Field(() => DecimalScalar) unallocated: string;
  @Field(() => DecimalScalar, {
    description: 'Σ rows.total (rolledUp false) + unallocated + adjustmentsTotal.',
  })
  total: string;
  @Field(() => String) currency: string;
  @Field(() => Date) from: Date;
  @Field(() => Date) to: Date;
  @Field(() => [ChargebackAdjustment]) adjustments: ChargebackAdjustment[];
  @Field(() => DecimalScalar) adjustmentsTotal: string;
  @Field(() => [String], { description: 'Closed months answered from their frozen rows.' })
  frozenMonths: string[];
}

@ObjectType()
export class ChargebackLine {
  @Field(() => String) costCenter: string;
  @Field(() => ID, { nullable: true }) ruleId: string | null;
  @Field(() => String, { nullable: true }) ruleName: string | null;
  @Field(() => Int, { nullable: true }) ruleVersion: number | null;
  @Field(() => AllocationMethod, { nullable: true }) method: AllocationMethod | null;
  @Field(() => String, { description: 'DIRECT or SHARED.' }) kind: string;
  @Field(() => JSONObjectScalar, {
    description: 'provider, model, attribution keys (null when absent) and matched tags.',
  })
  dimensions: Record<string, unknown>;
  @Field(() => DecimalScalar) amount: string;
}

@ObjectType()
export class PeriodEvent {
  @Field(() => String, { description: 'CLOSE or REOPEN.' }) action: string;
  @Field(() => Date) at: Date;
  @Field(() => String, { nullable: true, description: 'API key id.' }) by: string | null;
  @Field(() => String, { nullable: true, description: 'API key name.' }) byName: string | null;
  @Field(() => String) role: string;
  @Field(() => String, { nullable: true }) reason: string | null;
}

@ObjectType()
export class Period {
  @Field(() => String, { description: 'A UTC month, "2026-11".' }) month: string;
  @Field(() => String, { description: 'OPEN or CLOSED.' }) state: string;
  @Field(() => Date, { nullable: true }) closedAt: Date | null;
  @Field(() => String, { nullable: true }) closedBy: string | null;
  @Field(() => [PeriodEvent]) history: PeriodEvent[];
}

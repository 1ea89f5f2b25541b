import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../graphql/scalars';

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

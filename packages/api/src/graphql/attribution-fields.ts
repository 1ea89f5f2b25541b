import { Field, InputType } from 'type-graphql';

/**
 * The attribution dimensions shared by spend filters, request attribution, budget scopes and
 * allocation rule matches.
 */
@InputType()
export class AttributionFields {
  @Field(() => String, { nullable: true }) team?: string;
  @Field(() => String, { nullable: true }) feature?: string;
  @Field(() => String, { nullable: true }) environment?: string;
  @Field(() => String, { nullable: true }) customer?: string;
  @Field(() => String, { nullable: true }) project?: string;
  @Field(() => String, { nullable: true }) user?: string;
  @Field(() => String, { nullable: true }) agent?: string;
}

@InputType({ description: 'Who a request or usage is for. Budget scopes use the same fields.' })
export class AttributionInput extends AttributionFields {
  @Field(() => String, { nullable: true }) session?: string;
  @Field(() => String, { nullable: true }) requestPath?: string;
  @Field(() => String, { nullable: true, description: 'A virtual key id (budget scopes only).' })
  virtualKey?: string;
}

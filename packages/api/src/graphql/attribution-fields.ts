import { Field, InputType } from 'type-graphql';

/** The attribution dimensions shared by spend filters, request attribution and budget scopes. */
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

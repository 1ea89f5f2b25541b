import { Field, ObjectType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

@ObjectType({
  description:
    'One waste finding: where money goes for nothing, what it concerns, what is recoverable and how to fix it (docs/insights.md).',
})
export class WasteFinding {
  @Field(() => String, {
    description: 'MODEL_MISMATCH, CONTEXT_BLOAT, RETRY_WASTE, CACHE_MISS or UNGOVERNED_KEY.',
  })
  category: string;
  @Field(() => JSONObjectScalar, {
    description:
      'What the finding is about: feature, team, provider, model, virtual_key, environment, agent as relevant.',
  })
  scope: Record<string, string>;
  @Field(() => DecimalScalar, { description: 'The spend the finding concerns.' }) spend: string;
  @Field(() => DecimalScalar, {
    description: 'Estimated recoverable amount (see estimate); 0 when nothing is estimated.',
  })
  recoverable: string;
  @Field(() => String, { description: 'The currency of spend and recoverable.' })
  currency: string;
  @Field(() => String, { description: 'How recoverable was estimated.' }) estimate: string;
  @Field(() => JSONObjectScalar, {
    description: 'Counts, ratios and a few example event ids (or runs).',
  })
  evidence: Record<string, unknown>;
  @Field(() => String, {
    nullable: true,
    description: 'The fix: a downgrade chain, a velocity limit, a budget, a key per environment.',
  })
  fix?: string;
}

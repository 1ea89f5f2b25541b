import { Field, Float, ObjectType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';

@ObjectType({
  description:
    "An hour of a feature's or a team's spend far above the same hour of the week over the past 8 weeks (docs/insights.md).",
})
export class Anomaly {
  @Field(() => JSONObjectScalar, {
    description:
      'The series and the UTC hour: {"feature": "chat", "hour": "2026-11-20T14:00:00Z"} or {"team": …, "hour": …}; null for spend that named none.',
  })
  dimensions: Record<string, string | null>;
  @Field(() => DecimalScalar, {
    description: 'The median spend of the same hour of the week over the baseline weeks.',
  })
  expected: string;
  @Field(() => DecimalScalar, { description: "The hour's spend." }) observed: string;
  @Field(() => Float, {
    description:
      '(observed − expected) ÷ max(1.4826 × MAD, 10 % of expected, 0.01): at least 4 for an anomaly.',
  })
  score: number;
}

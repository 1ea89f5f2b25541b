import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AttributionFields } from '../graphql/attribution-fields';
import { Connection } from '../graphql/pagination';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';
import { CostComponent } from '../pricing/pricing.types';

export enum SpendDimension {
  PROVIDER = 'provider',
  MODEL = 'model',
  TEAM = 'team',
  FEATURE = 'feature',
  ENVIRONMENT = 'environment',
  CUSTOMER = 'customer',
  PROJECT = 'project',
  USER = 'user',
  AGENT = 'agent',
  DAY = 'day',
  HOUR = 'hour',
}
registerEnumType(SpendDimension, { name: 'SpendDimension' });

@InputType({ description: 'Every field optional; a row must match all that are set.' })
export class SpendFilter extends AttributionFields {
  @Field(() => String, { nullable: true }) provider?: string;
  @Field(() => String, { nullable: true }) model?: string;
}

@ObjectType()
export class SpendRow {
  @Field(() => JSONObjectScalar, {
    description: 'Lowercase keys: {"team": "search", "day": "2026-11-20"}',
  })
  dimensions: Record<string, string | null>;
  @Field(() => DecimalScalar) cost: string;
  @Field(() => String) currency: string;
  @Field(() => Int) requests: number;
  @Field(() => Int, {
    description: 'Requests in `requests` that no price covered: their cost is unknown, not 0.',
  })
  unpricedRequests: number;
  @Field(() => JSONObjectScalar, { description: 'Tokens per usage key.' }) tokens: Record<
    string,
    number
  >;
}

@ObjectType()
export class SpendReport {
  @Field(() => [SpendRow]) rows: SpendRow[];
  @Field(() => DecimalScalar, { description: 'The exact sum of the rows.' }) total: string;
  @Field(() => String) currency: string;
  @Field(() => Int) requests: number;
  @Field(() => Int, {
    description: 'Requests no price covered, over all rows: the total leaves their cost out.',
  })
  unpricedRequests: number;
}

@ObjectType()
export class IngestItemResult {
  @Field(() => String, { nullable: true }) id?: string;
  @Field(() => String, { description: 'accepted | duplicate | rejected' }) status: string;
  @Field(() => String, { nullable: true }) reason?: string;
}

@ObjectType()
export class IngestResult {
  @Field(() => Int) accepted: number;
  @Field(() => Int) duplicates: number;
  @Field(() => Int) rejected: number;
  @Field(() => [IngestItemResult]) results: IngestItemResult[];
}

@InputType()
export class UsageEventFilter extends SpendFilter {
  @Field(() => Date, { nullable: true }) from?: Date;
  @Field(() => Date, { nullable: true }) to?: Date;
  @Field(() => String, { nullable: true }) source?: string;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Only events with (true) or without (false) unpriced usage.',
  })
  unpriced?: boolean;
}

@ObjectType()
export class UsageEventNode {
  @Field(() => ID) id: string;
  @Field(() => String) source: string;
  @Field(() => Date) timestamp: Date;
  @Field(() => Date) receivedAt: Date;
  @Field(() => String) provider: string;
  @Field(() => String) model: string;
  @Field(() => String, { nullable: true }) operation?: string;
  @Field(() => JSONObjectScalar) attribution: Record<string, string>;
  @Field(() => JSONObjectScalar) tags: Record<string, string>;
  @Field(() => String) status: string;
  @Field(() => JSONObjectScalar, { description: 'Usage in the canonical vocabulary.' })
  usage: Record<string, unknown>;
  @Field(() => DecimalScalar) cost: string;
  @Field(() => String) currency: string;
  @Field(() => [CostComponent]) breakdown: CostComponent[];
  @Field(() => String, { nullable: true }) priceCardId?: string;
  @Field(() => Boolean) unpriced: boolean;
  @Field(() => [String]) unpricedKeys: string[];
  @Field(() => Boolean) cacheHit: boolean;
  @Field(() => Boolean) batch: boolean;
  @Field(() => String, { nullable: true }) decisionId?: string;
  @Field(() => String) ingestPath: string;
}

export const UsageEventConnection = Connection(UsageEventNode, 'UsageEvent');

@ObjectType()
export class DeadLetterNode {
  @Field(() => ID) id: string;
  @Field(() => String, { description: 'nats, http, graphql or replay' }) origin: string;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) streamSequence?: string;
  @Field(() => String, { nullable: true }) eventId?: string;
  @Field(() => String, { nullable: true }) source?: string;
  @Field(() => String) reason: string;
  @Field(() => JSONObjectScalar, { nullable: true }) details?: Record<string, unknown>;
  @Field(() => String, { description: 'The original message, as received.' }) payload: string;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) replayedAt?: Date;
  @Field(() => String, { nullable: true }) replayResult?: string;
}

export const DeadLetterConnection = Connection(DeadLetterNode, 'DeadLetter');

@ObjectType()
export class UnpricedModel {
  @Field(() => String) provider: string;
  @Field(() => String) model: string;
  @Field(() => Int) events: number;
  @Field(() => [String]) unpricedKeys: string[];
  @Field(() => JSONObjectScalar) tokens: Record<string, number>;
  @Field(() => Date) firstSeen: Date;
  @Field(() => Date) lastSeen: Date;
}

@ObjectType()
export class RepriceTotal {
  @Field(() => String) currency: string;
  @Field(() => DecimalScalar) before: string;
  @Field(() => DecimalScalar) after: string;
}

@ObjectType()
export class RepriceResult {
  @Field(() => Int) scanned: number;
  @Field(() => Int) changed: number;
  @Field(() => Int, { description: 'Events that had unpriced usage and are fully priced now.' })
  newlyPriced: number;
  @Field(() => [RepriceTotal], {
    description: 'Total cost of the scanned events before and after, per currency.',
  })
  totals: RepriceTotal[];
}

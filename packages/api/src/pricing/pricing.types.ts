import { BILLED_TOKEN_KEYS, type PriceCard, type TokenPrices } from '@purser/pricing';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar, JSONObjectScalar } from '../graphql/scalars';
import type { PriceCardEntity } from './price-card.entity';

@ObjectType({ description: 'Prices per 1M tokens; a null key is not priced by the card.' })
export class TokenPricesObject {
  @Field(() => DecimalScalar, { nullable: true }) inputTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheReadTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheWriteTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheWrite1hTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) outputTokens?: string;
}

@InputType({
  description:
    'Prices per 1M tokens as decimal strings; leave a key out when the model does not price it.',
})
export class TokenPricesInput {
  @Field(() => DecimalScalar, { nullable: true }) inputTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheReadTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheWriteTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) cacheWrite1hTokens?: string;
  @Field(() => DecimalScalar, { nullable: true }) outputTokens?: string;
}

@ObjectType()
export class PriceTierObject {
  @Field(() => Int, {
    description: 'The tier applies to every token of a call whose prompt exceeds this.',
  })
  abovePromptTokens: number;
  @Field(() => TokenPricesObject) prices: TokenPricesObject;
}

@InputType()
export class PriceTierInput {
  @Field(() => Int) abovePromptTokens: number;
  @Field(() => TokenPricesInput) prices: TokenPricesInput;
}

@ObjectType()
export class PriceSourceObject {
  @Field(() => String) name: string;
  @Field(() => String, { nullable: true }) url?: string;
  @Field(() => String) retrievedAt: string;
}

@ObjectType({ description: 'One version of the price of one model at one provider.' })
export class ModelPrice {
  @Field(() => ID, { description: 'The version id that costs record as their priceCardId.' })
  id: string;
  @Field(() => String) provider: string;
  @Field(() => String) model: string;
  @Field(() => [String]) aliases: string[];
  @Field(() => String, { nullable: true }) pattern?: string;
  @Field(() => Date) effectiveFrom: Date;
  @Field(() => Date, { nullable: true }) effectiveTo?: Date;
  @Field(() => String) currency: string;
  @Field(() => TokenPricesObject) prices: TokenPricesObject;
  @Field(() => [PriceTierObject]) tiers: PriceTierObject[];
  @Field(() => TokenPricesObject, { nullable: true }) batchPrices?: TokenPricesObject;
  @Field(() => DecimalScalar, { nullable: true }) batchDiscount?: string;
  @Field(() => JSONObjectScalar, {
    description: 'Price per unit, e.g. {"web_search_requests": "0.01"}',
  })
  unitPrices: Record<string, string>;
  @Field(() => PriceSourceObject) source: PriceSourceObject;
  @Field(() => Int) version: number;
  @Field(() => Date) createdAt: Date;
  @Field(() => String, { nullable: true }) createdBy?: string;
  @Field(() => Date, { nullable: true, description: 'Set when a later version replaced this one.' })
  supersededAt?: Date;
  @Field(() => String, {
    nullable: true,
    description: 'How the model name matched (exact, alias, pattern).',
  })
  matchedBy?: string;
}

@InputType()
export class ModelPriceInput {
  @Field(() => String) provider: string;
  @Field(() => String) model: string;
  @Field(() => [String], { nullable: true }) aliases?: string[];
  @Field(() => String, {
    nullable: true,
    description: 'An anchored regular expression ^…$ for model-id families.',
  })
  pattern?: string;
  @Field(() => Date, { nullable: true, description: 'Defaults to now.' }) effectiveFrom?: Date;
  @Field(() => Date, { nullable: true }) effectiveTo?: Date;
  @Field(() => String, { nullable: true, defaultValue: 'USD' }) currency?: string;
  @Field(() => TokenPricesInput) prices: TokenPricesInput;
  @Field(() => [PriceTierInput], { nullable: true }) tiers?: PriceTierInput[];
  @Field(() => TokenPricesInput, { nullable: true }) batchPrices?: TokenPricesInput;
  @Field(() => DecimalScalar, { nullable: true }) batchDiscount?: string;
  @Field(() => JSONObjectScalar, { nullable: true }) unitPrices?: Record<string, string>;
  @Field(() => String, { nullable: true, defaultValue: 'manual' }) sourceName?: string;
  @Field(() => String, { nullable: true }) sourceUrl?: string;
}

export enum PricingFormat {
  LITELLM_JSON = 'LITELLM_JSON',
}
registerEnumType(PricingFormat, { name: 'PricingFormat' });

@ObjectType()
export class ImportEntryIssue {
  @Field(() => String) key: string;
  @Field(() => String) message: string;
}

@ObjectType()
export class ImportPricingResult {
  @Field(() => Int, { description: 'Models priced for the first time.' }) created: number;
  @Field(() => Int, { description: 'Models whose price changed: a new version was added.' })
  updated: number;
  @Field(() => Int, {
    description: 'Entries equal to the price in force, or not importable (see skippedEntries).',
  })
  skipped: number;
  @Field(() => [ImportEntryIssue]) skippedEntries: ImportEntryIssue[];
  @Field(() => [ImportEntryIssue]) errors: ImportEntryIssue[];
}

@InputType({ description: 'The usage vocabulary, camelCased.' })
export class UsageInput {
  @Field(() => Int, { nullable: true }) inputTokens?: number;
  @Field(() => Int, { nullable: true }) cacheReadTokens?: number;
  @Field(() => Int, { nullable: true }) cacheWriteTokens?: number;
  @Field(() => Int, { nullable: true }) cacheWrite1hTokens?: number;
  @Field(() => Int, { nullable: true }) outputTokens?: number;
  @Field(() => Int, { nullable: true }) reasoningTokens?: number;
  @Field(() => JSONObjectScalar, { nullable: true }) units?: Record<string, number>;
}

@ObjectType()
export class CostComponent {
  @Field(() => String) key: string;
  @Field(() => Float) quantity: number;
  @Field(() => DecimalScalar, { description: 'Price of one token or unit.' }) unitPrice: string;
  @Field(() => DecimalScalar) amount: string;
}

@ObjectType()
export class CostEstimate {
  @Field(() => DecimalScalar) total: string;
  @Field(() => String) currency: string;
  @Field(() => [CostComponent]) breakdown: CostComponent[];
  @Field(() => ID, { nullable: true }) priceCardId?: string;
  @Field(() => [String], { description: 'Usage keys with no price: their cost is not in total.' })
  unpricedKeys: string[];
}

const camel = {
  input_tokens: 'inputTokens',
  cache_read_tokens: 'cacheReadTokens',
  cache_write_tokens: 'cacheWriteTokens',
  cache_write_1h_tokens: 'cacheWrite1hTokens',
  output_tokens: 'outputTokens',
} as const;

export function toTokenPricesObject(prices: TokenPrices): TokenPricesObject {
  const result: TokenPricesObject = {};
  for (const key of BILLED_TOKEN_KEYS)
    if (prices[key] !== undefined) result[camel[key]] = prices[key];
  return result;
}

export function fromTokenPricesInput(prices: TokenPricesInput): TokenPrices {
  const result: TokenPrices = {};
  for (const key of BILLED_TOKEN_KEYS) {
    const value = prices[camel[key]];
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result;
}

export function toModelPrice(row: PriceCardEntity, matchedBy?: string): ModelPrice {
  const card: PriceCard = row.card;
  return {
    id: row.id,
    provider: row.provider,
    model: row.model,
    aliases: card.aliases,
    pattern: card.pattern,
    effectiveFrom: row.effectiveFrom,
    effectiveTo: row.effectiveTo ?? undefined,
    currency: card.currency,
    prices: toTokenPricesObject(card.prices),
    tiers: card.tiers.map((tier) => ({
      abovePromptTokens: tier.above_prompt_tokens,
      prices: toTokenPricesObject(tier.prices),
    })),
    batchPrices: card.batch_prices ? toTokenPricesObject(card.batch_prices) : undefined,
    batchDiscount: card.batch_discount,
    unitPrices: card.unit_prices,
    source: { name: card.source.name, url: card.source.url, retrievedAt: card.source.retrieved_at },
    version: row.version,
    createdAt: row.createdAt,
    createdBy: row.createdBy ?? undefined,
    supersededAt: row.supersededAt ?? undefined,
    matchedBy,
  };
}

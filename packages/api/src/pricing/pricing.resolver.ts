import {
  canonicalProvider,
  estimateCost,
  importLiteLLM,
  type PriceCard,
  priceCardSchema,
  type Usage,
} from '@purser/pricing';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { PricingService } from './pricing.service';
import { JSONObjectScalar } from '../graphql/scalars';
import {
  CostEstimate,
  ImportPricingResult,
  ModelPrice,
  ModelPriceInput,
  PricingFormat,
  UsageInput,
  fromTokenPricesInput,
  toModelPrice,
} from './pricing.types';

export function toUsage(input: UsageInput): Usage {
  const usage: Usage = {};
  const pairs = [
    ['input_tokens', input.inputTokens],
    ['cache_read_tokens', input.cacheReadTokens],
    ['cache_write_tokens', input.cacheWriteTokens],
    ['cache_write_1h_tokens', input.cacheWrite1hTokens],
    ['output_tokens', input.outputTokens],
    ['reasoning_tokens', input.reasoningTokens],
  ] as const;
  for (const [key, value] of pairs) {
    if (value === undefined || value === null) continue;
    if (value < 0) throw badInput(`usage.${key}: must be a non-negative integer (got ${value})`);
    usage[key] = value;
  }
  if (input.units) {
    for (const [name, value] of Object.entries(input.units)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw badInput(
          `usage.units.${name}: must be a non-negative number (got ${JSON.stringify(value)})`,
        );
      }
    }
    usage.units = input.units;
  }
  return usage;
}

/** The services this resolver calls (the assembly's registry has them all). */
type Context = GraphQLContext<{ pricing: PricingService }>;

@Resolver()
export class PricingResolver {
  @Query(() => [ModelPrice], {
    description: 'Stored price versions; every filter optional. `at`: only those in force then.',
  })
  async modelPrices(
    @Ctx() context: Context,
    @Arg('provider', () => String, { nullable: true }) provider?: string,
    @Arg('model', () => String, { nullable: true }) model?: string,
    @Arg('at', () => Date, { nullable: true }) at?: Date,
    @Arg('includeSuperseded', () => Boolean, { defaultValue: false }) includeSuperseded?: boolean,
  ): Promise<ModelPrice[]> {
    assertPermission(context.principal, 'pricing.read');
    const rows = await context.services.pricing.history({
      provider: provider ? canonicalProvider(provider) : undefined,
      model,
      at,
      includeSuperseded,
    });
    return rows.map((row) => toModelPrice(row));
  }

  @Query(() => ModelPrice, {
    nullable: true,
    description:
      'The price that applies to this model name at `at` (default now), by the matching rules.',
  })
  async modelPrice(
    @Arg('provider', () => String) provider: string,
    @Arg('model', () => String) model: string,
    @Ctx() context: Context,
    @Arg('at', () => Date, { nullable: true }) at?: Date,
  ): Promise<ModelPrice | null> {
    assertPermission(context.principal, 'pricing.read');
    const catalog = await context.services.pricing.catalog();
    const match = catalog.match(provider, model, at ?? new Date());
    if (!match) return null;
    const row = await context.services.pricing.byId(match.card.id);
    return row ? toModelPrice(row, match.matched_by) : null;
  }

  @Query(() => CostEstimate)
  async estimateCost(
    @Arg('provider', () => String) provider: string,
    @Arg('model', () => String) model: string,
    @Arg('usage', () => UsageInput) usage: UsageInput,
    @Ctx() context: Context,
    @Arg('at', () => Date, { nullable: true }) at?: Date,
  ): Promise<CostEstimate> {
    assertPermission(context.principal, 'pricing.read');
    const catalog = await context.services.pricing.catalog();
    const estimate = estimateCost(catalog, {
      provider,
      model,
      usage: toUsage(usage),
      at: at ?? new Date(),
    });
    return {
      total: estimate.total,
      currency: estimate.currency,
      breakdown: estimate.breakdown.map((line) => ({
        key: line.key,
        quantity: line.quantity,
        unitPrice: line.unit_price,
        amount: line.amount,
      })),
      priceCardId: estimate.price_card_id,
      unpricedKeys: estimate.unpriced_keys,
    };
  }

  @Mutation(() => [ModelPrice], {
    description:
      'Adds a price as a new effective-dated version; history is never edited. Returns the versions written.',
  })
  async upsertModelPrice(
    @Arg('input', () => ModelPriceInput) input: ModelPriceInput,
    @Ctx() context: Context,
  ): Promise<ModelPrice[]> {
    const principal = assertPermission(context.principal, 'pricing.write');
    const provider = canonicalProvider(input.provider);
    const effectiveFrom = (input.effectiveFrom ?? new Date()).toISOString();
    const parsed = priceCardSchema.safeParse({
      id: `${provider}/${input.model}@${effectiveFrom}`,
      provider,
      model: input.model,
      aliases: input.aliases ?? [],
      pattern: input.pattern ?? undefined,
      effective_from: effectiveFrom,
      effective_to: input.effectiveTo?.toISOString(),
      currency: input.currency ?? 'USD',
      prices: fromTokenPricesInput(input.prices),
      tiers: (input.tiers ?? []).map((tier) => ({
        above_prompt_tokens: tier.abovePromptTokens,
        prices: fromTokenPricesInput(tier.prices),
      })),
      batch_prices: input.batchPrices ? fromTokenPricesInput(input.batchPrices) : undefined,
      batch_discount: input.batchDiscount ?? undefined,
      unit_prices: input.unitPrices ?? {},
      source: {
        name: input.sourceName ?? 'manual',
        url: input.sourceUrl ?? undefined,
        retrieved_at: new Date().toISOString(),
      },
    });
    if (!parsed.success) {
      throw badInput(
        parsed.error.issues
          .map((issue) => `input.${issue.path.join('.')}: ${issue.message}`)
          .join('; '),
      );
    }
    const result = await context.services.pricing.applyCards([parsed.data], principal.name);
    return result.inserted.map((row) => toModelPrice(row));
  }

  @Mutation(() => ImportPricingResult, {
    description: "Imports a price list (LiteLLM's model_prices_and_context_window.json).",
  })
  async importPricing(
    @Arg('format', () => PricingFormat) format: PricingFormat,
    @Arg('document', () => JSONObjectScalar) document: Record<string, unknown>,
    @Ctx() context: Context,
    @Arg('effectiveFrom', () => Date, {
      nullable: true,
      description: 'When these prices took effect; default now.',
    })
    effectiveFrom?: Date,
    @Arg('sourceName', () => String, { nullable: true }) sourceName?: string,
    @Arg('sourceUrl', () => String, { nullable: true }) sourceUrl?: string,
  ): Promise<ImportPricingResult> {
    const principal = assertPermission(context.principal, 'pricing.write');
    if (format !== PricingFormat.LITELLM_JSON) throw badInput(`format ${format} is not supported`);
    const at = effectiveFrom ?? new Date();
    const imported = importLiteLLM(document, {
      source: {
        name: sourceName ?? 'LiteLLM model_prices_and_context_window.json',
        url: sourceUrl ?? undefined,
        retrieved_at: at.toISOString(),
      },
      effective_from: at.toISOString(),
    });
    const cards: PriceCard[] = imported.cards;
    const applied = await context.services.pricing.applyCards(cards, principal.name);
    return {
      created: applied.created,
      updated: applied.updated,
      skipped: applied.skipped + imported.skipped.length,
      skippedEntries: imported.skipped.map((entry) => ({ key: entry.key, message: entry.reason })),
      errors: imported.errors.map((entry) => ({ key: entry.key, message: entry.message })),
    };
  }
}

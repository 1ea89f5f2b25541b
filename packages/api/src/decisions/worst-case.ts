import { estimateCost, type PricingCatalog, toNanosCeil } from '@purser/pricing';
import type { BudgetState } from '../budgets/budget.service';

/** The most a call can cost: its input and every output token it may produce, priced. */
export interface Estimate {
  model: string;
  total: string;
  input: string;
  perOutputToken: string;
  currency: string;
  /** False when the model, or one of the usage keys, has no price. */
  priced: boolean;
}

/** What is priced of a decision (a `DecisionContext` is one): the provider, input and instant. */
export interface PricedCall {
  readonly provider: string;
  readonly request: { readonly estimatedInputTokens: number };
  readonly now: Date;
}

/** The worst case of `call` on `model` with at most `outputTokens` of output. */
export function worstCase(
  catalog: PricingCatalog,
  call: PricedCall,
  model: string,
  outputTokens: number,
): Estimate {
  const full = estimateCost(catalog, {
    provider: call.provider,
    model,
    usage: { input_tokens: call.request.estimatedInputTokens, output_tokens: outputTokens },
    at: call.now,
  });
  const input = full.breakdown.find((line) => line.key === 'input_tokens')?.amount ?? '0';
  const output = full.breakdown.find((line) => line.key === 'output_tokens');
  return {
    model,
    total: full.total,
    input,
    perOutputToken: output ? output.unit_price : '0',
    currency: full.currency,
    priced: full.priced && full.unpriced_keys.length === 0,
  };
}

/**
 * The models the policy may downgrade `model` to: those after it in a budget's downgrade
 * chain or a default chain, when some budget downgrades; none otherwise.
 */
export function downgradeModels(
  model: string,
  budgets: readonly BudgetState[],
  defaultChains: readonly string[][],
): string[] {
  if (!budgets.some((budget) => budget.mode === 'downgrade')) return [];
  const models = new Set<string>();
  for (const chain of [...budgets.map((budget) => budget.downgradeChain), ...defaultChains]) {
    const index = chain.indexOf(model);
    if (index >= 0) chain.slice(index + 1).forEach((candidate) => models.add(candidate));
  }
  models.delete(model);
  return [...models];
}

/** A call as asked: its model and output cap besides what is priced. */
export interface AskedCall extends PricedCall {
  readonly request: PricedCall['request'] & {
    readonly model: string;
    readonly maxOutputTokens: number;
  };
}

/** Worst-case estimates of every model the policy may downgrade the asked model to. */
export function downgradeCandidates(
  catalog: PricingCatalog,
  call: AskedCall,
  budgets: readonly BudgetState[],
  defaultChains: readonly string[][],
): Estimate[] {
  return downgradeModels(call.request.model, budgets, defaultChains).map((model) =>
    worstCase(catalog, call, model, call.request.maxOutputTokens),
  );
}

/** An estimate as the policy reads it: integer nano-units, rounded up. */
export function toPolicyEstimate(estimate: Estimate) {
  return {
    model: estimate.model,
    cost_nanos: toNanosCeil(estimate.total),
    input_cost_nanos: toNanosCeil(estimate.input),
    cost_per_output_token_nanos: toNanosCeil(estimate.perOutputToken),
  };
}

import { Money, toNanosCeil, toNanosFloor } from '@purser/pricing';
import type { BudgetSnapshot, DecisionInput, VelocitySnapshot } from '@purser/policy';
import type { BudgetState } from '../budgets/budget.service';
import type { VelocityState } from '../velocity/velocity.service';
import type { DecisionContext } from './decision-context';
import { type Estimate, toPolicyEstimate } from './worst-case';

/** What of a decision's context the policy input is made of. */
export type PolicyFacts = Pick<
  DecisionContext,
  'request' | 'provider' | 'attribution' | 'principal' | 'virtualKey' | 'now'
>;

/**
 * The policy's input (packages/policy `DecisionInput`): the request, the principal, the worst
 * case and the downgrade candidates, and the counters of the budgets (in the estimate's
 * currency) and velocity limits the decision stands on, all money in integer nano-units.
 */
export function policyInput(
  facts: PolicyFacts,
  estimate: Estimate,
  candidates: readonly Estimate[],
  budgets: readonly BudgetState[],
  velocity: readonly VelocityState[],
): DecisionInput {
  const { request, principal, virtualKey, now } = facts;
  return {
    request: {
      provider: facts.provider,
      model: request.model,
      attribution: facts.attribution,
      estimated_input_tokens: request.estimatedInputTokens,
      max_output_tokens: request.maxOutputTokens,
      metadata: request.metadata ?? {},
    },
    principal: {
      key_id: principal.keyId,
      role: principal.role,
      ...(virtualKey
        ? { virtual_key: { id: virtualKey.id, allowed_models: virtualKey.allowedModels } }
        : {}),
    },
    estimate: toPolicyEstimate(estimate),
    candidates: candidates.map(toPolicyEstimate),
    budgets: budgets.map(toBudgetSnapshot),
    velocity: velocity.map((state) => toVelocitySnapshot(state, now)),
    now_ns: (BigInt(now.getTime()) * 1_000_000n).toString(),
  };
}

export function toBudgetSnapshot(budget: BudgetState): BudgetSnapshot {
  return {
    id: budget.id,
    name: budget.name,
    mode: budget.mode,
    limit_nanos: toNanosFloor(budget.limit),
    spent_nanos: toNanosCeil(budget.spent),
    reserved_nanos: toNanosCeil(budget.reserved),
    soft_thresholds: budget.softThresholds,
    downgrade_chain: budget.downgradeChain,
    resets_at: budget.windowEnd?.toISOString() ?? null,
  };
}

/** Whole seconds until a velocity window ends, at least 1 (1 when there is no window). */
export function retryAfter(state: VelocityState | undefined, now: Date): number {
  if (!state) return 1;
  return Math.max(1, Math.ceil((state.windowEnd.getTime() - now.getTime()) / 1000));
}

export function toVelocitySnapshot(state: VelocityState, now: Date): VelocitySnapshot {
  const money = state.limit.metric === 'cost';
  return {
    id: state.limit.id,
    scope: state.limit.scope,
    metric: money ? 'cost_nanos' : state.limit.metric === 'tokens' ? 'tokens' : 'requests',
    limit: money
      ? toNanosFloor(state.limit.limit)
      : new Money(state.limit.limit).floor().toFixed(0),
    window_seconds: state.limit.windowSeconds,
    current: money ? toNanosCeil(state.current) : new Money(state.current).ceil().toFixed(0),
    retry_after_seconds: retryAfter(state, now),
  };
}

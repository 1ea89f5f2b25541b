import type { CounterIncrement, HoldRequest } from '../budgets/budget-ledger';
import type { VelocityState } from '../velocity/velocity.service';
import type { DecisionContext } from './decision-context';
import type { Estimate } from './worst-case';

/** What a hold is made of: the allowed evaluation and the snapshot it was made on. */
export type HoldFacts = Pick<
  DecisionContext,
  'decisionId' | 'request' | 'principal' | 'attribution' | 'now' | 'evaluation' | 'snapshot'
>;

/**
 * The hold of an allowed evaluation: its worst case on every budget it saw (in the estimate's
 * currency), and one increment of each velocity counter of the snapshot.
 */
export function holdRequestOf(
  decision: HoldFacts,
  reservationId: string,
  expiresAt: Date,
): HoldRequest {
  const evaluation = decision.evaluation!;
  const final = evaluation.final!;
  const tokens = decision.request.estimatedInputTokens + evaluation.decision.maxOutputTokens;
  return {
    reservationId,
    decisionId: decision.decisionId,
    amount: final.total,
    currency: final.currency,
    budgets: evaluation.budgets,
    counters: decision.snapshot!.velocity.map((state) => counterIncrement(state, tokens, final)),
    attribution: decision.attribution,
    now: decision.now,
    expiresAt,
    keyId: decision.principal.keyId,
  };
}

/** What one decision adds to a velocity counter: a request, its tokens, or its cost. */
export function counterIncrement(
  state: VelocityState,
  tokens: number,
  final: Estimate,
): CounterIncrement {
  return {
    limitId: state.limit.id,
    scopeValue: state.scopeValue,
    windowStart: state.windowStart,
    amount:
      state.limit.metric === 'requests'
        ? '1'
        : state.limit.metric === 'tokens'
          ? String(tokens)
          : final.total,
    limit: state.limit.limit,
  };
}

import type { DecisionReason, PolicyDecision } from '@purser/policy';
import type { HoldRequest, HoldResult } from '../budgets/budget-ledger';
import type { BudgetState } from '../budgets/budget.service';
import { plus } from '@purser/pricing';
import { remainingOf } from '../budgets/money';
import type { VelocityState } from '../velocity/velocity.service';
import type { Decision, DecisionBudget, DecisionContext, Reason } from './decision-context';
import { retryAfter } from './policy-input';
import type { Estimate } from './worst-case';

/**
 * The answers a decision can give, built from plain values (no I/O, no clock): the policy's
 * own answer, the answers around it (unpriced, held, simulated, fail_open) and `deny`, the
 * one builder every deny goes through.
 */

/** What every answer states besides its verdict: which decision, on what model, by what policy. */
export type AnswerFacts = Pick<
  Decision,
  'decisionId' | 'model' | 'maxOutputTokens' | 'currency' | 'policyRevision'
>;

/** A budget as an answer shows it, with `held` more reserved (the decision's own hold). */
export function budgetView(budget: BudgetState, held: string): DecisionBudget {
  const reserved = plus(budget.reserved, held);
  return {
    id: budget.id,
    name: budget.name,
    mode: budget.mode,
    limit: budget.limit,
    spent: budget.spent,
    reserved,
    remaining: remainingOf(budget.limit, budget.spent, reserved),
    currency: budget.currency,
    resetsAt: budget.windowEnd,
  };
}

/** Budgets as they are (nothing held by this decision). */
export function budgetViews(budgets: readonly BudgetState[]): DecisionBudget[] {
  return budgets.map((budget) => budgetView(budget, '0'));
}

/** The facts of an answer on the model and output cap that were asked, in `currency`. */
export function askedFacts(
  context: Pick<DecisionContext, 'decisionId' | 'request' | 'policy'>,
  currency: string,
): AnswerFacts {
  return {
    decisionId: context.decisionId,
    model: context.request.model,
    maxOutputTokens: context.request.maxOutputTokens,
    currency,
    policyRevision: context.policy.revision,
  };
}

/**
 * The one deny: not allowed, action `deny`, the reasons, the budgets as they are, and a
 * `retryAfterSeconds` when the gateway may ask again.
 */
export function deny(
  facts: AnswerFacts,
  reasons: Reason[],
  budgets: DecisionBudget[],
  retryAfterSeconds?: number,
): Decision {
  return {
    decisionId: facts.decisionId,
    allow: false,
    action: 'deny',
    model: facts.model,
    maxOutputTokens: facts.maxOutputTokens,
    reasons,
    budgets,
    currency: facts.currency,
    policyRevision: facts.policyRevision,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

/** Deny on one reason, which carries the retry if any. */
export function denyFor(facts: AnswerFacts, reason: Reason, budgets: DecisionBudget[]): Decision {
  return deny(facts, [reason], budgets, reason.retryAfterSeconds);
}

export const VIRTUAL_KEY_INVALID: Reason = {
  code: 'virtual_key_invalid',
  message: 'The virtual key is unknown or revoked',
};

/**
 * When the database cannot be reached (`busy`: every connection of this replica stayed busy,
 * an overload rather than an outage): allowed without a hold by `fail_open`, else denied, an
 * overload with a retry in a second.
 */
export function failModeAnswer(facts: AnswerFacts, failOpen: boolean, busy: boolean): Decision {
  const why = failModeCause(busy);
  if (failOpen) {
    return {
      ...facts,
      budgets: [],
      allow: true,
      action: 'warn',
      reasons: [
        {
          code: 'fail_open',
          message: `Budgets could not be checked (${why}); allowed without a hold by fail_open`,
        },
      ],
    };
  }
  return denyFor(
    facts,
    {
      code: busy ? 'purser_overloaded' : 'purser_unavailable',
      message: `Budgets could not be checked${busy ? ' in time' : ''} (${why}); denied by fail_closed`,
      ...(busy ? { retryAfterSeconds: 1 } : {}),
    },
    [],
  );
}

export function failModeCause(busy: boolean): string {
  return busy ? 'every database connection stayed busy' : 'database unreachable';
}

export function policyErrorReason(code: string): Reason {
  return { code: 'policy_error', message: `The policy could not be evaluated: ${code}` };
}

function fromPolicyReason(reason: DecisionReason): Reason {
  return {
    code: reason.code,
    message: reason.message,
    ...(reason.budget_id ? { budgetId: reason.budget_id } : {}),
    ...(reason.retry_after_seconds !== undefined
      ? { retryAfterSeconds: reason.retry_after_seconds }
      : {}),
  };
}

/**
 * The policy's answer as a decision. Budgets are left empty: an allowed decision shows them
 * with its hold, or as they are for a simulation; views are only made for the answer given.
 */
export function fromPolicyAnswer(
  decisionId: string,
  estimate: Estimate,
  answer: PolicyDecision,
  revision: string,
): Decision {
  return {
    decisionId,
    currency: estimate.currency,
    policyRevision: revision,
    allow: answer.allow,
    action: answer.action,
    model: answer.model,
    maxOutputTokens: answer.max_output_tokens,
    reasons: answer.reasons.map(fromPolicyReason),
    budgets: [],
    ...(answer.retry_after_seconds !== null
      ? { retryAfterSeconds: answer.retry_after_seconds }
      : {}),
  };
}

/** An allowed model without a price: denied when a budget enforces (it cannot be checked). */
export function unpricedDeny(
  allowed: Decision,
  provider: string,
  enforced: BudgetState,
  budgets: DecisionBudget[],
): Decision {
  return deny(
    allowed,
    [
      {
        code: 'unpriced_model',
        message: `${provider}/${allowed.model} has no price, so budget "${enforced.name}" cannot be checked`,
        budgetId: enforced.id,
      },
    ],
    budgets,
    allowed.retryAfterSeconds,
  );
}

/** An allowed model without a price and no budget enforcing: allowed with a warning. */
export function unpricedWarn(allowed: Decision, provider: string): Decision {
  return {
    ...allowed,
    action: allowed.action === 'allow' ? 'warn' : allowed.action,
    reasons: [
      ...allowed.reasons,
      {
        code: 'unpriced_model_unenforced',
        message: `${provider}/${allowed.model} has no price; add one so its usage is costed`,
      },
    ],
  };
}

/** A simulation's allowed answer: the budgets as they are, nothing held. */
export function simulatedAnswer(allowed: Decision, budgets: readonly BudgetState[]): Decision {
  return { ...allowed, budgets: budgetViews(budgets) };
}

/**
 * The allowed answer with its hold: each budget with the counters the hold saw (`seen`, when
 * it saw them) plus the amount held, and the reservation.
 */
export function heldAnswer(
  allowed: Decision,
  budgets: readonly BudgetState[],
  seen: readonly BudgetState[],
  final: Estimate,
  hold: Pick<HoldRequest, 'reservationId' | 'expiresAt'>,
): Decision {
  const byId = new Map(seen.map((budget) => [budget.id, budget]));
  return {
    ...allowed,
    budgets: budgets.map((budget) => budgetView(byId.get(budget.id) ?? budget, final.total)),
    reservation: {
      id: hold.reservationId,
      amount: final.total,
      currency: final.currency,
      expiresAt: hold.expiresAt,
    },
  };
}

/** Why the last hold was refused, once concurrent holds kept taking what it needed. */
export function concurrentHoldsReason(
  refused: HoldResult | undefined,
  velocity: readonly VelocityState[],
  now: Date,
): Reason {
  if (refused?.limitId) {
    return {
      code: 'rate_limited',
      message: 'The velocity limit was reached by concurrent requests',
      retryAfterSeconds: retryAfter(
        velocity.find((state) => state.limit.id === refused.limitId),
        now,
      ),
    };
  }
  return {
    code: 'budget_exceeded',
    message: 'Concurrent holds used the remaining budget before this hold could be placed',
    ...(refused?.budgetId ? { budgetId: refused.budgetId } : {}),
  };
}

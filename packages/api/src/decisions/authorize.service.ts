import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalProvider } from '@purser/pricing';
import type { PolicyDecision, PolicyError } from '@purser/policy';
import { wellFormedAttribution } from '../attribution/scope';
import type { Principal } from '../auth/api-key.service';
import { AllowanceWait } from '../budgets/allowance-wait';
import type { BudgetCache } from '../budgets/budget-cache';
import type { BudgetLedger, HoldAttempt } from '../budgets/budget-ledger';
import type { BudgetService, BudgetState } from '../budgets/budget.service';
import type { Env } from '../config/env';
import { isPoolExhausted, isTransientDatabaseError } from '../db/transient';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PricingService } from '../pricing/pricing.service';
import type { VelocityService } from '../velocity/velocity.service';
import type { VirtualKeyService } from '../virtual-keys/virtual-key.service';
import {
  askedFacts,
  budgetViews,
  concurrentHoldsReason,
  denyFor,
  failModeAnswer,
  failModeCause,
  fromPolicyAnswer,
  heldAnswer,
  policyErrorReason,
  simulatedAnswer,
  unpricedDeny,
  unpricedWarn,
  VIRTUAL_KEY_INVALID,
} from './decision-answers';
import {
  type AuthorizeRequest,
  type Decision,
  type DecisionContext,
  type DecisionPath,
  type Evaluation,
  nothingDecidedYet,
} from './decision-context';
import type { DecisionLog } from './decision-log';
import { decisionRecord } from './decision-record';
import { countersSeenByHold, DecisionSnapshots } from './decision-snapshots';
import { holdRequestOf } from './hold-request';
import {
  type HoldOutcome,
  type HoldRetryEnd,
  type HoldRetrySteps,
  runHoldRetry,
} from './hold-retry';
import { policyInput } from './policy-input';
import type { PolicyRuntime } from './policy-runtime';
import { downgradeCandidates, worstCase } from './worst-case';

export type { AuthorizeRequest, Decision, DecisionBudget, DecisionPath } from './decision-context';

export interface AuthorizeDependencies {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  pricing: PricingService;
  budgets: BudgetService;
  budgetCache: BudgetCache;
  ledger: BudgetLedger;
  velocity: VelocityService;
  virtualKeys: VirtualKeyService;
  policy: () => PolicyRuntime;
  decisionLog: DecisionLog;
  clock: () => Date;
}

/**
 * Pre-call authorization: resolve the principal and every applicable budget → price the
 * worst case → ask the policy → hold on every budget atomically → answer and record. The
 * policy decides; this service supplies the facts (time, counters, prices) and enforces.
 *
 * One `DecisionContext` carries a decision from its request to its record. The retry over
 * snapshots and holds is `runHoldRetry` (hold-retry.ts); the answers are built in
 * decision-answers.ts, the policy's input in policy-input.ts, the worst case in worst-case.ts.
 */
export class AuthorizeService {
  private readonly snapshots: DecisionSnapshots;
  /** The retry's steps, made once: the machine runs them on each decision's context. */
  private readonly steps: HoldRetrySteps<DecisionContext, HoldAttempt>;

  constructor(private readonly deps: AuthorizeDependencies) {
    this.snapshots = new DecisionSnapshots(deps);
    this.steps = {
      readCached: (context) => this.snapshots.readCached(context),
      readFresh: (context) => this.snapshots.readFresh(context),
      snapshotExact: (context) => context.snapshot!.exact,
      decide: (context) => this.evaluate(context),
      hold: (context) => this.hold(context),
      holdOutcome,
      takeHeldCounters: (context) => this.takeHeldCounters(context),
    };
  }

  async authorize(
    request: AuthorizeRequest,
    principal: Principal,
    path: DecisionPath,
  ): Promise<Decision> {
    const context = this.contextOf(request, principal, path);
    let decision: Decision;
    try {
      decision = await this.decide(context);
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      decision = this.failMode(context, error);
    }
    return this.finish(context, decision);
  }

  private contextOf(
    request: AuthorizeRequest,
    principal: Principal,
    path: DecisionPath,
  ): DecisionContext {
    return {
      request,
      principal,
      path,
      started: performance.now(),
      now: this.deps.clock(),
      decisionId: randomUUID(),
      provider: canonicalProvider(request.provider),
      policy: this.deps.policy(),
      attribution: wellFormedAttribution(request.attribution),
      ...nothingDecidedYet(),
    };
  }

  /** Resolves the virtual key, prices the worst case, then decides and holds (hold-retry.ts). */
  private async decide(context: DecisionContext): Promise<Decision> {
    const request = context.request;
    if (request.virtualKey) {
      const virtualKey = await this.deps.virtualKeys.resolve(request.virtualKey);
      if (!virtualKey) return denyFor(askedFacts(context, 'USD'), VIRTUAL_KEY_INVALID, []);
      context.virtualKey = virtualKey;
      // The key's own attribution wins over what the request claims.
      context.attribution = {
        ...context.attribution,
        ...virtualKey.attribution,
        virtual_key: virtualKey.id,
      };
    }
    const catalog = await this.deps.pricing.catalog();
    context.catalog = catalog;
    context.estimate = worstCase(catalog, context, request.model, request.maxOutputTokens);
    return this.answer(
      context,
      await runHoldRetry(this.steps, context, context.path === 'simulate'),
    );
  }

  private answer(context: DecisionContext, end: HoldRetryEnd): Decision {
    const evaluation = context.evaluation!;
    switch (end) {
      case 'decided':
        return evaluation.decision;
      case 'simulated':
        return simulatedAnswer(evaluation.decision, evaluation.budgets);
      case 'held':
        return heldAnswer(
          evaluation.decision,
          evaluation.budgets,
          context.snapshot!.budgets,
          evaluation.final!,
          context.holdRequest!,
        );
      case 'exhausted': {
        // Concurrent holds kept taking what this one needed.
        const { snapshot, estimate } = context;
        return denyFor(
          askedFacts(context, estimate!.currency),
          concurrentHoldsReason(context.holdResult ?? undefined, snapshot!.velocity, context.now),
          budgetViews(inCurrency(snapshot!.budgets, estimate!.currency)),
        );
      }
    }
  }

  /**
   * The policy's answer on the snapshot, with the worst case of the model it chose (the
   * retry's `decide`); true when it allows with a cost to hold.
   */
  private evaluate(context: DecisionContext): boolean {
    const { catalog, estimate, snapshot, policy } = context;
    // Budgets count spend in their own currency; prices in another currency do not move them.
    const budgets = inCurrency(snapshot!.budgets, estimate!.currency);
    const candidates = downgradeCandidates(catalog!, context, budgets, policy.chains);
    const evaluated = policy.engine.evaluate(
      policyInput(context, estimate!, candidates, budgets, snapshot!.velocity),
    );
    const evaluation = evaluated.ok
      ? this.fromPolicy(context, budgets, evaluated.decision, evaluated.revision)
      : this.policyFailed(context, budgets, evaluated.error);
    context.evaluation = evaluation;
    return evaluation.decision.allow && evaluation.final !== undefined;
  }

  private fromPolicy(
    context: DecisionContext,
    budgets: BudgetState[],
    answer: PolicyDecision,
    revision: string,
  ): Evaluation {
    const { request, catalog, provider } = context;
    const estimate = context.estimate!;
    const decision = fromPolicyAnswer(context.decisionId, estimate, answer, revision);
    if (!decision.allow) {
      decision.budgets = budgetViews(budgets);
      return { budgets, decision };
    }
    const final =
      answer.model === request.model && answer.max_output_tokens === request.maxOutputTokens
        ? estimate
        : worstCase(catalog!, context, answer.model, answer.max_output_tokens);
    decision.estimatedCost = final.total;
    if (final.priced) return { budgets, decision, final };
    const enforced = budgets.find((budget) => budget.mode !== 'alert_only');
    if (enforced) {
      return {
        budgets,
        decision: unpricedDeny(decision, provider, enforced, budgetViews(budgets)),
      };
    }
    return { budgets, decision: unpricedWarn(decision, provider), final };
  }

  private policyFailed(
    context: DecisionContext,
    budgets: BudgetState[],
    error: PolicyError,
  ): Evaluation {
    this.deps.logger.error(
      { err: error, decision_id: context.decisionId },
      'policy evaluation failed; denying',
    );
    const facts = askedFacts(context, context.estimate!.currency);
    return {
      budgets,
      decision: denyFor(facts, policyErrorReason(error.code), budgetViews(budgets)),
    };
  }

  /** The retry's `hold`: the allowed cost on every budget and counter (the ledger waits for lent room). */
  private hold(context: DecisionContext): Promise<HoldAttempt> {
    const expiresAt = new Date(
      context.now.getTime() + this.deps.env.PURSER_HOLD_TTL_SECONDS * 1000,
    );
    const request = holdRequestOf(context, randomUUID(), expiresAt);
    context.holdRequest = request;
    context.allowanceWait ??= new AllowanceWait();
    return this.deps.ledger.holdOrWait(request, context.allowanceWait);
  }

  /** The retry's `take_held_counters`: remembered (explicitly), then decided on. */
  private takeHeldCounters(context: DecisionContext): void {
    const snapshot = context.snapshot!;
    const request = context.holdRequest!;
    const result = context.holdResult!;
    this.snapshots.rememberHeld(snapshot, request, result);
    context.snapshot = countersSeenByHold(snapshot, request.budgets, result);
  }

  private failMode(context: DecisionContext, error: unknown): Decision {
    // Every connection of this replica stayed busy (overload) is not the database being down.
    const busy = isPoolExhausted(error);
    const failOpen = this.deps.env.PURSER_FAIL_MODE === 'fail_open';
    this.deps.logger.error(
      { err: error, decision_id: context.decisionId },
      failOpen
        ? `${failModeCause(busy)}: allowing without a hold (PURSER_FAIL_MODE=fail_open)`
        : `${failModeCause(busy)}: denying (PURSER_FAIL_MODE=fail_closed)`,
    );
    return failModeAnswer(askedFacts(context, 'USD'), failOpen, busy);
  }

  private finish(context: DecisionContext, decision: Decision): Decision {
    const latencyMs = performance.now() - context.started;
    this.deps.metrics.decisionSeconds.observe(
      { path: context.path, action: decision.action },
      latencyMs / 1000,
    );
    this.deps.decisionLog.record(decisionRecord(context, decision, latencyMs));
    return decision;
  }
}

/** The retry's `holdOutcome`: what the ledger answered, recorded in the context. */
function holdOutcome(context: DecisionContext, attempt: HoldAttempt): HoldOutcome {
  if (attempt.waited) return 'waited';
  context.holdResult = attempt.held;
  return attempt.held.ok ? 'placed' : 'refused';
}

function inCurrency(budgets: BudgetState[], currency: string): BudgetState[] {
  return budgets.filter((budget) => budget.currency === currency);
}

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalProvider, estimateCost, Money, type PricingCatalog } from '@purser/pricing';
import type {
  BudgetSnapshot,
  DecisionInput,
  DecisionReason,
  VelocitySnapshot,
} from '@purser/policy';
import type { Principal } from '../auth/api-key.service';
import { type BudgetCache, withCounters } from '../budgets/budget-cache';
import type { BudgetLedger, CounterIncrement, HoldResult } from '../budgets/budget-ledger';
import { AllowanceWait } from '../budgets/allowance-wait';
import { type WireAttribution, wellFormedAttribution } from '../attribution/scope';
import type { BudgetService, BudgetState } from '../budgets/budget.service';
import { plus, remainingOf, toNanosCeil, toNanosFloor } from '../budgets/money';
import type { Env } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PricingService } from '../pricing/pricing.service';
import { isPoolExhausted, isTransientDatabaseError } from '../db/transient';
import type { VelocityService, VelocityState } from '../velocity/velocity.service';
import type { VirtualKey, VirtualKeyService } from '../virtual-keys/virtual-key.service';
import type { DecisionLog } from './decision-log';
import type { PolicyRuntime } from './policy-runtime';

/** What a gateway asks (ARCHITECTURE "Decisions"), already in snake_case attribution. */
export interface AuthorizeRequest {
  provider: string;
  model: string;
  attribution: WireAttribution & { session?: string; request_path?: string };
  virtualKey?: string;
  estimatedInputTokens: number;
  maxOutputTokens: number;
  metadata?: Record<string, unknown>;
}

export interface DecisionBudget {
  id: string;
  name: string;
  mode: string;
  limit: string;
  spent: string;
  reserved: string;
  remaining: string;
  currency: string;
  resetsAt: Date | null;
}

export interface Decision {
  decisionId: string;
  allow: boolean;
  action: 'allow' | 'warn' | 'downgrade' | 'deny';
  model: string;
  maxOutputTokens: number;
  reasons: { code: string; message: string; budgetId?: string; retryAfterSeconds?: number }[];
  budgets: DecisionBudget[];
  reservation?: { id: string; amount: string; currency: string; expiresAt: Date };
  estimatedCost?: string;
  currency: string;
  policyRevision: string;
  retryAfterSeconds?: number;
}

type Reason = Decision['reasons'][number];

/** Holds tried for one decision at most, when concurrent holds keep taking the room. */
const MAX_HOLD_ATTEMPTS = 3;

/** Budgets and velocity counters a decision is made on; `exact` when read from the database. */
interface Snapshot {
  budgets: BudgetState[];
  velocity: VelocityState[];
  exact: boolean;
}

interface DecisionContext {
  request: AuthorizeRequest;
  provider: string;
  attribution: AuthorizeRequest['attribution'];
  principal: Principal;
  virtualKey: VirtualKey | null;
  catalog: PricingCatalog;
  estimate: Estimate;
  policy: PolicyRuntime;
  now: Date;
  decisionId: string;
}

/** The policy's decision, the budgets it saw, and — when allowed — the cost to hold. */
interface Evaluation {
  decision: Decision;
  budgets: BudgetState[];
  final?: Estimate;
}

/** Where a decision was asked: GraphQL `authorize`, the OPA-compatible REST path, or a simulation. */
export type DecisionPath = 'graphql' | 'rest' | 'simulate';

interface Estimate {
  model: string;
  total: string;
  input: string;
  perOutputToken: string;
  currency: string;
  priced: boolean;
}

function worstCase(
  catalog: PricingCatalog,
  provider: string,
  model: string,
  inputTokens: number,
  outputTokens: number,
  at: Date,
): Estimate {
  const full = estimateCost(catalog, {
    provider,
    model,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    at,
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

function toPolicyEstimate(estimate: Estimate) {
  return {
    model: estimate.model,
    cost_nanos: toNanosCeil(estimate.total),
    input_cost_nanos: toNanosCeil(estimate.input),
    cost_per_output_token_nanos: toNanosCeil(estimate.perOutputToken),
  };
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
 * Pre-call authorization: resolve the principal and every applicable budget → price the
 * worst case → ask the policy → hold on every budget atomically → answer and record. The
 * policy decides; this service supplies the facts (time, counters, prices) and enforces.
 */
export class AuthorizeService {
  constructor(
    private readonly deps: {
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
    },
  ) {}

  async authorize(
    request: AuthorizeRequest,
    principal: Principal,
    path: DecisionPath,
  ): Promise<Decision> {
    const started = performance.now();
    const now = this.deps.clock();
    const decisionId = randomUUID();
    const provider = canonicalProvider(request.provider);
    const policy = this.deps.policy();
    const base = {
      decisionId,
      model: request.model,
      maxOutputTokens: request.maxOutputTokens,
      budgets: [],
      currency: 'USD',
      policyRevision: policy.revision,
    };
    let decision: Decision;
    let attribution: AuthorizeRequest['attribution'] = wellFormedAttribution(request.attribution);
    try {
      let virtualKey: VirtualKey | null = null;
      if (request.virtualKey) {
        virtualKey = await this.deps.virtualKeys.resolve(request.virtualKey);
        if (!virtualKey) {
          decision = {
            ...base,
            allow: false,
            action: 'deny',
            reasons: [
              { code: 'virtual_key_invalid', message: 'The virtual key is unknown or revoked' },
            ],
          };
          return this.finish(
            decision,
            request,
            provider,
            attribution,
            principal,
            path,
            started,
            now,
          );
        }
        // The key's own attribution wins over what the request claims.
        attribution = { ...attribution, ...virtualKey.attribution, virtual_key: virtualKey.id };
      }
      decision = await this.decide(
        request,
        provider,
        attribution,
        principal,
        virtualKey,
        path,
        now,
        decisionId,
      );
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      decision = this.failMode(base, error);
    }
    return this.finish(decision, request, provider, attribution, principal, path, started, now);
  }

  private failMode(base: Omit<Decision, 'allow' | 'action' | 'reasons'>, error: unknown): Decision {
    // Every connection of this replica stayed busy (overload) is not the database being down.
    const busy = isPoolExhausted(error);
    const why = busy ? 'every database connection stayed busy' : 'database unreachable';
    if (this.deps.env.PURSER_FAIL_MODE === 'fail_open') {
      this.deps.logger.error(
        { err: error, decision_id: base.decisionId },
        `${why}: allowing without a hold (PURSER_FAIL_MODE=fail_open)`,
      );
      return {
        ...base,
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
    this.deps.logger.error(
      { err: error, decision_id: base.decisionId },
      `${why}: denying (PURSER_FAIL_MODE=fail_closed)`,
    );
    // Overload passes: the gateway may ask again in a second.
    const retry = busy ? { retryAfterSeconds: 1 } : {};
    return {
      ...base,
      allow: false,
      action: 'deny',
      ...retry,
      reasons: [
        {
          code: busy ? 'purser_overloaded' : 'purser_unavailable',
          message: `Budgets could not be checked${busy ? ' in time' : ''} (${why}); denied by fail_closed`,
          ...retry,
        },
      ],
    };
  }

  /**
   * Decides on the counters this replica last saw (read again when older than
   * PURSER_COUNTER_STALENESS_MS), then holds. The hold re-checks every limit under lock and
   * answers the counters it saw: when it is refused, the policy decides again on those exact
   * counters (a downgrade or a smaller cap may still fit). A deny made on remembered
   * counters is checked on a fresh read before it is answered.
   */
  private async decide(
    request: AuthorizeRequest,
    provider: string,
    attribution: AuthorizeRequest['attribution'],
    principal: Principal,
    virtualKey: VirtualKey | null,
    path: DecisionPath,
    now: Date,
    firstDecisionId: string,
  ): Promise<Decision> {
    const policy = this.deps.policy();
    const catalog = await this.deps.pricing.catalog();
    const estimate = worstCase(
      catalog,
      provider,
      request.model,
      request.estimatedInputTokens,
      request.maxOutputTokens,
      now,
    );
    const context: DecisionContext = {
      request,
      provider,
      attribution,
      principal,
      virtualKey,
      catalog,
      estimate,
      policy,
      now,
      decisionId: firstDecisionId,
    };
    let snapshot =
      path === 'simulate'
        ? await this.freshSnapshot(attribution, now)
        : await this.cachedSnapshot(attribution, now);
    let refused: HoldResult | undefined;
    const allowanceWait = new AllowanceWait();
    for (let holds = 0; ;) {
      const outcome = this.evaluate(context, snapshot);
      if (!outcome.decision.allow || !outcome.final) {
        if (!snapshot.exact) {
          snapshot = await this.freshSnapshot(attribution, now);
          continue;
        }
        return outcome.decision;
      }
      if (path === 'simulate') {
        return {
          ...outcome.decision,
          budgets: outcome.budgets.map((budget) => view(budget, '0')),
        };
      }
      if (holds === MAX_HOLD_ATTEMPTS) break;
      holds += 1;

      const final = outcome.final;
      const counters: CounterIncrement[] = snapshot.velocity.map((state) => ({
        limitId: state.limit.id,
        scopeValue: state.scopeValue,
        windowStart: state.windowStart,
        amount:
          state.limit.metric === 'requests'
            ? '1'
            : state.limit.metric === 'tokens'
              ? String(request.estimatedInputTokens + outcome.decision.maxOutputTokens)
              : final.total,
        limit: state.limit.limit,
      }));
      const reservationId = randomUUID();
      const expiresAt = new Date(now.getTime() + this.deps.env.PURSER_HOLD_TTL_SECONDS * 1000);
      const attempt = await this.deps.ledger.holdOrWait(
        {
          reservationId,
          decisionId: context.decisionId,
          amount: final.total,
          currency: final.currency,
          budgets: outcome.budgets,
          counters,
          attribution,
          now,
          expiresAt,
          keyId: principal.keyId,
        },
        allowanceWait,
      );
      if (attempt.waited) {
        // Room lent as allowances is being given back (docs/0005), and the ledger waited for
        // it: decide again on a fresh read; this try does not count.
        holds -= 1;
        snapshot = await this.freshSnapshot(attribution, now);
        continue;
      }
      const held = attempt.held;
      const exact = this.exactSnapshot(snapshot, outcome.budgets, held, final.total, counters);
      if (!held.ok) {
        // Concurrent holds took what the snapshot promised: decide again on what the hold saw.
        refused = held;
        snapshot = exact;
        continue;
      }
      const seen = new Map(exact.budgets.map((budget) => [budget.id, budget]));
      return {
        ...outcome.decision,
        budgets: outcome.budgets.map((budget) => view(seen.get(budget.id) ?? budget, final.total)),
        reservation: {
          id: reservationId,
          amount: final.total,
          currency: final.currency,
          expiresAt,
        },
      };
    }
    // Concurrent holds kept taking what this one needed.
    const reason: Reason = refused?.limitId
      ? {
          code: 'rate_limited',
          message: 'The velocity limit was reached by concurrent requests',
          retryAfterSeconds: retryAfter(
            snapshot.velocity.find((state) => state.limit.id === refused!.limitId),
            now,
          ),
        }
      : {
          code: 'budget_exceeded',
          message: 'Concurrent holds used the remaining budget before this hold could be placed',
          ...(refused?.budgetId ? { budgetId: refused.budgetId } : {}),
        };
    return {
      decisionId: context.decisionId,
      currency: estimate.currency,
      policyRevision: policy.revision,
      allow: false,
      action: 'deny',
      model: request.model,
      maxOutputTokens: request.maxOutputTokens,
      budgets: snapshot.budgets
        .filter((budget) => budget.currency === estimate.currency)
        .map((budget) => view(budget, '0')),
      reasons: [reason],
      ...(reason.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: reason.retryAfterSeconds }
        : {}),
    };
  }

  private async cachedSnapshot(
    attribution: AuthorizeRequest['attribution'],
    now: Date,
  ): Promise<Snapshot> {
    const [budgets, velocity] = await Promise.all([
      this.deps.budgetCache.applicable(attribution, now),
      this.deps.velocity.cachedApplicable(attribution, now),
    ]);
    if (budgets.stale || velocity.stale) return this.freshSnapshot(attribution, now);
    return { budgets: budgets.budgets, velocity: velocity.velocity, exact: false };
  }

  private async freshSnapshot(
    attribution: AuthorizeRequest['attribution'],
    now: Date,
  ): Promise<Snapshot> {
    const [budgets, velocity] = await Promise.all([
      this.deps.budgets.applicable(attribution, now),
      this.deps.velocity.applicable(attribution, now),
    ]);
    for (const budget of budgets)
      this.deps.budgetCache.observe(budget.id, budget.windowStart, budget.spent, budget.reserved);
    return { budgets, velocity, exact: true };
  }

  /**
   * The counters a hold saw under lock, before its own increment; remembered (with the
   * increment when the hold was placed) for the next decisions.
   */
  private exactSnapshot(
    snapshot: Snapshot,
    held: BudgetState[],
    result: HoldResult,
    amount: string,
    counters: CounterIncrement[],
  ): Snapshot {
    const seen = new Map(
      held.map((budget, index) => [
        budget.id,
        { spent: result.spent[index]!, reserved: result.reserved[index]! },
      ]),
    );
    const budgets = snapshot.budgets.map((budget) => {
      const found = seen.get(budget.id);
      if (!found) return budget;
      this.deps.budgetCache.observe(
        budget.id,
        budget.windowStart,
        found.spent,
        result.ok ? plus(found.reserved, amount) : found.reserved,
      );
      return withCounters(budget, found.spent, found.reserved);
    });
    const velocity = snapshot.velocity.map((state, index) => {
      const current = result.counted[index] ?? state.current;
      this.deps.velocity.observe(
        state,
        result.ok ? plus(current, counters[index]!.amount) : current,
      );
      return { ...state, current };
    });
    return { budgets, velocity, exact: true };
  }

  /** The policy's answer on a snapshot, with the worst case of the model it chose. */
  private evaluate(context: DecisionContext, snapshot: Snapshot): Evaluation {
    const { request, provider, attribution, principal, virtualKey, catalog, estimate, now } =
      context;
    const policy = context.policy;
    // Budgets count spend in their own currency; prices in another currency do not move them.
    const budgets = snapshot.budgets.filter((budget) => budget.currency === estimate.currency);
    const candidates = this.candidates(catalog, provider, request, budgets, policy.chains, now);
    const input: DecisionInput = {
      request: {
        provider,
        model: request.model,
        attribution,
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
      velocity: snapshot.velocity.map((state) => toVelocitySnapshot(state, now)),
      now_ns: (BigInt(now.getTime()) * 1_000_000n).toString(),
    };
    const base = {
      decisionId: context.decisionId,
      currency: estimate.currency,
      policyRevision: policy.revision,
    };
    const evaluated = policy.engine.evaluate(input);
    if (!evaluated.ok) {
      this.deps.logger.error(
        { err: evaluated.error, decision_id: context.decisionId },
        'policy evaluation failed; denying',
      );
      return {
        budgets,
        decision: {
          ...base,
          allow: false,
          action: 'deny',
          model: request.model,
          maxOutputTokens: request.maxOutputTokens,
          budgets: budgets.map((budget) => view(budget, '0')),
          reasons: [
            {
              code: 'policy_error',
              message: `The policy could not be evaluated: ${evaluated.error.code}`,
            },
          ],
        },
      };
    }
    const answer = evaluated.decision;
    const reasons = answer.reasons.map(fromPolicyReason);
    let decision: Decision = {
      ...base,
      policyRevision: evaluated.revision,
      allow: answer.allow,
      action: answer.action,
      model: answer.model,
      maxOutputTokens: answer.max_output_tokens,
      reasons,
      // An allowed decision shows the budgets with its hold, or as they are for a simulation
      // (see decide): views are only made for the answer that is given.
      budgets: [],
      ...(answer.retry_after_seconds !== null
        ? { retryAfterSeconds: answer.retry_after_seconds }
        : {}),
    };
    if (!decision.allow) {
      return {
        budgets,
        decision: { ...decision, budgets: budgets.map((budget) => view(budget, '0')) },
      };
    }

    const final =
      answer.model === request.model && answer.max_output_tokens === request.maxOutputTokens
        ? estimate
        : worstCase(
            catalog,
            provider,
            answer.model,
            request.estimatedInputTokens,
            answer.max_output_tokens,
            now,
          );
    decision.estimatedCost = final.total;
    if (!final.priced) {
      const enforced = budgets.find((budget) => budget.mode !== 'alert_only');
      if (enforced) {
        return {
          budgets,
          decision: {
            ...decision,
            budgets: budgets.map((budget) => view(budget, '0')),
            allow: false,
            action: 'deny',
            reasons: [
              {
                code: 'unpriced_model',
                message: `${provider}/${answer.model} has no price, so budget "${enforced.name}" cannot be checked`,
                budgetId: enforced.id,
              },
            ],
            estimatedCost: undefined,
          },
        };
      }
      decision = {
        ...decision,
        action: decision.action === 'allow' ? 'warn' : decision.action,
        reasons: [
          ...reasons,
          {
            code: 'unpriced_model_unenforced',
            message: `${provider}/${answer.model} has no price; add one so its usage is costed`,
          },
        ],
      };
    }
    return { budgets, decision, final };
  }

  /** Worst-case estimates of every model the policy may downgrade to. */
  private candidates(
    catalog: PricingCatalog,
    provider: string,
    request: AuthorizeRequest,
    budgets: BudgetState[],
    defaultChains: string[][],
    now: Date,
  ): Estimate[] {
    if (!budgets.some((budget) => budget.mode === 'downgrade')) return [];
    const models = new Set<string>();
    const chains = [...budgets.map((budget) => budget.downgradeChain), ...defaultChains];
    for (const chain of chains) {
      const index = chain.indexOf(request.model);
      if (index >= 0) chain.slice(index + 1).forEach((model) => models.add(model));
    }
    models.delete(request.model);
    return [...models].map((model) =>
      worstCase(
        catalog,
        provider,
        model,
        request.estimatedInputTokens,
        request.maxOutputTokens,
        now,
      ),
    );
  }

  private finish(
    decision: Decision,
    request: AuthorizeRequest,
    provider: string,
    attribution: AuthorizeRequest['attribution'],
    principal: Principal,
    path: DecisionPath,
    started: number,
    now: Date,
  ): Decision {
    const latencyMs = performance.now() - started;
    this.deps.metrics.decisionSeconds.observe({ path, action: decision.action }, latencyMs / 1000);
    this.deps.decisionLog.record({
      id: decision.decisionId,
      createdAt: now,
      path,
      keyId: principal.keyId,
      provider,
      requestedModel: request.model,
      model: decision.model,
      action: decision.action,
      allow: decision.allow,
      attribution: Object.fromEntries(
        Object.entries(attribution).filter(([, value]) => typeof value === 'string'),
      ) as Record<string, string>,
      request: {
        provider: request.provider,
        model: request.model,
        estimated_input_tokens: request.estimatedInputTokens,
        max_output_tokens: request.maxOutputTokens,
        metadata: request.metadata ?? {},
        virtual_key: request.virtualKey ? 'redacted' : undefined,
      },
      reasons: decision.reasons.map((reason) => ({
        code: reason.code,
        message: reason.message,
        ...(reason.budgetId ? { budget_id: reason.budgetId } : {}),
      })),
      budgets: decision.budgets,
      estimatedCost: decision.estimatedCost ?? null,
      currency: decision.currency,
      reservationId: decision.reservation?.id ?? null,
      policyRevision: decision.policyRevision,
      latencyMs,
      maxOutputTokens: decision.maxOutputTokens,
    });
    return decision;
  }
}

function toBudgetSnapshot(budget: BudgetState): BudgetSnapshot {
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

function retryAfter(state: VelocityState | undefined, now: Date): number {
  if (!state) return 1;
  return Math.max(1, Math.ceil((state.windowEnd.getTime() - now.getTime()) / 1000));
}

function toVelocitySnapshot(state: VelocityState, now: Date): VelocitySnapshot {
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

function view(budget: BudgetState, held: string): DecisionBudget {
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

import type { PricingCatalog } from '@purser/pricing';
import type { Principal } from '../auth/api-key.service';
import type { AllowanceWait } from '../budgets/allowance-wait';
import type { HoldRequest, HoldResult } from '../budgets/budget-ledger';
import type { WireAttribution } from '../attribution/scope';
import type { BudgetState } from '../budgets/budget.service';
import type { VelocityState } from '../velocity/velocity.service';
import type { VirtualKey } from '../virtual-keys/virtual-key.service';
import type { PolicyRuntime } from './policy-runtime';
import type { Estimate } from './worst-case';

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
  reasons: Reason[];
  budgets: DecisionBudget[];
  reservation?: { id: string; amount: string; currency: string; expiresAt: Date };
  estimatedCost?: string;
  currency: string;
  policyRevision: string;
  retryAfterSeconds?: number;
}

export interface Reason {
  code: string;
  message: string;
  budgetId?: string;
  retryAfterSeconds?: number;
}

/** Where a decision was asked: GraphQL `authorize`, the OPA-compatible REST path, or a simulation. */
export type DecisionPath = 'graphql' | 'rest' | 'simulate';

/** Budgets and velocity counters a decision is made on; `exact` when read from the database. */
export interface Snapshot {
  budgets: BudgetState[];
  velocity: VelocityState[];
  exact: boolean;
}

/** The policy's decision, the budgets it saw, and — when allowed — the cost to hold. */
export interface Evaluation {
  decision: Decision;
  budgets: BudgetState[];
  final?: Estimate;
}

/**
 * Everything one decision is made on, in one object: what was asked and by whom, the instant
 * it is decided at, the catalog and the worst case, and — as the decision goes — the snapshot
 * it stands on, the policy's evaluation and the hold. Created once per decision with every
 * field present (one shape); the steps read it, the orchestrator and the retry fill it in.
 */
export interface DecisionContext {
  readonly request: AuthorizeRequest;
  readonly principal: Principal;
  readonly path: DecisionPath;
  /** `performance.now()` when the request arrived, for the latency. */
  readonly started: number;
  /** The clock's instant the whole decision is made at. */
  readonly now: Date;
  readonly decisionId: string;
  readonly provider: string;
  readonly policy: PolicyRuntime;
  /** Well-formed, then completed by the virtual key's own (which wins). */
  attribution: AuthorizeRequest['attribution'];
  virtualKey: VirtualKey | null;
  catalog: PricingCatalog | null;
  /** The worst case of the requested model. */
  estimate: Estimate | null;
  snapshot: Snapshot | null;
  evaluation: Evaluation | null;
  /** The last hold asked for, and what it answered. */
  holdRequest: HoldRequest | null;
  holdResult: HoldResult | null;
  /** This decision's wait for room lent as allowances, made at its first hold. */
  allowanceWait: AllowanceWait | null;
}

/** What a new context holds of what the decision fills in as it goes: nothing yet. */
export function nothingDecidedYet(): Pick<
  DecisionContext,
  | 'virtualKey'
  | 'catalog'
  | 'estimate'
  | 'snapshot'
  | 'evaluation'
  | 'holdRequest'
  | 'holdResult'
  | 'allowanceWait'
> {
  return {
    virtualKey: null,
    catalog: null,
    estimate: null,
    snapshot: null,
    evaluation: null,
    holdRequest: null,
    holdResult: null,
    allowanceWait: null,
  };
}

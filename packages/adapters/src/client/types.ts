import type { UsageAttribution } from '../contracts/usage-event';

/** What a call asks Purser for (the decision contract's request, camelCase). */
export interface AuthorizeRequest {
  /** Provider id as Purser knows it (`openai`, `anthropic`…). */
  provider: string;
  /** The model the caller wants to call. */
  model: string;
  /** Who pays: team, feature, customer… (the usage events' attribution). */
  attribution?: Omit<UsageAttribution, 'virtualKey'>;
  /** Input tokens the call will send (an estimate: the hold is priced on it). */
  estimatedInputTokens: number;
  /** The output cap the caller asks for. */
  maxOutputTokens: number;
  /** A virtual key secret, when the call is made on behalf of one. */
  virtualKey?: string;
  metadata?: Record<string, unknown>;
}

/** One reason of a decision (`policies/REASONS.md` lists the codes). */
export interface DecisionReason {
  code: string;
  message: string;
  budgetId: string | null;
  retryAfterSeconds?: number;
}

/** A budget the decision looked at; money as decimal strings. */
export interface DecisionBudget {
  id: string;
  limit: string;
  spent: string;
  reserved: string;
  remaining: string;
  resetsAt: string | null;
}

export type DecisionAction = 'allow' | 'warn' | 'downgrade' | 'deny';

/** Purser's decision (the contract's, camelCase), or the client's own when it failed open. */
export interface Decision {
  /** Id to put on the usage event (`decision_id`); empty when the decision failed open. */
  decisionId: string;
  allow: boolean;
  action: DecisionAction;
  /** The model to call: differs from the request's on a downgrade. */
  model: string;
  /** The output cap to pass to the provider. */
  maxOutputTokens: number;
  reasons: DecisionReason[];
  budgets: DecisionBudget[];
  reservation: { id: string; amount: string; currency: string; expiresAt: string } | null;
  estimatedCost: string | null;
  currency: string | null;
  policyRevision: string | null;
  retryAfterSeconds?: number;
  /** True when Purser could not be reached and `failMode: 'open'` let the call through. */
  failOpen: boolean;
}

/** Where the client says what went wrong in the background (dropped events, failed releases). */
export interface PurserClientLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Counters of the background usage reporter, for metrics and tests. */
export interface UsageReporterStats {
  /** Events accepted by Purser (or JetStream), duplicates included. */
  sent: number;
  /** Events Purser answered as duplicates (already stored under the same id). */
  duplicates: number;
  /** Events Purser refused (malformed): not retried. */
  rejected: number;
  /** Events dropped because the buffer was full, or refused for good (401/403/400). */
  dropped: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Events waiting in the buffer (and in flight). */
  buffered: number;
}

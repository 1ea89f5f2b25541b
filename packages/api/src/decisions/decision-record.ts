import type { Decision, DecisionContext } from './decision-context';
import type { DecisionRecord } from './decision-log';

/** What of a decision's context its record states. */
export type RecordFacts = Pick<
  DecisionContext,
  'decisionId' | 'now' | 'path' | 'principal' | 'provider' | 'request' | 'attribution'
>;

/**
 * A decision as the decision log records it: the request as asked (the virtual key
 * redacted), the attribution it was decided on (its string values), and the answer.
 */
export function decisionRecord(
  context: RecordFacts,
  decision: Decision,
  latencyMs: number,
): DecisionRecord {
  const request = context.request;
  return {
    id: decision.decisionId,
    createdAt: context.now,
    path: context.path,
    keyId: context.principal.keyId,
    provider: context.provider,
    requestedModel: request.model,
    model: decision.model,
    action: decision.action,
    allow: decision.allow,
    attribution: Object.fromEntries(
      Object.entries(context.attribution).filter(([, value]) => typeof value === 'string'),
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
  };
}

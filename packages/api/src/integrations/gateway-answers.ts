import type { Decision } from '../decisions/authorize.service';

/**
 * A decision as headers for the gateway to add to the upstream request: the decision's id
 * (to forward with the usage event), the output cap, and on a downgrade the model to call.
 */
export function decisionHeaders(
  decision: Decision,
  requestedModel: string,
): Record<string, string> {
  return {
    'x-purser-decision-id': decision.decisionId,
    'x-purser-max-tokens': String(decision.maxOutputTokens),
    ...(decision.model !== requestedModel ? { 'x-purser-model': decision.model } : {}),
  };
}

/** The status a refused call is answered with: 429 when it may retry later, else 403. */
export function refusalStatus(decision: Decision): number {
  return decision.retryAfterSeconds !== undefined ? 429 : 403;
}

/** One line on why a call was refused. */
export function refusalMessage(decision: Decision): string {
  return decision.reasons.map((reason) => reason.message).join('; ') || 'refused by Purser';
}

/** The JSON body of a refusal (Envoy forwards it to the client as it is). */
export function refusalBody(decision: Decision) {
  return {
    code: decision.reasons[0]?.code ?? 'DENIED',
    message: refusalMessage(decision),
    decision_id: decision.decisionId,
    ...(decision.retryAfterSeconds !== undefined
      ? { retry_after_seconds: decision.retryAfterSeconds }
      : {}),
  };
}

import type { Router } from 'express';
import { canonicalProvider } from '@purser/pricing';
import { badInput } from '../errors';
import type { Principal } from '../auth/api-key.service';
import { type RawRoute, restHandler } from '../http/rest';
import type { Services } from '../services';
import type { AuthorizeRequest } from './authorize.service';
import { validateAuthorizeRequest } from './authorize-input';
import { fastOpaInput, opaInputSchema } from './opa-input';

/** Decides on an OPA Data API body and answers OPA's result shape. */
async function decideOpaInput(
  services: Services,
  body: unknown,
  principal: Principal,
): Promise<Record<string, unknown>> {
  let input = fastOpaInput(body)?.input;
  if (!input) {
    const parsed = opaInputSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw badInput(
        parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
          .join('; '),
      );
    }
    input = parsed.data.input;
  }
  const attribution: AuthorizeRequest['attribution'] = {};
  for (const [key, value] of Object.entries(input.attribution)) {
    if (value !== '') attribution[key as keyof typeof attribution] = value;
  }
  const authorizeRequest: AuthorizeRequest = {
    provider: canonicalProvider(input.provider),
    model: input.model,
    attribution,
    virtualKey: input.virtual_key,
    estimatedInputTokens: input.estimated_input_tokens,
    maxOutputTokens: input.max_output_tokens,
    metadata: input.metadata,
  };
  const problem = validateAuthorizeRequest(authorizeRequest, 'wire');
  if (problem) throw badInput(`input.${problem}`);
  const decision = await services.authorizer.authorize(authorizeRequest, principal, 'rest');
  return {
    decision_id: decision.decisionId,
    result: {
      decision_id: decision.decisionId,
      allow: decision.allow,
      action: decision.action,
      model: decision.model,
      max_output_tokens: decision.maxOutputTokens,
      reasons: decision.reasons.map((reason) => ({
        code: reason.code,
        message: reason.message,
        budget_id: reason.budgetId ?? null,
        ...(reason.retryAfterSeconds !== undefined
          ? { retry_after_seconds: reason.retryAfterSeconds }
          : {}),
      })),
      budgets: decision.budgets.map((budget) => ({
        id: budget.id,
        limit: budget.limit,
        spent: budget.spent,
        reserved: budget.reserved,
        remaining: budget.remaining,
        resets_at: budget.resetsAt?.toISOString() ?? null,
      })),
      reservation: decision.reservation
        ? {
            id: decision.reservation.id,
            amount: decision.reservation.amount,
            currency: decision.reservation.currency,
            expires_at: decision.reservation.expiresAt.toISOString(),
          }
        : null,
      estimated_cost: decision.estimatedCost ?? null,
      currency: decision.currency,
      policy_revision: decision.policyRevision,
      ...(decision.retryAfterSeconds !== undefined
        ? { retry_after_seconds: decision.retryAfterSeconds }
        : {}),
    },
  };
}

const DECISION_PATH = '/data/purser/authz/decision';

/**
 * `POST /v1/data/purser/authz/decision`: OPA's Data API shape, so gateway plugins that speak
 * OPA can call Purser unchanged. Answers `{"result": <decision>, "decision_id": "..."}`.
 * Served by {@link decisionRawRoute} on the hot path; this Express route serves the same
 * for what that one leaves (a query string, a compressed body).
 */
export function decisionRoutes(router: Router, services: Services): void {
  router.post(
    DECISION_PATH,
    restHandler(services, 'decisions.authorize', async (request, response, principal) => {
      response.json(await decideOpaInput(services, request.body, principal));
    }),
  );
}

/** The same endpoint straight from the HTTP server (see `serveRaw`). */
export function decisionRawRoute(services: Services): RawRoute {
  return {
    method: 'POST',
    path: DECISION_PATH,
    permission: 'decisions.authorize',
    handle: (body, principal) => decideOpaInput(services, body, principal),
  };
}

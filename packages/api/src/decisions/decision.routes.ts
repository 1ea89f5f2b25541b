import type { Router } from 'express';
import { z } from 'zod';
import { canonicalProvider } from '@purser/pricing';
import { badInput } from '../errors';
import { restHandler } from '../http/rest';
import type { Services } from '../services';
import { type AuthorizeRequest, validateAuthorizeRequest } from './authorize.service';

const attributionSchema = z
  .object({
    team: z.string(),
    feature: z.string(),
    environment: z.string(),
    customer: z.string(),
    project: z.string(),
    user: z.string(),
    agent: z.string(),
    session: z.string(),
    request_path: z.string(),
  })
  .partial();

/** OPA's Data API input, in the snake_case of the decision contract. */
const opaInputSchema = z.object({
  input: z.object({
    provider: z.string().min(1),
    model: z.string().min(1),
    attribution: attributionSchema.default({}),
    virtual_key: z.string().min(1).optional(),
    estimated_input_tokens: z.number().int().nonnegative(),
    max_output_tokens: z.number().int().nonnegative(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
});

/**
 * `POST /v1/data/purser/authz/decision`: OPA's Data API shape, so gateway plugins that speak
 * OPA can call Purser unchanged. Answers `{"result": <decision>, "decision_id": "..."}`.
 */
export function decisionRoutes(router: Router, services: Services): void {
  router.post(
    '/data/purser/authz/decision',
    restHandler(services, 'decisions.authorize', async (request, response, principal) => {
      const parsed = opaInputSchema.safeParse(request.body);
      if (!parsed.success) {
        throw badInput(
          parsed.error.issues
            .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
            .join('; '),
        );
      }
      const input = parsed.data.input;
      const authorizeRequest: AuthorizeRequest = {
        provider: canonicalProvider(input.provider),
        model: input.model,
        attribution: Object.fromEntries(
          Object.entries(input.attribution).filter(([, value]) => value !== ''),
        ),
        virtualKey: input.virtual_key,
        estimatedInputTokens: input.estimated_input_tokens,
        maxOutputTokens: input.max_output_tokens,
        metadata: input.metadata,
      };
      const problem = validateAuthorizeRequest(authorizeRequest);
      if (problem) throw badInput(`input.${problem}`);
      const decision = await services.authorizer.authorize(authorizeRequest, principal, 'rest');
      response.json({
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
      });
    }),
  );
}

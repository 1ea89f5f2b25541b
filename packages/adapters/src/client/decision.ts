import { z } from 'zod';
import { attributionToWire } from '../contracts/usage-event';
import { formatIssues } from '../zod-issues';
import { PurserClientError } from './errors';
import type { AuthorizeRequest, Decision } from './types';

const text = z.string().max(10_000);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** OPA's Data API answer of `POST /v1/data/purser/authz/decision`, as Purser writes it. */
const restAnswerSchema = z.object({
  result: z.object({
    decision_id: text.min(1),
    allow: z.boolean(),
    action: z.enum(['allow', 'warn', 'downgrade', 'deny']),
    model: text.min(1),
    max_output_tokens: count,
    reasons: z
      .array(
        z.object({
          code: text,
          message: text,
          budget_id: text.nullish(),
          retry_after_seconds: z.number().nonnegative().optional(),
        }),
      )
      .max(1000),
    budgets: z
      .array(
        z.object({
          id: text,
          limit: text,
          spent: text,
          reserved: text,
          remaining: text,
          resets_at: text.nullish(),
        }),
      )
      .max(1000)
      .default([]),
    reservation: z.object({ id: text, amount: text, currency: text, expires_at: text }).nullish(),
    estimated_cost: text.nullish(),
    currency: text.nullish(),
    policy_revision: text.nullish(),
    retry_after_seconds: z.number().nonnegative().optional(),
  }),
});

/** The request in the snake_case of the OPA input. */
export function toOpaInput(request: AuthorizeRequest): { input: Record<string, unknown> } {
  const input: Record<string, unknown> = {
    provider: request.provider,
    model: request.model,
    attribution: attributionToWire(request.attribution ?? {}),
    estimated_input_tokens: request.estimatedInputTokens,
    max_output_tokens: request.maxOutputTokens,
  };
  if (request.virtualKey !== undefined) input.virtual_key = request.virtualKey;
  if (request.metadata !== undefined) input.metadata = request.metadata;
  return { input };
}

/** Checks a request before it leaves, so a caller's bug is named here and not as a 400. */
export function checkAuthorizeRequest(request: AuthorizeRequest): void {
  const problems: string[] = [];
  if (typeof request.provider !== 'string' || request.provider === '')
    problems.push('provider: must be a non-empty string');
  if (typeof request.model !== 'string' || request.model === '')
    problems.push('model: must be a non-empty string');
  for (const key of ['estimatedInputTokens', 'maxOutputTokens'] as const) {
    const value = request[key];
    if (!Number.isSafeInteger(value) || value < 0)
      problems.push(`${key}: must be a non-negative integer`);
  }
  if (problems.length > 0) {
    throw new PurserClientError({ code: 'INVALID_ARGUMENT', message: problems.join('; ') });
  }
}

/** Purser's REST answer → the decision; a wrong shape is a `BAD_RESPONSE` naming the field. */
export function parseDecision(body: unknown, status: number): Decision {
  const parsed = restAnswerSchema.safeParse(body);
  if (!parsed.success) {
    throw new PurserClientError({
      code: 'BAD_RESPONSE',
      status,
      message: `authorize: the answer is not a decision (${formatIssues(parsed.error).join('; ').slice(0, 500)})`,
    });
  }
  const result = parsed.data.result;
  return {
    decisionId: result.decision_id,
    allow: result.allow,
    action: result.action,
    model: result.model,
    maxOutputTokens: result.max_output_tokens,
    reasons: result.reasons.map((reason) => ({
      code: reason.code,
      message: reason.message,
      budgetId: reason.budget_id ?? null,
      ...(reason.retry_after_seconds !== undefined
        ? { retryAfterSeconds: reason.retry_after_seconds }
        : {}),
    })),
    budgets: result.budgets.map((budget) => ({
      id: budget.id,
      limit: budget.limit,
      spent: budget.spent,
      reserved: budget.reserved,
      remaining: budget.remaining,
      resetsAt: budget.resets_at ?? null,
    })),
    reservation: result.reservation
      ? {
          id: result.reservation.id,
          amount: result.reservation.amount,
          currency: result.reservation.currency,
          expiresAt: result.reservation.expires_at,
        }
      : null,
    estimatedCost: result.estimated_cost ?? null,
    currency: result.currency ?? null,
    policyRevision: result.policy_revision ?? null,
    ...(result.retry_after_seconds !== undefined
      ? { retryAfterSeconds: result.retry_after_seconds }
      : {}),
    failOpen: false,
  };
}

/** The decision the client makes itself when Purser is unreachable and `failMode` is `open`. */
export function failOpenDecision(request: AuthorizeRequest): Decision {
  return {
    decisionId: '',
    allow: true,
    action: 'allow',
    model: request.model,
    maxOutputTokens: request.maxOutputTokens,
    reasons: [],
    budgets: [],
    reservation: null,
    estimatedCost: null,
    currency: null,
    policyRevision: null,
    failOpen: true,
  };
}

import { canonicalProvider } from '@purser/pricing';
import { badInput } from '../errors';
import { toWireAttribution } from '../attribution/attribution';
import type { AuthorizeRequest, Decision as DecisionValue } from './authorize.service';
import { type FieldNames, validateAuthorizeRequest } from './authorize-input';
import type { AuthorizeInput, Decision, DecisionAction } from './decision.types';
import { fastOpaInput, type OpaInput, opaInputSchema } from './opa-input';

/**
 * The one mapping of an authorize request and its answer between the domain
 * (`AuthorizeRequest`, `Decision` of `authorize.service`) and the two ways a caller speaks:
 *
 * - `rest`: OPA's Data API, `POST /v1/data/purser/authz/decision`, snake_case: the body is
 *   `{"input": {...}}` and the answer `{"decision_id": "...", "result": {...}}`;
 * - `graphql`: `authorize` and `simulateDecision`, camelCase `AuthorizeInput` and `Decision`.
 *
 * Both requests end in the same validation, which names a field as its caller named it.
 */
export type AuthorizeTransport = 'rest' | 'graphql';

const TRANSPORT: Record<AuthorizeTransport, { names: FieldNames; prefix: string }> = {
  rest: { names: 'wire', prefix: 'input.' },
  graphql: { names: 'graphql', prefix: 'request.' },
};

/** The request as given, or a BAD_USER_INPUT error naming the field the caller's way. */
function checked(request: AuthorizeRequest, transport: AuthorizeTransport): AuthorizeRequest {
  const { names, prefix } = TRANSPORT[transport];
  const problem = validateAuthorizeRequest(request, names);
  if (problem) throw badInput(`${prefix}${problem}`);
  return request;
}

/** A reason as the REST answer and the decision log write it: snake_case. */
export interface WireReason {
  code: string;
  message: string;
  budget_id?: string | null;
  retry_after_seconds?: number;
}

type Reason = DecisionValue['reasons'][number];

/** The OPA input (parsed) → the domain request; attribution values that are empty are left out. */
export function fromOpaInput(input: OpaInput['input']): AuthorizeRequest {
  const attribution: AuthorizeRequest['attribution'] = {};
  for (const [key, value] of Object.entries(input.attribution)) {
    if (value !== '') attribution[key as keyof typeof attribution] = value;
  }
  return {
    provider: canonicalProvider(input.provider),
    model: input.model,
    attribution,
    virtualKey: input.virtual_key,
    estimatedInputTokens: input.estimated_input_tokens,
    maxOutputTokens: input.max_output_tokens,
    metadata: input.metadata,
  };
}

/**
 * An OPA Data API body → the domain request, validated: the hand-written fast path for the
 * bodies gateways send, the schema for anything else (it words the error).
 */
export function restAuthorizeRequest(body: unknown): AuthorizeRequest {
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
  return checked(fromOpaInput(input), 'rest');
}

/**
 * GraphQL's `AuthorizeInput` → the domain request, validated. A request may not claim a
 * virtual key id in its attribution: only a presented secret binds one.
 */
export function graphqlAuthorizeRequest(input: AuthorizeInput): AuthorizeRequest {
  const request: AuthorizeRequest = {
    provider: input.provider,
    model: input.model,
    attribution: toWireAttribution(input.attribution),
    virtualKey: input.virtualKey ?? undefined,
    estimatedInputTokens: input.estimatedInputTokens,
    maxOutputTokens: input.maxOutputTokens,
    metadata: input.metadata ?? undefined,
  };
  delete request.attribution.virtual_key;
  return checked(request, 'graphql');
}

/** A domain reason → the REST answer's: `budget_id` always present (null when none). */
export function toWireReason(reason: Reason): WireReason {
  return {
    code: reason.code,
    message: reason.message,
    budget_id: reason.budgetId ?? null,
    ...(reason.retryAfterSeconds !== undefined
      ? { retry_after_seconds: reason.retryAfterSeconds }
      : {}),
  };
}

/** A reason as written (REST answer, decision log) → the domain's. */
export function fromWireReason(reason: WireReason): Reason {
  return {
    code: reason.code,
    message: reason.message,
    budgetId: reason.budget_id ?? undefined,
    ...(reason.retry_after_seconds !== undefined
      ? { retryAfterSeconds: reason.retry_after_seconds }
      : {}),
  };
}

/** The decision → OPA's Data API answer, snake_case (`decision_id` beside and in `result`). */
export function toRestAnswer(decision: DecisionValue) {
  return {
    decision_id: decision.decisionId,
    result: {
      decision_id: decision.decisionId,
      allow: decision.allow,
      action: decision.action,
      model: decision.model,
      max_output_tokens: decision.maxOutputTokens,
      reasons: decision.reasons.map(toWireReason),
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

/** The OPA Data API answer, as `toRestAnswer` builds it. */
export type RestAnswer = ReturnType<typeof toRestAnswer>;

/** The decision → GraphQL's `Decision`: the domain's own camelCase fields. */
export function toGraphQLDecision(decision: DecisionValue): Decision {
  return { ...decision, action: decision.action as DecisionAction };
}

import { randomBytes } from 'node:crypto';
import type { DecisionBudget } from '@purser/adapters/client';
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money } from '@purser/pricing';
import type { RunningPurser } from './purser';

/** What the GraphQL helpers need of a service: in this process or its own. */
type GraphqlService = Pick<RunningPurser, 'graphql'>;

/** A name no other test or run uses: `prefix-` and 10 random hex digits. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** $10 per 1M input tokens, output free: 1,000 input tokens hold exactly $0.01. */
export const PENNY = { inputTokens: '10', outputTokens: '0' };

/** An authorize request on `model` for `attribution`: $0.01 at {@link PENNY}. */
export function pennyAsk(model: string, attribution: Record<string, string>) {
  return {
    provider: 'openai',
    model,
    attribution,
    estimatedInputTokens: 1000,
    maxOutputTokens: 100,
  };
}

/** An authorize request on `penny-model` (priced {@link PENNY}) holding `cents` cents. */
export function pennyRequest(team: string, cents = 1) {
  return { ...pennyAsk('penny-model', { team }), estimatedInputTokens: cents * 1000 };
}

/** A whole number of cents as the plain dollar amount the database writes ("0.56", "1"). */
export function dollars(cents: number): string {
  return new Money(cents).dividedBy(100).toFixed();
}

export const AUTHORIZE = `mutation($request: AuthorizeInput!) {
  authorize(request: $request) {
    decisionId allow action model maxOutputTokens estimatedCost policyRevision retryAfterSeconds
    reasons { code message budgetId retryAfterSeconds }
    budgets { id limit spent reserved remaining resetsAt }
    reservation { id amount currency expiresAt }
  }
}`;

export const SIMULATE = AUTHORIZE.replace(
  'mutation($request: AuthorizeInput!) {\n  authorize(',
  'query($request: AuthorizeInput!) {\n  simulateDecision(',
);

export const CREATE_BUDGET = `mutation($input: CreateBudgetInput!) {
  createBudget(input: $input) { id name limit spent reserved remaining resetsAt currentWindow { start end } forecast }
}`;

export const BUDGET = `query($id: ID!) { budget(id: $id) { id limit spent reserved remaining resetsAt } }`;

/**
 * A budget as GraphQL answers it (`budget`, and each of a decision's `budgets`): the fields the
 * client's decisions carry.
 */
export type BudgetAnswer = DecisionBudget;

export interface DecisionAnswer {
  decisionId: string;
  allow: boolean;
  action: string;
  model: string;
  maxOutputTokens: number;
  estimatedCost: string | null;
  policyRevision: string;
  retryAfterSeconds: number | null;
  reasons: {
    code: string;
    message: string;
    budgetId: string | null;
    retryAfterSeconds: number | null;
  }[];
  budgets: BudgetAnswer[];
  reservation: { id: string; amount: string; currency: string; expiresAt: string } | null;
}

/** Creates a budget through GraphQL and returns it; throws with the errors otherwise. */
export async function createBudget(
  service: GraphqlService,
  input: Record<string, unknown>,
): Promise<BudgetAnswer> {
  const result = await service.graphql<{ createBudget: BudgetAnswer }>(CREATE_BUDGET, { input });
  if (!result.data) throw new Error(`createBudget failed: ${JSON.stringify(result.errors)}`);
  return result.data.createBudget;
}

export async function budgetState(service: GraphqlService, id: string): Promise<BudgetAnswer> {
  const result = await service.graphql<{ budget: BudgetAnswer }>(BUDGET, { id });
  if (!result.data?.budget) throw new Error(`budget failed: ${JSON.stringify(result.errors)}`);
  return result.data.budget;
}

export async function authorize(
  service: RunningPurser,
  request: Record<string, unknown>,
  token?: string,
): Promise<DecisionAnswer> {
  const result = await service.graphql<{ authorize: DecisionAnswer }>(
    AUTHORIZE,
    { request },
    token,
  );
  if (!result.data) throw new Error(`authorize failed: ${JSON.stringify(result.errors)}`);
  return result.data.authorize;
}

/**
 * Adds a price card (`upsertModelPrice`): provider openai and in force from 2020 unless
 * `input` says otherwise; throws when the service refuses it.
 */
export async function upsertPrice(
  service: GraphqlService,
  input: {
    model: string;
    prices: Record<string, string>;
    provider?: string;
    effectiveFrom?: string;
    currency?: string;
  },
) {
  const result = await service.graphql(
    `mutation($input: ModelPriceInput!) { upsertModelPrice(input: $input) { id } }`,
    { input: { provider: 'openai', effectiveFrom: '2020-01-01T00:00:00Z', ...input } },
  );
  if (result.errors) throw new Error(`upsertModelPrice failed: ${JSON.stringify(result.errors)}`);
}

/** Adds a price card so that a request's worst case is an exact, known amount. */
export async function priceModel(
  service: GraphqlService,
  model: string,
  prices: { inputTokens: string; outputTokens: string },
  provider = 'openai',
) {
  await upsertPrice(service, { provider, model, prices });
}

/**
 * Prices `model` at {@link PENNY} and creates a blocking TOTAL budget of $1 named `name` on a
 * new team; returns the team.
 */
export async function pennyTeamBudget(
  service: RunningPurser,
  model: string,
  name: string,
): Promise<string> {
  const team = unique('t');
  await pennyBudget(service, model, { name, team, period: 'TOTAL', limit: '1' });
  return team;
}

/** Prices `model` at {@link PENNY} and creates a blocking budget on `team`; answers its id. */
export async function pennyBudget(
  service: RunningPurser,
  model: string,
  budget: { name: string; team: string; period: string; limit: string },
): Promise<string> {
  await priceModel(service, model, PENNY);
  const { name, team, period, limit } = budget;
  return (await createBudget(service, { name, scope: { team }, period, limit, mode: 'BLOCK' })).id;
}

/**
 * A usage event on `model` (provider openai) stamped a second ago, with `inputTokens` input
 * tokens and no output; `extra` adds fields (`decision_id`).
 */
export function recentUsage(
  model: string,
  attribution: Record<string, string>,
  inputTokens: number,
  extra: Record<string, unknown> = {},
) {
  return makeUsageEvent({
    id: unique('evt'),
    provider: 'openai',
    model,
    timestamp: new Date(Date.now() - 1000).toISOString(),
    usage: { input_tokens: inputTokens, output_tokens: 0 },
    attribution,
    ...extra,
  });
}

function postJson(service: RunningPurser, path: string, token: string, body: unknown) {
  return fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

/** POSTs `body` as JSON to /v1/usage with `token`. */
export function postUsageJson(
  service: RunningPurser,
  token: string,
  body: unknown,
): Promise<Response> {
  return postJson(service, '/v1/usage', token, body);
}

/** POSTs `{ input }` to the OPA-compatible decision route with `token`. */
export function postDecisionInput(
  service: RunningPurser,
  token: string,
  input: Record<string, unknown>,
): Promise<Response> {
  return postJson(service, '/v1/data/purser/authz/decision', token, { input });
}

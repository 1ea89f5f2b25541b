import { isPlainObject } from '@purser/pricing';

import { attributionSchema, type DecisionInput } from './decision-input';
import type { DecisionReason, PolicyDecision } from './decision-output';
import { toPolicyJson } from './policy-json';

/**
 * Fast paths of the two schemas every evaluation crosses, for the common case: input the
 * service built (every field certainly valid) and the decision the policy returned. Each
 * answers exactly what the schema path answers — `toPolicyJson(decisionInputSchema.parse(x))`
 * and `policyDecisionSchema.parse(x)` — or `undefined` as soon as anything is unusual (a
 * wrong type, a bound crossed, an unknown key, a null, an explicit `undefined`, a
 * non-plain object). The schema then has the last word and words the error: a fast path
 * never rejects on its own.
 *
 * `fast-decision.test.ts` runs both paths over realistic inputs and many mutations of them.
 */

const MAX_COUNT = 2 ** 31 - 1;
const DIGITS = /^\d+$/;
const ROLES = new Set(['admin', 'finance', 'viewer', 'gateway']);
const BUDGET_MODES = new Set(['block', 'downgrade', 'alert_only']);
const VELOCITY_METRICS = new Set(['requests', 'tokens', 'cost_nanos']);
const ACTIONS = new Set(['allow', 'warn', 'downgrade', 'deny']);

/** Attribution keys in the order of `attributionSchema` (the order its output has). */
const ATTRIBUTION_KEYS = Object.keys(
  attributionSchema.shape,
) as (keyof typeof attributionSchema.shape)[];
const ATTRIBUTION_KEY_SET: ReadonlySet<string> = new Set(ATTRIBUTION_KEYS);

/** Every own key of `value` is one of `allowed`, and none holds `undefined`. */
function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (!allowed.has(key) || value[key] === undefined) return false;
  }
  return true;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COUNT;

/** An `integerSchema` value as the JSON integer the policy reads, or undefined. */
function integer(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value >= 0n ? value.toString() : undefined;
  if (typeof value === 'string' && DIGITS.test(value)) return BigInt(value).toString();
  return undefined;
}

function attributionJson(value: unknown): string | undefined {
  if (value === undefined) return '{}';
  if (!isPlainObject(value) || !onlyKeys(value, ATTRIBUTION_KEY_SET)) return undefined;
  let json = '';
  for (const key of ATTRIBUTION_KEYS) {
    const field = value[key];
    if (field === undefined) continue;
    if (typeof field !== 'string') return undefined;
    json += `${json ? ',' : ''}"${key}":${JSON.stringify(field)}`;
  }
  return `{${json}}`;
}

function stringArrayJson(value: unknown, nonEmpty: boolean): string | undefined {
  if (value === undefined) return '[]';
  if (!Array.isArray(value)) return undefined;
  for (const item of value) {
    if (typeof item !== 'string' || (nonEmpty && item.length === 0)) return undefined;
  }
  return JSON.stringify(value);
}

const REQUEST_KEYS = new Set([
  'provider',
  'model',
  'attribution',
  'estimated_input_tokens',
  'max_output_tokens',
  'metadata',
]);

function requestJson(value: unknown): string | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, REQUEST_KEYS)) return undefined;
  const { provider, model, estimated_input_tokens, max_output_tokens, metadata } = value;
  if (!isText(provider) || !isText(model)) return undefined;
  if (!isCount(estimated_input_tokens) || !isCount(max_output_tokens)) return undefined;
  const attribution = attributionJson(value.attribution);
  if (attribution === undefined) return undefined;
  let metadataJson = '{}';
  if (metadata !== undefined) {
    if (!isPlainObject(metadata) || Object.hasOwn(metadata, '__proto__')) return undefined;
    for (const key in metadata) {
      if (metadata[key] === undefined) return undefined;
    }
    try {
      metadataJson = toPolicyJson(metadata);
    } catch {
      // A value JSON cannot carry (a non-finite number): the schema path reports it.
      return undefined;
    }
  }
  return (
    `{"provider":${JSON.stringify(provider)},"model":${JSON.stringify(model)},` +
    `"attribution":${attribution},"estimated_input_tokens":${estimated_input_tokens},` +
    `"max_output_tokens":${max_output_tokens},"metadata":${metadataJson}}`
  );
}

const PRINCIPAL_KEYS = new Set(['key_id', 'role', 'virtual_key']);
const VIRTUAL_KEY_KEYS = new Set(['id', 'allowed_models']);

function principalJson(value: unknown): string | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, PRINCIPAL_KEYS)) return undefined;
  const { key_id, role, virtual_key } = value;
  if (!isText(key_id) || typeof role !== 'string' || !ROLES.has(role)) return undefined;
  let json = `{"key_id":${JSON.stringify(key_id)},"role":"${role}"`;
  if (virtual_key !== undefined) {
    if (!isPlainObject(virtual_key) || !onlyKeys(virtual_key, VIRTUAL_KEY_KEYS)) return undefined;
    if (!isText(virtual_key.id)) return undefined;
    const allowed = stringArrayJson(virtual_key.allowed_models, false);
    if (allowed === undefined) return undefined;
    json += `,"virtual_key":{"id":${JSON.stringify(virtual_key.id)},"allowed_models":${allowed}}`;
  }
  return `${json}}`;
}

const ESTIMATE_KEYS = new Set([
  'model',
  'cost_nanos',
  'input_cost_nanos',
  'cost_per_output_token_nanos',
]);

function estimateJson(value: unknown): string | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, ESTIMATE_KEYS)) return undefined;
  if (!isText(value.model)) return undefined;
  const cost = integer(value.cost_nanos);
  const input = integer(value.input_cost_nanos);
  const perToken = integer(value.cost_per_output_token_nanos);
  if (cost === undefined || input === undefined || perToken === undefined) return undefined;
  return (
    `{"model":${JSON.stringify(value.model)},"cost_nanos":${cost},` +
    `"input_cost_nanos":${input},"cost_per_output_token_nanos":${perToken}}`
  );
}

function candidatesJson(value: unknown): string | undefined {
  if (value === undefined) return '[]';
  if (!Array.isArray(value)) return undefined;
  const models = new Set<unknown>();
  const parts: string[] = [];
  for (const candidate of value) {
    const json = estimateJson(candidate);
    if (json === undefined) return undefined;
    models.add((candidate as { model: unknown }).model);
    parts.push(json);
  }
  // Duplicates are for the schema to word.
  if (models.size !== parts.length) return undefined;
  return `[${parts.join(',')}]`;
}

const BUDGET_KEYS = new Set([
  'id',
  'name',
  'mode',
  'limit_nanos',
  'spent_nanos',
  'reserved_nanos',
  'soft_thresholds',
  'downgrade_chain',
  'resets_at',
]);

function budgetJson(value: unknown): string | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, BUDGET_KEYS)) return undefined;
  const { id, name, mode, soft_thresholds, resets_at } = value;
  if (!isText(id) || (name !== undefined && typeof name !== 'string')) return undefined;
  if (typeof mode !== 'string' || !BUDGET_MODES.has(mode)) return undefined;
  const limit = integer(value.limit_nanos);
  const spent = integer(value.spent_nanos);
  const reserved = integer(value.reserved_nanos);
  if (limit === undefined || spent === undefined || reserved === undefined) return undefined;
  let thresholds = '[]';
  if (soft_thresholds !== undefined) {
    if (!Array.isArray(soft_thresholds)) return undefined;
    for (const fraction of soft_thresholds) {
      if (typeof fraction !== 'number' || !Number.isFinite(fraction) || !(fraction > 0))
        return undefined;
    }
    thresholds = JSON.stringify(soft_thresholds);
  }
  const chain = stringArrayJson(value.downgrade_chain, true);
  if (chain === undefined) return undefined;
  if (resets_at !== undefined && resets_at !== null && typeof resets_at !== 'string')
    return undefined;
  return (
    `{"id":${JSON.stringify(id)},"name":${JSON.stringify(name ?? '')},"mode":"${mode}",` +
    `"limit_nanos":${limit},"spent_nanos":${spent},"reserved_nanos":${reserved},` +
    `"soft_thresholds":${thresholds},"downgrade_chain":${chain}` +
    `${resets_at === undefined ? '' : `,"resets_at":${JSON.stringify(resets_at)}`}}`
  );
}

const VELOCITY_KEYS = new Set([
  'id',
  'scope',
  'metric',
  'limit',
  'window_seconds',
  'current',
  'retry_after_seconds',
]);

function velocityJson(value: unknown): string | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, VELOCITY_KEYS)) return undefined;
  const { id, scope, metric, window_seconds, retry_after_seconds } = value;
  if (!isText(id) || !isText(scope)) return undefined;
  if (typeof metric !== 'string' || !VELOCITY_METRICS.has(metric)) return undefined;
  if (!isCount(window_seconds) || !isCount(retry_after_seconds)) return undefined;
  const limit = integer(value.limit);
  const current = integer(value.current);
  if (limit === undefined || current === undefined) return undefined;
  return (
    `{"id":${JSON.stringify(id)},"scope":${JSON.stringify(scope)},"metric":"${metric}",` +
    `"limit":${limit},"window_seconds":${window_seconds},"current":${current},` +
    `"retry_after_seconds":${retry_after_seconds}}`
  );
}

function arrayJson(value: unknown, item: (value: unknown) => string | undefined) {
  if (value === undefined) return '[]';
  if (!Array.isArray(value)) return undefined;
  const parts: string[] = [];
  for (const element of value) {
    const json = item(element);
    if (json === undefined) return undefined;
    parts.push(json);
  }
  return `[${parts.join(',')}]`;
}

const INPUT_KEYS = new Set([
  'request',
  'principal',
  'estimate',
  'candidates',
  'budgets',
  'velocity',
  'now_ns',
]);

/**
 * The policy JSON of a decision input — exactly `toPolicyJson(decisionInputSchema.parse(input))`
 * — or `undefined` when the input needs the schema.
 */
export function fastDecisionInputJson(input: DecisionInput): string | undefined {
  const value = input as unknown;
  if (!isPlainObject(value) || !onlyKeys(value, INPUT_KEYS)) return undefined;
  const request = requestJson(value.request);
  if (request === undefined) return undefined;
  const principal = principalJson(value.principal);
  if (principal === undefined) return undefined;
  const estimate = estimateJson(value.estimate);
  if (estimate === undefined) return undefined;
  const candidates = candidatesJson(value.candidates);
  if (candidates === undefined) return undefined;
  const budgets = arrayJson(value.budgets, budgetJson);
  if (budgets === undefined) return undefined;
  const velocity = arrayJson(value.velocity, velocityJson);
  if (velocity === undefined) return undefined;
  const now = integer(value.now_ns);
  if (now === undefined) return undefined;
  return (
    `{"request":${request},"principal":${principal},"estimate":${estimate},` +
    `"candidates":${candidates},"budgets":${budgets},"velocity":${velocity},"now_ns":${now}}`
  );
}

const REASON_KEYS = new Set([
  'code',
  'message',
  'budget_id',
  'limit_id',
  'retry_after_seconds',
  'threshold_basis_points',
]);
const DECISION_KEYS = new Set([
  'allow',
  'action',
  'model',
  'max_output_tokens',
  'reasons',
  'retry_after_seconds',
]);

const isNonNegativeInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function fastReason(value: unknown): DecisionReason | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, REASON_KEYS)) return undefined;
  const { code, message, budget_id, limit_id, retry_after_seconds, threshold_basis_points } = value;
  if (!isText(code) || typeof message !== 'string') return undefined;
  const reason: DecisionReason = { code, message };
  if (budget_id !== undefined) {
    if (typeof budget_id !== 'string') return undefined;
    reason.budget_id = budget_id;
  }
  if (limit_id !== undefined) {
    if (typeof limit_id !== 'string') return undefined;
    reason.limit_id = limit_id;
  }
  if (retry_after_seconds !== undefined) {
    if (!isNonNegativeInteger(retry_after_seconds)) return undefined;
    reason.retry_after_seconds = retry_after_seconds;
  }
  if (threshold_basis_points !== undefined) {
    if (!isNonNegativeInteger(threshold_basis_points)) return undefined;
    reason.threshold_basis_points = threshold_basis_points;
  }
  return reason;
}

/** The policy's decision — exactly `policyDecisionSchema.parse(value)` — or `undefined`. */
export function fastPolicyDecision(value: unknown): PolicyDecision | undefined {
  if (!isPlainObject(value) || !onlyKeys(value, DECISION_KEYS)) return undefined;
  const { allow, action, model, max_output_tokens, reasons, retry_after_seconds } = value;
  if (typeof allow !== 'boolean' || typeof action !== 'string' || !ACTIONS.has(action))
    return undefined;
  if (!isText(model) || !isNonNegativeInteger(max_output_tokens)) return undefined;
  if (!Array.isArray(reasons)) return undefined;
  if (retry_after_seconds !== null && !isNonNegativeInteger(retry_after_seconds)) return undefined;
  const parsed: DecisionReason[] = [];
  for (const reason of reasons) {
    const fast = fastReason(reason);
    if (fast === undefined) return undefined;
    parsed.push(fast);
  }
  return {
    allow,
    action: action as PolicyDecision['action'],
    model,
    max_output_tokens,
    reasons: parsed,
    retry_after_seconds,
  };
}

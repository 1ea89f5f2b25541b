import { ATTRIBUTION_KEYS } from '@purser/adapters';
import { badInput } from '../errors';

/**
 * What a gateway plugin tells Purser of the call it is about to forward, whichever plugin:
 * the upstream path, the request headers (lower-cased names) and the JSON body when the
 * plugin sends it. {@link gatewayOpaInput} turns it into the decision contract's OPA input.
 */
export interface GatewayCall {
  path: string;
  headers: Map<string, string>;
  body?: unknown;
}

/** The output cap asked for when neither the body nor `X-Purser-Max-Tokens` names one. */
export const DEFAULT_GATEWAY_MAX_TOKENS = 4096;

/** Characters per token of the input estimate (the usual rule of thumb for English text). */
const CHARS_PER_TOKEN = 4;
/** How far the input estimate walks into a body, in nested levels and in strings read. */
const ESTIMATE_MAX_DEPTH = 8;
const ESTIMATE_MAX_STRINGS = 100_000;

/** The header carrying a gateway key among the forwarded request headers. */
export const GATEWAY_KEY_HEADER = 'x-purser-key';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Header values as plugins send them (a string, or a list for a repeated header: its first
 * value) → lower-cased names; anything else is left out.
 */
export function headerMap(raw: unknown): Map<string, string> {
  const headers = new Map<string, string>();
  if (!isObject(raw)) return headers;
  for (const [name, value] of Object.entries(raw)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') headers.set(name.toLowerCase(), first);
  }
  return headers;
}

/** The upstream API a path belongs to, and the model a Gemini path names. */
function inferFromPath(path: string): { provider?: string; model?: string } {
  const gemini = /\/models\/([^/:]+):(?:stream)?[gG]enerateContent$/.exec(path);
  if (gemini) {
    try {
      return { provider: 'google', model: decodeURIComponent(gemini[1]) };
    } catch {
      throw badInput(
        `path: the model ${JSON.stringify(gemini[1].slice(0, 200))} is not valid percent-encoding`,
      );
    }
  }
  if (/\/messages$/.test(path)) return { provider: 'anthropic' };
  if (/\/(chat\/completions|completions|responses|embeddings)$/.test(path)) {
    return { provider: 'openai' };
  }
  return {};
}

function count(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < 0) {
    throw badInput(`${what} must be a non-negative integer (got ${JSON.stringify(value)})`);
  }
  return parsed;
}

/** Characters of text in the prompt parts of a body, walked at most so deep and so wide. */
function promptCharacters(body: Record<string, unknown>): number {
  let characters = 0;
  let strings = 0;
  const walk = (value: unknown, depth: number): void => {
    if (strings >= ESTIMATE_MAX_STRINGS || depth > ESTIMATE_MAX_DEPTH) return;
    if (typeof value === 'string') {
      strings += 1;
      characters += value.length;
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) walk(value[key], depth + 1);
    }
  };
  for (const key of ['messages', 'input', 'prompt', 'system', 'instructions', 'contents']) {
    walk(body[key], 0);
  }
  return characters;
}

/**
 * The OPA input of the decision contract (`POST /v1/data/purser/authz/decision`) for a
 * gateway call: provider from `X-Purser-Provider` or the upstream path, model and output cap
 * from an OpenAI-, Anthropic- or Gemini-style body or `X-Purser-Model`/`X-Purser-Max-Tokens`,
 * the input estimated from the prompt's text unless `X-Purser-Input-Tokens` says it,
 * attribution from `X-Purser-<key>` headers (`X-Purser-Request-Path` defaults to the path).
 */
export function gatewayOpaInput(
  call: GatewayCall,
  gateway: string,
): { input: Record<string, unknown> } {
  const body = isObject(call.body) ? call.body : {};
  const { headers } = call;
  const path = call.path.split('?')[0];
  const inferred = inferFromPath(path);
  const provider = headers.get('x-purser-provider') ?? inferred.provider;
  if (!provider) {
    throw badInput(
      `provider: cannot tell the provider from the path ${JSON.stringify(path.slice(0, 200))}; send X-Purser-Provider`,
    );
  }
  const model =
    (typeof body.model === 'string' && body.model !== '' ? body.model : undefined) ??
    headers.get('x-purser-model') ??
    inferred.model;
  if (!model) throw badInput('model: not in the request body; send X-Purser-Model');
  const generation = isObject(body.generationConfig) ? body.generationConfig : {};
  const maxTokens =
    count(body.max_completion_tokens, 'body.max_completion_tokens') ??
    count(body.max_tokens, 'body.max_tokens') ??
    count(body.max_output_tokens, 'body.max_output_tokens') ??
    count(generation.maxOutputTokens, 'body.generationConfig.maxOutputTokens') ??
    count(headers.get('x-purser-max-tokens'), 'X-Purser-Max-Tokens') ??
    DEFAULT_GATEWAY_MAX_TOKENS;
  const inputTokens =
    count(headers.get('x-purser-input-tokens'), 'X-Purser-Input-Tokens') ??
    Math.ceil(promptCharacters(body) / CHARS_PER_TOKEN);
  const attribution: Record<string, string> = {};
  for (const key of ATTRIBUTION_KEYS) {
    if (key === 'virtual_key') continue;
    const value = headers.get(`x-purser-${key.replace('_', '-')}`);
    if (value !== undefined && value !== '') attribution[key] = value;
  }
  attribution.request_path ??= path.slice(0, 256);
  const virtualKey = headers.get('x-purser-virtual-key');
  return {
    input: {
      provider,
      model,
      attribution,
      ...(virtualKey ? { virtual_key: virtualKey } : {}),
      estimated_input_tokens: inputTokens,
      max_output_tokens: maxTokens,
      metadata: { gateway },
    },
  };
}

/**
 * LiteLLM's `StandardLoggingPayload` (litellm/types/utils.py), as its generic API logger
 * posts it → a usage event in the wire shape. Reading never throws: a field of the wrong type
 * is passed on as it is, so the usage event parser rejects the event naming it.
 *
 * - Tokens: LiteLLM's `prompt_tokens` INCLUDES cache reads and writes (it adds Anthropic's
 *   `cache_read_input_tokens` and `cache_creation_input_tokens` in), so input = prompt − reads
 *   − writes; the cache counts come from the raw usage (`hidden_params.usage_object` or
 *   `metadata.usage_object`), LiteLLM's top-level counts otherwise.
 * - A cache hit (`cache_hit: true`) called no provider: stored with no tokens.
 * - `response_cost` is kept as `reported_cost` (USD), for reconciliation.
 */
export const LITELLM_SOURCE = 'litellm';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const objectAt = (value: unknown): Json => (isObject(value) ? value : {});

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A token count as given; absent (undefined/null) is undefined. */
function given(value: unknown): unknown {
  return value === null ? undefined : value;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Epoch seconds (float, LiteLLM's `startTime`/`endTime`) → milliseconds. */
function epochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1e11) {
    return Math.round(value * 1000);
  }
  return undefined;
}

/** The canonical usage of a payload (see the module comment). */
export function litellmUsage(payload: Json): Json {
  if (payload.cache_hit === true) return { input_tokens: 0, output_tokens: 0 };
  const metadata = objectAt(payload.metadata);
  const raw = objectAt(
    isObject(objectAt(payload.hidden_params).usage_object)
      ? objectAt(payload.hidden_params).usage_object
      : metadata.usage_object,
  );
  const prompt = given(raw.prompt_tokens) ?? given(payload.prompt_tokens) ?? 0;
  const completion = given(raw.completion_tokens) ?? given(payload.completion_tokens) ?? 0;
  const promptDetails = objectAt(raw.prompt_tokens_details);
  const completionDetails = objectAt(raw.completion_tokens_details);
  const cacheRead = given(raw.cache_read_input_tokens) ?? given(promptDetails.cached_tokens) ?? 0;
  const cacheWrite =
    given(raw.cache_creation_input_tokens) ?? given(promptDetails.cache_creation_tokens) ?? 0;
  const oneHour = given(objectAt(raw.cache_creation_token_details).ephemeral_1h_input_tokens) ?? 0;
  const reasoning = given(completionDetails.reasoning_tokens) ?? 0;
  if (![prompt, completion, cacheRead, cacheWrite, oneHour, reasoning].every(isCount)) {
    // Passed on as given: the parser names the first one that is not a count.
    return {
      input_tokens: prompt,
      output_tokens: completion,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      cache_write_1h_tokens: oneHour,
      reasoning_tokens: reasoning,
    };
  }
  const [p, c, r, w, h, reason] = [
    prompt,
    completion,
    cacheRead,
    cacheWrite,
    oneHour,
    reasoning,
  ] as number[];
  const oneHourWrites = Math.min(h, w);
  const input = p - r - w >= 0 ? p - r - w : p;
  const usage: Json = { input_tokens: input, output_tokens: c };
  if (r > 0) usage.cache_read_tokens = r;
  if (w - oneHourWrites > 0) usage.cache_write_tokens = w - oneHourWrites;
  if (oneHourWrites > 0) usage.cache_write_1h_tokens = oneHourWrites;
  if (reason > 0) usage.reasoning_tokens = Math.min(reason, c);
  return usage;
}

/** Attribution from the payload's metadata (who called, for whom, on which route). */
function attribution(payload: Json, metadata: Json): Json {
  const result: Json = {};
  const set = (key: string, value: unknown) => {
    const written = text(value);
    if (written !== undefined) result[key] = written;
  };
  set('team', text(metadata.user_api_key_team_alias) ?? metadata.user_api_key_team_id);
  set('customer', text(payload.end_user) ?? metadata.user_api_key_end_user_id);
  set('user', metadata.user_api_key_user_id);
  set('project', text(metadata.user_api_key_project_alias) ?? metadata.user_api_key_project_id);
  set('request_path', metadata.user_api_key_request_route);
  const requester = objectAt(metadata.requester_metadata);
  for (const key of ['feature', 'environment', 'agent', 'session'] as const) {
    set(key, requester[`purser_${key}`]);
  }
  return result;
}

/** `request_tags` (a list of strings) as tags with empty values; the key alias as a tag. */
function tags(payload: Json, metadata: Json): Json | undefined {
  const result: Json = {};
  if (Array.isArray(payload.request_tags)) {
    for (const tag of payload.request_tags.slice(0, 60)) {
      if (typeof tag === 'string' && tag !== '' && tag.length <= 128) result[tag] = '';
    }
  }
  const alias = text(metadata.user_api_key_alias);
  if (alias !== undefined) result['litellm.key_alias'] = alias.slice(0, 512);
  return Object.keys(result).length > 0 ? result : undefined;
}

/** One `StandardLoggingPayload` → a usage event (wire shape, snake_case). */
export function litellmUsageEvent(value: unknown): unknown {
  if (!isObject(value)) return value;
  const payload = value;
  const metadata = objectAt(payload.metadata);
  const end = epochMs(payload.endTime) ?? epochMs(payload.startTime);
  const start = epochMs(payload.startTime);
  const failure = payload.status === 'failure';
  const errorInformation = objectAt(payload.error_information);
  const errorType = text(errorInformation.error_class) ?? text(errorInformation.error_code);
  const cost = payload.response_cost;
  const decision =
    text(objectAt(metadata.requester_metadata).purser_decision_id) ??
    text(objectAt(metadata.spend_logs_metadata).purser_decision_id);
  const event: Json = {
    id: payload.id ?? payload.litellm_call_id,
    source: LITELLM_SOURCE,
    ...(end !== undefined ? { timestamp: new Date(end).toISOString() } : {}),
    provider: payload.custom_llm_provider,
    model: payload.model,
    ...(text(payload.call_type) ? { operation: text(payload.call_type)!.slice(0, 64) } : {}),
    usage: litellmUsage(payload),
    attribution: attribution(payload, metadata),
    status: failure ? 'error' : 'success',
    ...(failure && errorType ? { error_type: errorType.slice(0, 256) } : {}),
    ...(typeof payload.cache_hit === 'boolean' ? { cache_hit: payload.cache_hit } : {}),
    ...(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0
      ? { reported_cost: { amount: cost, currency: 'USD' } }
      : {}),
    ...(start !== undefined && end !== undefined && end >= start
      ? { latency_ms: Math.min(end - start, 86_400_000) }
      : {}),
    ...(decision ? { decision_id: decision } : {}),
  };
  const eventTags = tags(payload, metadata);
  if (eventTags) event.tags = eventTags;
  return event;
}

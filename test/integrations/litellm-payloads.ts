/**
 * StandardLoggingPayload objects as LiteLLM's generic API logger posts them
 * (litellm/types/utils.py `StandardLoggingPayload`, docs/observability/generic_api): every
 * top-level field LiteLLM sets, with the values a proxy call through a team key produces.
 * Written for these tests after LiteLLM's documented shape (LiteLLM is MIT-licensed).
 */
type Json = Record<string, unknown>;

const metadata = (extra: Json = {}): Json => ({
  user_api_key_hash: '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b',
  user_api_key_alias: 'search-prod-key',
  user_api_key_team_id: 'team-3f1a',
  user_api_key_team_alias: 'search',
  user_api_key_user_id: 'u-42',
  user_api_key_org_id: null,
  user_api_key_end_user_id: null,
  user_api_key_request_route: '/chat/completions',
  spend_logs_metadata: null,
  requester_ip_address: '10.0.0.7',
  requester_metadata: {},
  applied_guardrails: [],
  usage_object: null,
  ...extra,
});

/** A successful gpt-4o-mini chat call: 1,200 prompt tokens of which 1,000 read from the cache. */
export function successPayload(id: string, extra: Json = {}): Json {
  const start = 1_796_000_000.25;
  return {
    id,
    trace_id: `trace-${id}`,
    litellm_call_id: id,
    call_type: 'acompletion',
    stream: false,
    response_cost: 0.000135,
    cost_breakdown: { input_cost: 0.000105, output_cost: 0.00003, total_cost: 0.000135 },
    status: 'success',
    status_fields: { llm_api_status: 'success', guardrail_status: 'not_run' },
    custom_llm_provider: 'openai',
    total_tokens: 1250,
    prompt_tokens: 1200,
    completion_tokens: 50,
    startTime: start,
    endTime: start + 0.8,
    completionStartTime: start + 0.3,
    response_time: 0.8,
    model_map_information: { model_map_key: 'gpt-4o-mini', model_map_value: {} },
    model: 'gpt-4o-mini',
    model_id: 'model-1',
    model_group: 'gpt-4o-mini',
    api_base: 'https://api.openai.com/v1',
    metadata: metadata(),
    cache_hit: false,
    cache_key: null,
    saved_cache_cost: 0,
    request_tags: ['prod', 'chat'],
    end_user: 'acme',
    requester_ip_address: '10.0.0.7',
    messages: [{ role: 'user', content: 'Hello' }],
    response: { id: 'chatcmpl-1', choices: [] },
    error_str: null,
    error_information: null,
    model_parameters: { max_tokens: 256 },
    hidden_params: {
      model_id: 'model-1',
      cache_key: null,
      api_base: 'https://api.openai.com/v1',
      response_cost: 0.000135,
      litellm_overhead_time_ms: 2.1,
      additional_headers: {},
      litellm_model_name: 'gpt-4o-mini',
      usage_object: {
        prompt_tokens: 1200,
        completion_tokens: 50,
        total_tokens: 1250,
        prompt_tokens_details: { cached_tokens: 1000, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    },
    guardrail_information: null,
    standard_built_in_tools_params: null,
    ...extra,
  };
}

/** A failed call (a provider rate limit): no tokens, the error's class kept. */
export function failurePayload(id: string): Json {
  return successPayload(id, {
    status: 'failure',
    response_cost: 0,
    total_tokens: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    response: null,
    error_str: 'litellm.RateLimitError: OpenAIException - Rate limit reached',
    error_information: {
      error_code: '429',
      error_class: 'RateLimitError',
      llm_provider: 'openai',
      traceback: '',
      error_message: 'Rate limit reached',
    },
    hidden_params: { model_id: 'model-1', response_cost: 0, usage_object: null },
  });
}

/** A cache hit: LiteLLM answered from its own cache, no provider call, no cost. */
export function cacheHitPayload(id: string): Json {
  return successPayload(id, {
    cache_hit: true,
    cache_key: 'a1b2c3',
    response_cost: 0,
    saved_cache_cost: 0.000135,
  });
}

/**
 * An Anthropic call through LiteLLM: its `prompt_tokens` adds the cache reads and writes in
 * (100 uncached + 2,000 read + 500 written), the raw counts in `metadata.usage_object`.
 */
export function anthropicPayload(id: string): Json {
  return successPayload(id, {
    custom_llm_provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    prompt_tokens: 2600,
    completion_tokens: 80,
    total_tokens: 2680,
    response_cost: 0.0027,
    hidden_params: { response_cost: 0.0027 },
    metadata: metadata({
      user_api_key_team_alias: null,
      usage_object: {
        prompt_tokens: 2600,
        completion_tokens: 80,
        total_tokens: 2680,
        cache_creation_input_tokens: 500,
        cache_read_input_tokens: 2000,
        prompt_tokens_details: { cached_tokens: 2000 },
      },
    }),
  });
}

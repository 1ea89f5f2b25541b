package purser.authz_test

# Shared fixtures for the policy tests. A request for gpt-4o: 1,000 input tokens at
# $2.50/1M and up to 4,000 output tokens at $10/1M, i.e. 2,500,000 + 40,000,000 nanos.

base_request := {
	"provider": "openai",
	"model": "gpt-4o",
	"attribution": {
		"team": "ml-platform",
		"feature": "chat",
		"environment": "production",
		"customer": "acme",
		"project": "assistant",
		"user": "u-42",
		"agent": "support-bot",
		"session": "s-1",
		"virtual_key": "vk-ml",
		"request_path": "/v1/chat/completions",
	},
	"estimated_input_tokens": 1000,
	"max_output_tokens": 4000,
	"metadata": {},
}

gpt_4o_estimate := {
	"model": "gpt-4o",
	"cost_nanos": 42500000,
	"input_cost_nanos": 2500000,
	"cost_per_output_token_nanos": 10000,
}

# gpt-4o-mini: $0.15/1M input, $0.60/1M output.
gpt_4o_mini_candidate := {
	"model": "gpt-4o-mini",
	"cost_nanos": 2550000,
	"input_cost_nanos": 150000,
	"cost_per_output_token_nanos": 600,
}

base_input := {
	"request": base_request,
	"principal": {"key_id": "key-gw", "role": "gateway"},
	"estimate": gpt_4o_estimate,
	"candidates": [gpt_4o_mini_candidate],
	"budgets": [],
	"velocity": [],
	"now_ns": 1763884800000000000,
}

budget(id, mode, limit, spent) := {
	"id": id,
	"name": id,
	"mode": mode,
	"limit_nanos": limit,
	"spent_nanos": spent,
	"reserved_nanos": 0,
	"soft_thresholds": [],
	"downgrade_chain": [],
	"resets_at": "2025-12-01T00:00:00Z",
}

with_budgets(budgets) := object.union(base_input, {"budgets": budgets})

codes(decision) := [reason.code | some reason in decision.reasons]

config_fixture := {
	"models": {
		"default": {"deny": ["gpt-4.5*"]},
		"environments": {"development": {"deny": ["o1-pro*", "claude-opus-*"]}},
		"teams": {"research": {"allow": ["claude-*", "openai/gpt-4o*"]}},
		"virtual_keys": {"vk-cheap": {"allow": ["gpt-4o-mini"]}},
	},
	"downgrade_chains": [["gpt-4o", "gpt-4o-mini"], ["o3", "o4-mini"]],
	"min_capped_output_tokens": 1,
}

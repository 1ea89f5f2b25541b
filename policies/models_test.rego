package purser.authz_test

import data.purser.authz

model_decision(model, attribution, principal) := decision if {
	request_input := object.union(base_input, {
		"request": object.union(object.remove(base_request, ["attribution"]), {"model": model, "attribution": attribution}),
		"principal": principal,
		"estimate": object.union(gpt_4o_estimate, {"model": model}),
	})
	decision := authz.decision with input as request_input with data.purser.config as config_fixture
}

gateway := {"key_id": "key-gw", "role": "gateway"}

test_model_lists if {
	every case in [
		# [model, attribution, principal, expected action]
		["gpt-4o", {"environment": "production"}, gateway, "allow"],
		["gpt-4.5-preview", {"environment": "production"}, gateway, "deny"],
		["o1-pro", {"environment": "development"}, gateway, "deny"],
		["o1-pro", {"environment": "production"}, gateway, "allow"],
		["claude-opus-4-1", {"environment": "development"}, gateway, "deny"],
		["claude-sonnet-4-5", {"environment": "development"}, gateway, "allow"],
		["claude-sonnet-4-5", {"team": "research"}, gateway, "allow"],
		["gpt-4o-2024-08-06", {"team": "research"}, gateway, "allow"],
		["o3", {"team": "research"}, gateway, "deny"],
		["gpt-4o", {"virtual_key": "vk-cheap"}, gateway, "deny"],
		["gpt-4o-mini", {"virtual_key": "vk-cheap"}, gateway, "allow"],
		["gpt-4o", {}, object.union(gateway, {"virtual_key": {"id": "vk-1", "allowed_models": ["gpt-4o-mini"]}}), "deny"],
		["gpt-4o-mini", {}, object.union(gateway, {"virtual_key": {"id": "vk-1", "allowed_models": ["gpt-4o-mini"]}}), "allow"],
		["gpt-4o", {}, object.union(gateway, {"virtual_key": {"id": "vk-1", "allowed_models": []}}), "allow"],
		["gpt-4o", {"virtual_key": "vk-other"}, object.union(gateway, {"virtual_key": {"id": "vk-cheap", "allowed_models": []}}), "deny"],
	] {
		decision := model_decision(case[0], case[1], case[2])
		decision.action == case[3]
	}
}

test_model_not_allowed_names_every_refusing_scope if {
	principal := object.union(gateway, {"virtual_key": {"id": "vk-cheap", "allowed_models": ["o4-mini"]}})
	decision := model_decision("gpt-4.5-preview", {"environment": "production", "team": "research"}, principal)
	decision.allow == false
	decision.reasons == [{
		"code": "model_not_allowed",
		"message": "model gpt-4.5-preview is not allowed by default, team research, virtual key vk-cheap, virtual key vk-cheap (key settings)",
	}]
}

test_pattern_matching if {
	authz.pattern_matches("*", "anything")
	authz.pattern_matches("gpt-4o", "gpt-4o")
	authz.pattern_matches("gpt-4o*", "gpt-4o-mini")
	not authz.pattern_matches("gpt-4o", "gpt-4o-mini")
	not authz.pattern_matches("gpt-4o*", "gpt-4")
	authz.matches_any(["openai/*"], "gpt-4o") with input as base_input
	not authz.matches_any(["anthropic/*"], "gpt-4o") with input as base_input
}

test_an_empty_allow_list_allows_everything_and_deny_wins if {
	authz.rules_allow({"allow": []}, "gpt-4o") with input as base_input
	authz.rules_allow({}, "gpt-4o") with input as base_input
	not authz.rules_allow({"allow": ["gpt-4o"], "deny": ["gpt-4o"]}, "gpt-4o") with input as base_input
	not authz.rules_allow({"deny": ["*"]}, "gpt-4o") with input as base_input
}

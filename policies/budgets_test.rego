package purser.authz_test

import data.purser.authz

# The gpt-4o fixture's worst case is 42,500,000 nanos: 2,500,000 for input plus
# 4,000 output tokens at 10,000 nanos each.

budget_decision(budgets) := decision if {
	decision := authz.decision with input as with_budgets(budgets) with data.purser.config as config_fixture
}

with_reserved(b, reserved) := object.union(b, {"reserved_nanos": reserved})

with_chain(b, chain) := object.union(b, {"downgrade_chain": chain})

with_thresholds(b, thresholds) := object.union(b, {"soft_thresholds": thresholds})

# --- block ---------------------------------------------------------------------------

test_block_allows_reaching_the_limit_exactly if {
	decision := budget_decision([budget("org", "block", 100000000, 57500000)])
	decision.action == "allow"
	decision.max_output_tokens == 4000
}

test_block_counts_reservations if {
	decision := budget_decision([with_reserved(budget("org", "block", 100000000, 50000000), 7500000)])
	decision.action == "allow"
	capped := budget_decision([with_reserved(budget("org", "block", 100000000, 50000000), 7500001)])
	capped.max_output_tokens == 3999
}

test_block_caps_max_output_tokens_when_input_and_some_output_fit if {
	decision := budget_decision([budget("org", "block", 100000000, 57500001)])
	decision.allow == true
	decision.action == "warn"
	decision.model == "gpt-4o"
	decision.max_output_tokens == 3999
	decision.reasons == [{
		"code": "max_output_tokens_capped",
		"message": "budget \"org\" cannot cover 4000 output tokens; capped to 3999",
		"budget_id": "org",
	}]
}

test_block_caps_to_a_single_token_when_only_one_fits if {
	# headroom 2,510,000 = input 2,500,000 + one output token
	decision := budget_decision([budget("org", "block", 100000000, 97490000)])
	decision.max_output_tokens == 1
}

test_block_denies_when_input_plus_one_output_token_does_not_fit if {
	decision := budget_decision([budget("org", "block", 100000000, 97490001)])
	decision.allow == false
	decision.action == "deny"
	decision.max_output_tokens == 4000
	decision.reasons == [{
		"code": "budget_exceeded",
		"message": "budget \"org\" cannot cover the worst-case cost of this request",
		"budget_id": "org",
	}]
}

test_block_denies_a_cap_below_the_configured_minimum if {
	b := budget("org", "block", 100000000, 97000000) # room for 50 output tokens
	allowed := authz.decision with input as with_budgets([b])
		with data.purser.config as object.union(config_fixture, {"min_capped_output_tokens": 50})
	allowed.max_output_tokens == 50
	denied := authz.decision with input as with_budgets([b])
		with data.purser.config as object.union(config_fixture, {"min_capped_output_tokens": 51})
	denied.action == "deny"
}

test_block_denies_when_output_is_not_priced_per_token if {
	request_input := object.union(with_budgets([budget("org", "block", 10000000, 0)]), {"estimate": object.union(gpt_4o_estimate, {"cost_per_output_token_nanos": 0})})
	decision := authz.decision with input as request_input with data.purser.config as config_fixture
	decision.action == "deny"
}

test_cap_fits_the_tightest_of_several_budgets if {
	decision := budget_decision([
		budget("org", "block", 1000000000, 0),
		budget("team", "block", 100000000, 70000000), # headroom 30,000,000 -> 2,750 tokens
		budget("feature", "block", 50000000, 5000000), # headroom 45,000,000: fits
	])
	decision.max_output_tokens == 2750
	[reason.budget_id | some reason in decision.reasons] == ["team"]
}

test_block_handles_amounts_beyond_64_bit_integers if {
	limit := 50000000000000000000 # 50 billion units in nanos
	decision := budget_decision([budget("org", "block", limit, limit - 42500000)])
	decision.action == "allow"
	over := budget_decision([budget("org", "block", limit, (limit - 42500000) + 10000)])
	over.max_output_tokens == 3999
}

# --- downgrade -----------------------------------------------------------------------

test_downgrade_picks_the_next_model_of_the_budget_chain if {
	decision := budget_decision([with_chain(budget("team", "downgrade", 10000000, 0), ["gpt-4o", "gpt-4o-mini"])])
	decision.allow == true
	decision.action == "downgrade"
	decision.model == "gpt-4o-mini"
	decision.max_output_tokens == 4000
	decision.reasons == [{
		"code": "downgraded",
		"message": "budget \"team\" cannot cover gpt-4o; downgraded to gpt-4o-mini",
		"budget_id": "team",
	}]
}

test_downgrade_uses_the_default_chain_when_the_budget_has_none if {
	decision := budget_decision([budget("team", "downgrade", 10000000, 0)])
	decision.model == "gpt-4o-mini"
}

test_downgrade_allows_when_the_requested_model_fits if {
	decision := budget_decision([budget("team", "downgrade", 42500000, 0)])
	decision.action == "allow"
	decision.model == "gpt-4o"
}

test_downgrade_skips_models_that_do_not_fit_or_are_not_allowed if {
	nano := {"model": "gpt-4.1-nano", "cost_nanos": 1700000, "input_cost_nanos": 100000, "cost_per_output_token_nanos": 400}
	preview := {"model": "gpt-4.5-preview", "cost_nanos": 100, "input_cost_nanos": 50, "cost_per_output_token_nanos": 1}
	request_input := object.union(
		with_budgets([with_chain(budget("team", "downgrade", 2000000, 0), ["gpt-4o", "gpt-4.5-preview", "gpt-4o-mini", "gpt-4.1-nano"])]),
		{"candidates": [preview, gpt_4o_mini_candidate, nano]},
	)
	decision := authz.decision with input as request_input with data.purser.config as config_fixture
	decision.model == "gpt-4.1-nano"
}

test_downgrade_only_considers_models_after_the_requested_one if {
	decision := budget_decision([with_chain(budget("team", "downgrade", 2000000, 0), ["gpt-4o-mini", "gpt-4o"])])
	decision.action == "deny"
	decision.model == "gpt-4o"
	codes(decision) == ["budget_exceeded"]
}

test_downgrade_denies_when_the_chain_does_not_list_the_requested_model if {
	decision := budget_decision([with_chain(budget("team", "downgrade", 2000000, 0), ["o3", "o4-mini"])])
	decision.action == "deny"
	decision.reasons[0].message == "budget \"team\" cannot cover the worst-case cost of this request and no model of its downgrade chain fits"
}

test_downgrade_candidate_must_fit_every_enforced_budget if {
	decision := budget_decision([
		budget("team", "downgrade", 10000000, 0),
		budget("org", "block", 2000000, 0),
	])
	decision.action == "deny"
	[reason.budget_id | some reason in decision.reasons] == ["org", "team"]
}

test_downgrade_falls_back_to_a_cap_when_no_cheaper_model_fits if {
	# headroom 2,510,000: gpt-4o-mini (2,550,000) does not fit, gpt-4o with one output token does
	decision := budget_decision([budget("team", "downgrade", 2510000, 0)])
	decision.action == "warn"
	decision.model == "gpt-4o"
	decision.max_output_tokens == 1
	codes(decision) == ["max_output_tokens_capped"]
}

test_downgrade_ignores_alert_only_budgets_when_choosing_the_model if {
	decision := budget_decision([
		budget("team", "downgrade", 10000000, 0),
		budget("alerts", "alert_only", 1000, 0),
	])
	decision.model == "gpt-4o-mini"
	codes(decision) == ["downgraded", "budget_exceeded_alert_only"]
}

# --- alert_only ----------------------------------------------------------------------

test_alert_only_allows_with_a_reason_when_exceeded if {
	decision := budget_decision([budget("alerts", "alert_only", 10000000, 0)])
	decision.allow == true
	decision.action == "warn"
	decision.model == "gpt-4o"
	decision.max_output_tokens == 4000
	decision.reasons == [{
		"code": "budget_exceeded_alert_only",
		"message": "alert-only budget \"alerts\" is exceeded; request allowed",
		"budget_id": "alerts",
	}]
}

test_alert_only_is_silent_at_the_limit if {
	decision := budget_decision([budget("alerts", "alert_only", 42500000, 0)])
	decision.action == "allow"
}

test_alert_only_judges_the_downgraded_cost if {
	decision := budget_decision([
		budget("team", "downgrade", 10000000, 0),
		budget("alerts", "alert_only", 5000000, 0),
	])
	codes(decision) == ["downgraded"]
}

# --- soft thresholds -----------------------------------------------------------------

test_soft_thresholds if {
	every case in [
		# [spent, thresholds, expected reasons]
		[37499999, [0.8], []],
		[37500000, [0.8], [{"code": "budget_threshold", "message": "budget \"org\" reaches 80% of its limit", "budget_id": "org", "threshold_basis_points": 8000}]],
		[55000000, [0.8, 0.95], [{"code": "budget_threshold", "message": "budget \"org\" reaches 95% of its limit", "budget_id": "org", "threshold_basis_points": 9500}]],
		[45000000, [0.855], [{"code": "budget_threshold", "message": "budget \"org\" reaches 85.5% of its limit", "budget_id": "org", "threshold_basis_points": 8550}]],
		[45000000, [0.8505], [{"code": "budget_threshold", "message": "budget \"org\" reaches 85.05% of its limit", "budget_id": "org", "threshold_basis_points": 8505}]],
	] {
		decision := budget_decision([with_thresholds(budget("org", "block", 100000000, case[0]), case[1])])
		decision.reasons == case[2]
		decision.action == {true: "allow", false: "warn"}[count(case[2]) == 0]
	}
}

test_soft_threshold_uses_the_capped_cost if {
	# capped to exactly the limit: 100% reached, not exceeded
	decision := budget_decision([with_thresholds(budget("org", "block", 100000000, 57500001), [0.8])])
	codes(decision) == ["budget_threshold", "max_output_tokens_capped"]
}

test_soft_threshold_applies_to_alert_only_budgets_below_their_limit if {
	decision := budget_decision([with_thresholds(budget("alerts", "alert_only", 50000000, 0), [0.5])])
	codes(decision) == ["budget_threshold"]
}

test_basis_points_percent if {
	authz.basis_points_percent(8000) == "80%"
	authz.basis_points_percent(8550) == "85.5%"
	authz.basis_points_percent(8505) == "85.05%"
	authz.basis_points_percent(10000) == "100%"
	authz.basis_points_percent(50) == "0.5%"
}

test_messages_name_a_budget_by_its_id_when_it_has_no_name if {
	decision := budget_decision([object.remove(budget("b-7", "alert_only", 1000, 0), ["name"])])
	decision.reasons[0].message == "alert-only budget b-7 is exceeded; request allowed"
}

package purser.authz_test

import data.purser.authz

test_allows_a_request_with_no_budgets_or_limits if {
	decision := authz.decision with input as base_input with data.purser.config as config_fixture
	decision == {
		"allow": true,
		"action": "allow",
		"model": "gpt-4o",
		"max_output_tokens": 4000,
		"reasons": [],
		"retry_after_seconds": null,
	}
}

test_allows_with_the_default_data if {
	decision := authz.decision with input as base_input
	decision.action == "allow"
}

test_evaluates_without_any_config_data if {
	decision := authz.decision with input as base_input with data.purser.config as {}
	decision.action == "allow"
}

test_deny_takes_precedence_over_downgrade_and_warn if {
	request_input := object.union(base_input, {
		"budgets": [
			object.union(budget("team", "downgrade", 10000000, 0), {"downgrade_chain": ["gpt-4o", "gpt-4o-mini"]}),
			budget("alerts", "alert_only", 1000, 0),
		],
		"velocity": [{
			"id": "v-session", "scope": "session", "metric": "requests",
			"limit": 5, "window_seconds": 60, "current": 5, "retry_after_seconds": 30,
		}],
	})
	decision := authz.decision with input as request_input with data.purser.config as config_fixture
	decision.action == "deny"
	decision.allow == false
	decision.model == "gpt-4o"
	codes(decision) == ["rate_limited", "budget_exceeded_alert_only"]
}

test_downgrade_takes_precedence_over_warn if {
	request_input := with_budgets([
		object.union(budget("team", "downgrade", 10000000, 0), {"downgrade_chain": ["gpt-4o", "gpt-4o-mini"]}),
		budget("alerts", "alert_only", 1000, 0),
	])
	decision := authz.decision with input as request_input with data.purser.config as config_fixture
	decision.action == "downgrade"
	decision.allow == true
	decision.model == "gpt-4o-mini"
	codes(decision) == ["downgraded", "budget_exceeded_alert_only"]
}

test_warn_takes_precedence_over_allow if {
	decision := authz.decision with input as with_budgets([budget("alerts", "alert_only", 1000, 0)])
		with data.purser.config as config_fixture
	decision.action == "warn"
	decision.allow == true
}

test_reasons_are_sorted_within_a_severity if {
	request_input := with_budgets([budget("b-2", "block", 1000, 0), budget("b-1", "block", 1000, 0)])
	decision := authz.decision with input as object.union(request_input, {"estimate": object.union(gpt_4o_estimate, {"cost_per_output_token_nanos": 0})})
		with data.purser.config as config_fixture
	[reason.budget_id | some reason in decision.reasons] == ["b-1", "b-2"]
}

package purser.authz_test

import data.purser.authz

velocity_limit(id, metric, limit, current, retry_after) := {
	"id": id,
	"scope": "session",
	"metric": metric,
	"limit": limit,
	"window_seconds": 60,
	"current": current,
	"retry_after_seconds": retry_after,
}

velocity_decision(limits) := decision if {
	decision := authz.decision with input as object.union(base_input, {"velocity": limits})
		with data.purser.config as config_fixture
}

test_velocity_limits if {
	every case in [
		# [metric, limit, current, expected action] for 1 request of 5,000 worst-case tokens
		# costing 42,500,000 nanos
		["requests", 10, 9, "allow"],
		["requests", 10, 10, "deny"],
		["tokens", 5000, 0, "allow"],
		["tokens", 5000, 1, "deny"],
		["cost_nanos", 42500000, 0, "allow"],
		["cost_nanos", 42500000, 1, "deny"],
	] {
		decision := velocity_decision([velocity_limit("v", case[0], case[1], case[2], 7)])
		decision.action == case[3]
	}
}

test_rate_limited_says_when_to_retry if {
	decision := velocity_decision([velocity_limit("v-session-rpm", "requests", 10, 10, 12)])
	decision.allow == false
	decision.retry_after_seconds == 12
	decision.reasons == [{
		"code": "rate_limited",
		"message": "session requests limit v-session-rpm reached; retry after 12s",
		"limit_id": "v-session-rpm",
		"retry_after_seconds": 12,
	}]
}

test_retry_after_is_the_longest_wait_of_the_limits_hit if {
	decision := velocity_decision([
		velocity_limit("v-1", "requests", 10, 10, 12),
		velocity_limit("v-2", "tokens", 100, 100, 45),
		velocity_limit("v-3", "requests", 1000, 1, 90),
	])
	decision.retry_after_seconds == 45
	count(decision.reasons) == 2
}

test_retry_after_is_null_when_not_rate_limited if {
	decision := velocity_decision([velocity_limit("v-1", "requests", 10, 1, 12)])
	decision.retry_after_seconds == null
}

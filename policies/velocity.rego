package purser.authz

# Velocity limits. The service owns the sliding-window counters: each input.velocity
# entry carries its limit, the usage already in the window (excluding this request) and
# when a retry could succeed. The policy adds what this request would consume.

velocity_increment(limit) := 1 if limit.metric == "requests"

velocity_increment(limit) := input.request.estimated_input_tokens + input.request.max_output_tokens if {
	limit.metric == "tokens"
}

velocity_increment(limit) := input.estimate.cost_nanos if limit.metric == "cost_nanos"

rate_limited(limit) if limit.current + velocity_increment(limit) > limit.limit

deny_reasons contains reason if {
	some limit in input.velocity
	rate_limited(limit)
	reason := {
		"code": "rate_limited",
		"message": concat("", [
			limit.scope, " ", limit.metric, " limit ", limit.id,
			" reached; retry after ", format_int(limit.retry_after_seconds, 10), "s",
		]),
		"limit_id": limit.id,
		"retry_after_seconds": limit.retry_after_seconds,
	}
}

default retry_after_seconds := null

retry_after_seconds := max({limit.retry_after_seconds |
	some limit in input.velocity
	rate_limited(limit)
})

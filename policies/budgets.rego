package purser.authz

# Budgets. Money is integer nano-units of the budget currency; the service has already
# converted and priced everything, so only integer comparisons happen here.
#
# A `block` or `downgrade` budget is enforced: spent + reserved + cost must stay within
# the limit (reaching it exactly is allowed). When the requested model's worst case does
# not fit, the policy tries, in order: a cheaper model from an exceeded downgrade budget's
# chain, a cap on max_output_tokens, and finally a deny.

enforced_modes := {"block", "downgrade"}

headroom(budget) := (budget.limit_nanos - budget.spent_nanos) - budget.reserved_nanos

enforced(budget) if budget.mode in enforced_modes

exceeds(budget, cost) if cost > headroom(budget)

fits_enforced(cost) if {
	every budget in input.budgets {
		not blocks(budget, cost)
	}
}

blocks(budget, cost) if {
	enforced(budget)
	exceeds(budget, cost)
}

# Enforced budgets the requested model's worst case would exceed, in input order (the
# service lists them from the widest scope to the narrowest).
exceeded_budgets := [budget |
	some budget in input.budgets
	blocks(budget, input.estimate.cost_nanos)
]

over_budget if count(exceeded_budgets) > 0

# --- downgrade ---------------------------------------------------------------------

default_chain := [chain |
	some chain in downgrade_chains
	input.request.model in chain
][0]

chain_for(budget) := budget.downgrade_chain if {
	count(object.get(budget, "downgrade_chain", [])) > 0
} else := default_chain

# Models after the requested one in each exceeded downgrade budget's chain, in order.
# A chain that does not list the requested model offers nothing: its order says nothing
# about where an unknown model stands.
downgrade_options := [model |
	some budget in exceeded_budgets
	budget.mode == "downgrade"
	chain := chain_for(budget)
	position := [index | chain[index] == input.request.model][0]
	some index, model in chain
	index > position
]

candidate(model) := [entry | some entry in input.candidates; entry.model == model][0]

fits_as_downgrade(model) if {
	model != input.request.model
	model_allowed(model)
	fits_enforced(candidate(model).cost_nanos)
}

downgrade_model := [model | some model in downgrade_options; fits_as_downgrade(model)][0]

downgrading if downgrade_model

# --- max_output_tokens cap -----------------------------------------------------------

min_headroom := min({headroom(budget) | some budget in input.budgets; enforced(budget)})

# Exact integer floor division: wasm divides with limited decimal precision, and both
# operands are integers, so (a - a % b) / b is exact.
floor_div(a, b) := (a - (a % b)) / b

capped_max_output_tokens := tokens if {
	over_budget
	not downgrading
	per_token := input.estimate.cost_per_output_token_nanos
	per_token > 0
	available := min_headroom - input.estimate.input_cost_nanos
	available >= per_token * min_capped_output_tokens
	tokens := floor_div(available, per_token)
	tokens < input.request.max_output_tokens
}

capping if capped_max_output_tokens

# --- effective request ---------------------------------------------------------------

blocked_by_budget if {
	over_budget
	not downgrading
	not capping
}

effective_model := downgrade_model if {
	downgrading
} else := input.request.model

effective_max_output_tokens := capped_max_output_tokens if {
	capping
} else := input.request.max_output_tokens

# Worst-case cost of what will actually be called; alert-only budgets and soft thresholds
# are judged on it.
effective_cost := candidate(downgrade_model).cost_nanos if {
	downgrading
} else := cost if {
	capping
	cost := input.estimate.input_cost_nanos + (capped_max_output_tokens * input.estimate.cost_per_output_token_nanos)
} else := input.estimate.cost_nanos

# --- reasons -------------------------------------------------------------------------

deny_reasons contains reason if {
	blocked_by_budget
	some budget in exceeded_budgets
	reason := {
		"code": "budget_exceeded",
		"message": concat("", [
			"budget ", budget_label(budget),
			" cannot cover the worst-case cost of this request",
			no_downgrade_suffix(budget),
		]),
		"budget_id": budget.id,
	}
}

no_downgrade_suffix(budget) := " and no model of its downgrade chain fits" if {
	budget.mode == "downgrade"
} else := ""

downgrade_reasons contains reason if {
	downgrading
	some budget in exceeded_budgets
	budget.mode == "downgrade"
	reason := {
		"code": "downgraded",
		"message": concat("", [
			"budget ", budget_label(budget), " cannot cover ", input.request.model,
			"; downgraded to ", downgrade_model,
		]),
		"budget_id": budget.id,
	}
}

warn_reasons contains reason if {
	capping
	some budget in exceeded_budgets
	reason := {
		"code": "max_output_tokens_capped",
		"message": concat("", [
			"budget ", budget_label(budget), " cannot cover ",
			format_int(input.request.max_output_tokens, 10), " output tokens; capped to ",
			format_int(capped_max_output_tokens, 10),
		]),
		"budget_id": budget.id,
	}
}

warn_reasons contains reason if {
	some budget in input.budgets
	budget.mode == "alert_only"
	exceeds(budget, effective_cost)
	reason := {
		"code": "budget_exceeded_alert_only",
		"message": concat("", ["alert-only budget ", budget_label(budget), " is exceeded; request allowed"]),
		"budget_id": budget.id,
	}
}

# Soft thresholds are fractions of the limit (0.8 = 80%). They are rounded to basis
# points so the comparison is integer arithmetic in every evaluator.
threshold_basis_points(fraction) := round(fraction * 10000)

reached_thresholds(budget) := {points |
	some fraction in object.get(budget, "soft_thresholds", [])
	points := threshold_basis_points(fraction)
	used := (budget.spent_nanos + budget.reserved_nanos) + effective_cost
	used * 10000 >= budget.limit_nanos * points
}

warn_reasons contains reason if {
	some budget in input.budgets
	not exceeds(budget, effective_cost)
	reached := reached_thresholds(budget)
	count(reached) > 0
	reason := {
		"code": "budget_threshold",
		"message": concat("", [
			"budget ", budget_label(budget), " reaches ",
			basis_points_percent(max(reached)), " of its limit",
		]),
		"budget_id": budget.id,
		"threshold_basis_points": max(reached),
	}
}

# Budgets are named in messages by their name, or by their id when they have none.
budget_label(budget) := concat("", ["\"", budget.name, "\""]) if {
	object.get(budget, "name", "") != ""
} else := budget.id

# Basis points as a percentage with up to two decimals: 8000 -> "80%", 8550 -> "85.5%".
basis_points_percent(points) := concat("", [format_int(floor_div(points, 100), 10), "%"]) if {
	points % 100 == 0
} else := concat("", [
	format_int(floor_div(points, 100), 10), ".",
	trim_right(basis_points_fraction(points % 100), "0"), "%",
])

basis_points_fraction(rest) := concat("", ["0", format_int(rest, 10)]) if {
	rest < 10
} else := format_int(rest, 10)

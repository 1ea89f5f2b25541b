package purser.authz

# Model allow/deny lists. Each applicable scope (default, environment, team, virtual key
# in data, plus the virtual key's own allowed_models from input) must allow the model:
# a deny pattern always wins, and an absent or empty allow list allows every model.
# Patterns: "*" (any), "prefix*" or an exact id; a pattern containing "/" is matched
# against "<provider>/<model>".

attribution(name) := object.get(input.request, ["attribution", name], "")

virtual_key_id := input.principal.virtual_key.id

virtual_key_id := attribution("virtual_key") if not input.principal.virtual_key.id

model_rules["default"] := rules if {
	rules := model_rules_config["default"]
}

model_rules[scope] := rules if {
	environment := attribution("environment")
	rules := model_rules_config.environments[environment]
	scope := concat("", ["environment ", environment])
}

model_rules[scope] := rules if {
	team := attribution("team")
	rules := model_rules_config.teams[team]
	scope := concat("", ["team ", team])
}

model_rules[scope] := rules if {
	rules := model_rules_config.virtual_keys[virtual_key_id]
	scope := concat("", ["virtual key ", virtual_key_id])
}

model_rules[scope] := {"allow": input.principal.virtual_key.allowed_models} if {
	scope := concat("", ["virtual key ", input.principal.virtual_key.id, " (key settings)"])
}

model_names(model) := {model, concat("/", [input.request.provider, model])}

pattern_matches(pattern, _) if pattern == "*"

pattern_matches(pattern, name) if pattern == name

pattern_matches(pattern, name) if {
	pattern != "*"
	endswith(pattern, "*")
	startswith(name, trim_suffix(pattern, "*"))
}

matches_any(patterns, model) if {
	some pattern in patterns
	some name in model_names(model)
	pattern_matches(pattern, name)
}

rules_allow(rules, model) if {
	not matches_any(object.get(rules, "deny", []), model)
	allow_list_admits(object.get(rules, "allow", []), model)
}

allow_list_admits(patterns, _) if count(patterns) == 0

allow_list_admits(patterns, model) if matches_any(patterns, model)

# Scopes that refuse the model; empty means the model is allowed.
refusing_scopes(model) := {scope |
	some scope, rules in model_rules
	not rules_allow(rules, model)
}

model_allowed(model) if count(refusing_scopes(model)) == 0

deny_reasons contains reason if {
	scopes := refusing_scopes(input.request.model)
	count(scopes) > 0
	reason := {
		"code": "model_not_allowed",
		"message": concat("", [
			"model ", input.request.model, " is not allowed by ",
			concat(", ", sort(scopes)),
		]),
	}
}

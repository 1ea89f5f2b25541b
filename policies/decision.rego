package purser.authz

# METADATA
# title: decision
# description: The answer to "may this request spend money, on which model, up to how much?"
# entrypoint: true
decision := {
	"allow": action != "deny",
	"action": action,
	"model": decided_model,
	"max_output_tokens": decided_max_output_tokens,
	"reasons": reasons,
	"retry_after_seconds": retry_after_seconds,
}

# Precedence: deny > downgrade > warn > allow.
action := "deny" if {
	count(deny_reasons) > 0
} else := "downgrade" if {
	downgrading
} else := "warn" if {
	count(warn_reasons) > 0
} else := "allow"

# A denied request is answered with what was asked, not with a downgrade or cap that
# will not happen.
decided_model := input.request.model if {
	action == "deny"
} else := effective_model

decided_max_output_tokens := input.request.max_output_tokens if {
	action == "deny"
} else := effective_max_output_tokens

# Most severe first; sorted within a severity so the answer is stable.
reasons := array.concat(sort(deny_reasons), array.concat(applied_downgrade_reasons, applied_warn_reasons))

applied_downgrade_reasons := [] if {
	action == "deny"
} else := sort(downgrade_reasons)

# Only warnings about what will be called survive a deny: a cap that is not applied is noise.
applied_warn_reasons := sort({reason |
	some reason in warn_reasons
	reason.code != "max_output_tokens_capped"
}) if {
	action == "deny"
} else := sort(warn_reasons)

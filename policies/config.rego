# METADATA
# title: Purser authorization policy
# description: |
#   Decides whether a priced LLM request may spend money, on which model and up to how
#   many output tokens. Configuration comes from data.purser.config (policies/data.json);
#   every counter, price and the current time arrive in input, computed by the service.
#   Reason codes are documented in policies/REASONS.md.
package purser.authz

# Settings fall back to permissive defaults so that a bundle built with partial data
# still evaluates instead of making the entrypoint undefined.

default model_rules_config := {}

model_rules_config := data.purser.config.models

default downgrade_chains := []

downgrade_chains := data.purser.config.downgrade_chains

# A cap below this many output tokens is not worth making: deny instead.
default min_capped_output_tokens := 1

min_capped_output_tokens := data.purser.config.min_capped_output_tokens

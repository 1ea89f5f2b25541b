#!/usr/bin/env bash
# Fails on a high or critical advisory in a runtime (production) dependency, as the registry's
# advisory endpoint reports them (`pnpm audit --prod --audit-level high`).
#
# A registry or mirror that serves no advisory endpoint (it answers ERR_PNPM_AUDIT_BAD_RESPONSE,
# e.g. 405) cannot say either way: that is printed as NOT CHECKED and, unless
# PURSER_AUDIT_REQUIRED=1, does not fail the run — an outage of the advisory service must not
# block every change, and the line makes the gap visible in the log.
set -uo pipefail
cd "$(dirname "$0")/.."

output="$(pnpm audit --prod --audit-level high --json 2>&1)"
status=$?
if [ "$status" -eq 0 ]; then
  echo "audit: no high or critical advisory in a runtime dependency"
  exit 0
fi
# Only pnpm's own error code says the endpoint could not answer; an advisory's text may hold
# any word, so the rest of the output is not searched.
if grep -Eq '"code": "(ERR_PNPM_AUDIT_[A-Z_]+|ERR_PNPM_META_FETCH_FAIL|ENOTFOUND|ECONNREFUSED|ETIMEDOUT)"' <<<"$output"; then
  echo "audit: NOT CHECKED — the registry serves no advisories here:"
  sed -n 's/.*"message": "\(.*\)".*/  \1/p' <<<"$output" | head -n 3
  if [ "${PURSER_AUDIT_REQUIRED:-0}" = "1" ]; then exit 1; fi
  exit 0
fi
# Advisories found (or another failure): print what pnpm answered and fail.
printf '%s\n' "$output"
exit 1

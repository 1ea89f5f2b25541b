#!/usr/bin/env bash
# Compiles the Rego under policies/ into the wasm bundle the service loads.
#
#   scripts/policies-build.sh                 build policies/bundle/bundle.tar.gz
#   scripts/policies-build.sh --check         fail when the committed bundle is stale
#   scripts/policies-build.sh --capabilities  regenerate policies/capabilities.json from
#                                             policies/wasm-native-builtins.txt
#
# The bundle revision is a content hash of the sources (policy .rego files without tests,
# data.json, capabilities.json), so the same sources give the same revision. `opa build`
# is deterministic (zeroed timestamps and owners), and the bundle is re-packed just as
# deterministically, so the same sources and the same opa version give a byte-identical
# bundle; --check still compares the unpacked members, so that a difference is reported
# by name and another gzip implementation does not count as stale.
set -euo pipefail

readonly ENTRYPOINT="purser/authz/decision"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The one pin of the opa version (.ci/run installs the same one).
OPA_VERSION="$(sed -n '1s/^v//p' "$root/.opa-version")"
readonly OPA_VERSION
policies="$root/policies"
bundle="$policies/bundle/bundle.tar.gz"
capabilities="$policies/capabilities.json"

export PATH="$HOME/.local/bin:$PATH"

fail() {
  echo "policies-build: $*" >&2
  exit 1
}

require_tools() {
  # grep reads all of tar's output (-q could stop early and end tar with SIGPIPE).
  tar --version 2>/dev/null | grep 'GNU tar' >/dev/null ||
    fail "GNU tar is required to pack a reproducible bundle"
  require_opa
}

require_opa() {
  command -v opa >/dev/null 2>&1 ||
    fail "the opa CLI is not on PATH; install opa v$OPA_VERSION (https://www.openpolicyagent.org/docs#running-opa)"
  local version
  version="$(opa version | sed -n 's/^Version: //p')"
  # The compiled wasm depends on the compiler: a different opa would make --check fail
  # for reasons unrelated to the sources.
  [[ "$version" == "$OPA_VERSION" ]] ||
    fail "opa v$OPA_VERSION is required to build a reproducible bundle, found v$version"
}

# Policy sources that end up in the bundle, in a stable order.
sources() {
  (cd "$policies" && find . -name '*.rego' ! -name '*_test.rego' ! -path './bundle/*' | LC_ALL=C sort) &&
    echo "./data.json" && echo "./capabilities.json"
}

revision() {
  (cd "$policies" && sources | while read -r file; do
    printf '%s %s\n' "$(sha256sum "$file" | cut -d' ' -f1)" "$file"
  done) | sha256sum | cut -c1-16
}

build_to() {
  local output="$1"
  local staging
  staging="$(mktemp -d)"
  # Relative paths: opa stores the .rego members under the path given here, and an
  # absolute one would differ between clones.
  (cd "$root" && opa build \
    --target wasm \
    --entrypoint "$ENTRYPOINT" \
    --capabilities "$capabilities" \
    --revision "$(revision)" \
    --ignore '*_test.rego' \
    --ignore 'capabilities.json' \
    --ignore 'bundle' \
    --output "$staging/opa-bundle.tar.gz" \
    policies/)
  mkdir "$staging/members"
  tar -xzf "$staging/opa-bundle.tar.gz" -C "$staging/members" 2>/dev/null
  # Keep only what the service loads. Without the .rego copies, `opa test policies/` can
  # load the committed tarball (it reads every *.tar.gz under the directory as a bundle)
  # without redeclaring the package. Names keep opa's leading "/", which its bundle
  # reader requires; timestamps, owners and modes are fixed for a reproducible archive.
  (cd "$staging/members" && tar --create --format=gnu --sort=name --mtime=@0 \
    --owner=0 --group=0 --numeric-owner --mode=0644 \
    --absolute-names --transform 's,^,/,' \
    .manifest data.json policy.wasm) | gzip -9 -n >"$output"
  rm -rf "$staging"
}

generate_capabilities() {
  require_opa
  command -v jq >/dev/null 2>&1 || fail "jq is required to generate capabilities.json"
  local native
  native="$(grep -v '^#' "$policies/wasm-native-builtins.txt" | grep -v '^$')"
  opa capabilities --current |
    jq --arg native "$native" \
      '($native | split("\n")) as $names
       | .builtins |= map(select(.name as $n | $names | index($n)))
       | .builtins |= sort_by(.name)' >"$capabilities.tmp"
  mv "$capabilities.tmp" "$capabilities"
  # Keep the generated file in the repository's formatting, so `prettier --check` passes.
  if [[ -x "$root/node_modules/.bin/prettier" ]]; then
    "$root/node_modules/.bin/prettier" --write "$capabilities" >/dev/null
  fi
  echo "policies-build: wrote $(jq '.builtins | length' "$capabilities") builtins to policies/capabilities.json"
}

check() {
  require_tools
  [[ -f "$bundle" ]] || fail "policies/bundle/bundle.tar.gz is missing; run scripts/policies-build.sh"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  build_to "$work/bundle.tar.gz"
  if cmp -s "$work/bundle.tar.gz" "$bundle"; then
    echo "policies-build: bundle is up to date (revision $(revision))"
    return 0
  fi
  mkdir -p "$work/fresh" "$work/committed"
  tar -xzf "$work/bundle.tar.gz" -C "$work/fresh" 2>/dev/null
  tar -xzf "$bundle" -C "$work/committed" 2>/dev/null
  local stale=()
  local member
  for member in .manifest data.json policy.wasm; do
    cmp -s "$work/fresh/$member" "$work/committed/$member" || stale+=("/$member")
  done
  if ((${#stale[@]} == 0)); then
    # Same members, different archive bytes (another gzip, say): not stale.
    echo "policies-build: bundle is up to date (revision $(revision))"
    return 0
  fi
  fail "policies/bundle/bundle.tar.gz is stale (differs in: ${stale[*]}); run scripts/policies-build.sh and commit the bundle"
}

case "${1:-}" in
  "")
    require_tools
    mkdir -p "$(dirname "$bundle")"
    build_to "$bundle"
    echo "policies-build: wrote policies/bundle/bundle.tar.gz (revision $(revision))"
    ;;
  --check) check ;;
  --capabilities) generate_capabilities ;;
  *) fail "unknown option $1 (expected --check or --capabilities)" ;;
esac

#!/usr/bin/env bash
# The release artefacts, each built once, and the tests that check them
# (the tests the test command, scripts/test.sh, leaves out: #[ignore]d there).
# .ci/run runs it after the test command.
#   scripts/dist.sh [TEST ARGS…]
# Into target/dist/:
#   oamc, hot-functions.*   the static binary (scripts/build-static.sh, the
#                           `dist` profile), symbol-ordered
#   wheels/                 the wheel that carries that same binary (maturin)
#   plugin/oamc             the Argo CD plugin's static binary (no `gates`, no
#                           `diff`), and target/oamc-cmp.oci.tar, its image
#                           (scripts/build-image.sh, Debian's buildah)
# then the artefact tests against them, and the pre-commit hook's install
# from source (pre-commit runs `cargo install`).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'dist.sh: %s\n' "$*" >&2; }
. scripts/phases.sh

# The tools scripts/test.sh installs (maturin and pre-commit in its virtual
# environment), and buildah for the image.
venv=target/test-venv
if [ ! -x "$venv/bin/maturin" ] || [ ! -x "$venv/bin/pre-commit" ] || [ ! -x "$venv/bin/wheel" ]; then
  say "installing pre-commit, maturin and wheel into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit maturin wheel
fi
export PATH="$PWD/$venv/bin:$PATH"
if ! command -v buildah >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
  else
    say "buildah is missing; install it with: sudo apt-get install -y buildah"
    exit 1
  fi
  say "installing buildah with apt-get"
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah >/dev/null
fi
phase installs

dist=target/dist
rm -rf "$dist"
mkdir -p "$dist/wheels" "$dist/plugin"
# One target folder for both feature sets: the dependencies they share are
# built once.
export CARGO_TARGET_DIR=target/static
bin="$(OAMC_WHEEL_OUT="$dist/wheels" scripts/build-static.sh)"
cp "$bin" "$(dirname "$bin")/hot-functions.count" "$(dirname "$bin")/hot-functions.order" "$dist/"
phase "static binary and wheel"
plugin="$(scripts/build-static.sh --no-default-features)"
cp "$plugin" "$dist/plugin/oamc"
phase "plugin binary"
unset CARGO_TARGET_DIR
OAMC_PLUGIN_BIN="$dist/plugin/oamc" bash scripts/build-image.sh
phase "plugin image"

# The artefact tests. The pre-commit hook is built by pre-commit's own
# `cargo install` (the release profile) in a folder of its own; at
# opt-level 0 here, which changes nothing the test checks and saves minutes
# (the guide gives the time of a user's optimised first install).
status=0
report=target/nextest/dist/junit.xml
rm -f "$report"
export OAMC_DIST="$PWD/$dist" OAMC_HOOK_TARGET_DIR="$PWD/target/pre-commit"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --profile dist --run-ignored only --no-fail-fast "$@" || status=$?
  phase tests
  if [ -f "$report" ]; then python3 scripts/test-report.py "$report" || status=1; fi
else
  cargo test --locked -- --ignored "$@" || status=$?
  phase tests
fi
say "phases: $(phases)"
exit "$status"

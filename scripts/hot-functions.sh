#!/usr/bin/env bash
# Rewrites scripts/hot-functions.txt: the functions short runs of the static
# build execute, which scripts/build-static.sh links first and together.
# Traced with callgrind (Debian's valgrind): `oamc --version`, and `render`
# and `validate` of every render fixture. Each name is written without its
# hash (the build resolves it), most-used first: code every run executes,
# then code of most runs, so a run's code is as close together as it can be.
# Run it when build-static.sh says the list is stale, or after a change to
# what a short run executes; review the diff like a golden.
set -euo pipefail
cd "$(dirname "$0")/.."
# The list's order is byte order wherever it is written, not the locale's.
export LC_ALL=C
command -v valgrind >/dev/null || { echo "error: needs valgrind (Debian package)" >&2; exit 1; }
symbols="$(CARGO_TARGET_DIR=target/static OAMC_SYMBOLS_ONLY=1 scripts/build-static.sh)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs=0
trace() {
  runs=$((runs + 1))
  valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-instr=no \
    --callgrind-out-file="$work/$runs.out" "$symbols" "$@" >/dev/null 2>"$work/$runs.err" \
    || { cat "$work/$runs.err" >&2; echo "error: oamc $* failed under callgrind" >&2; exit 1; }
  # Each run's functions once (callgrind marks a recursion level with 'N).
  sed -n "s/^fn=//p" "$work/$runs.out" | sed "s/'[0-9]*$//" | sort -u > "$work/$runs.fns"
}
trace --version
for app in fixtures/render/*/application.yaml; do
  trace render "$app"
  trace validate "$app"
done

{
  echo "# The functions short runs of oamc execute, by how many of $runs traced runs"
  echo "# execute them; names without their hash. Written by scripts/hot-functions.sh."
  cat "$work"/*.fns | sed -e 's/\.llvm\.[0-9]*$//' -e 's/17h[0-9a-f]*E$/E/' \
    | grep -v -e '^0x' -e '^(' | sort | uniq -c | sort -k1,1nr -k2,2 | awk '{ print $2 }'
} > scripts/hot-functions.txt
echo "scripts/hot-functions.txt: $(grep -vc '^#' scripts/hot-functions.txt) functions from $runs runs" >&2

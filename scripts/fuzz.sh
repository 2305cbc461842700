#!/usr/bin/env bash
# Run every fuzz target for a bounded time: scripts/fuzz.sh [SECONDS per target, default 60].
# `scripts/fuzz.sh --build` only builds them (.ci/run builds them while the
# release artefacts link on one core).
# The targets (fuzz/, libFuzzer through libfuzzer-sys) are built once, with
# the flags `cargo fuzz build --sanitizer none` passes (cargo-fuzz 0.13,
# src/project.rs, `cargo`), so no fuzzing tool is compiled first; `cargo fuzz
# run --sanitizer none TARGET` does the same where cargo-fuzz is installed.
# Two targets run at a time, one a core: each still gets SECONDS.
# New inputs go to a scratch copy; the committed seed corpus (fuzz/corpus/) is read-only here.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=(parse validate render readback bre)
host="$(rustc -vV | sed -n 's/^host: //p')"
# Coverage instrumentation (SanitizerCoverage) and `cfg(fuzzing)`, release
# with debug assertions and one codegen unit, as cargo-fuzz builds.
# Safe Rust: no sanitizer; it adds build time, not findings; panics are what we hunt.
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
flags+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
case "$host" in *-linux-*) flags+=" -Cllvm-args=-sanitizer-coverage-stack-depth" ;; esac
flags+=" -Cdebug-assertions -Ccodegen-units=1"
RUSTFLAGS="$flags ${RUSTFLAGS:-}" cargo build --quiet --manifest-path fuzz/Cargo.toml \
  --target "$host" --release --config 'profile.release.debug="line-tables-only"' --bins
bins="fuzz/target/$host/release"
if [ "$seconds" = --build ]; then exit 0; fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run() {
  local target=$1
  mkdir -p "$scratch/$target" "fuzz/artifacts/$target"
  local status=0
  "$bins/$target" -artifact_prefix="fuzz/artifacts/$target/" "$scratch/$target" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"$scratch/$target.log" 2>&1 || status=$?
  echo "$status" >"$scratch/$target.status"
}
# Two at a time: start one, and wait for the oldest when two run.
running=()
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s"
  run "$target" &
  running+=("$!")
  if [ "${#running[@]}" -ge 2 ]; then wait "${running[0]}"; running=("${running[@]:1}"); fi
done
wait
failed=0
for target in "${targets[@]}"; do
  log="$scratch/$target.log"
  echo "fuzz: $target"
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|INFO: Running with|==.*ERROR)" "$log" || true
  status="$(cat "$scratch/$target.status")"
  # A crash must fail the run, not pass as "fuzzed nothing".
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "fuzz: $target exited with status $status"; failed=1
  fi
  # A crash leaves an artifact and a non-zero exit above; make it fail the run.
  if compgen -G "fuzz/artifacts/$target/*" >/dev/null; then
    echo "fuzz: $target found a crash: fuzz/artifacts/$target/"; failed=1
  fi
done
exit "$failed"

#!/usr/bin/env bash
# Run every fuzz target for a bounded time: scripts/fuzz.sh [SECONDS per target, default 60].
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# New inputs go to a scratch copy; the committed seed corpus (fuzz/corpus/) is read-only here.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in parse validate render readback bre; do
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds}s"
  # Safe Rust: the sanitizer adds build time, not findings; panics are what we hunt.
  log="$scratch/$target.log"
  status=0
  cargo fuzz run --sanitizer none "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|INFO: Running with|==.*ERROR)" "$log" || true
  # A failed build or a crash must fail the run, not pass as "fuzzed nothing".
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "fuzz: $target exited with status $status"; exit 1
  fi
  # A crash leaves an artifact and a non-zero exit above; make it fail the run.
  if compgen -G "fuzz/artifacts/$target/*" >/dev/null; then
    echo "fuzz: $target found a crash: fuzz/artifacts/$target/"; exit 1
  fi
done

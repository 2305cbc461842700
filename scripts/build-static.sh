#!/usr/bin/env bash
# The Linux release artefact: a fully static, non-PIE oamc (glibc with
# crt-static), with no loader and no shared libraries, so it runs on any Linux of its
# architecture and in an image FROM scratch. Prints the binary's path.
#   scripts/build-static.sh            # host architecture
#   OAMC_TARGET=aarch64-unknown-linux-gnu scripts/build-static.sh
#   scripts/build-static.sh --no-default-features   # the plugin's: no `oamc gates`
set -euo pipefail
cd "$(dirname "$0")/.."
target="${OAMC_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
# Non-PIE as well: no relocations to apply at start, a third of a short run
# (scripts/bench.sh measures it).
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static ${RUSTFLAGS:-}" \
  cargo build --quiet --release --locked --target "$target" "$@"
bin="${CARGO_TARGET_DIR:-target}/$target/release/oamc"
# A dynamic binary names its loader (PT_INTERP) and its libraries (NEEDED).
if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q 'NEEDED'; then
  echo "error: $bin is not static" >&2
  exit 1
fi
echo "$bin"

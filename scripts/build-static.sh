#!/usr/bin/env bash
# The Linux release artefact: a fully static, non-PIE oamc (glibc with
# crt-static), with no loader and no shared libraries, so it runs on any Linux of its
# architecture and in an image FROM scratch, built with the `dist` profile
# (fat LTO, one codegen unit). Prints the binary's path.
#   scripts/build-static.sh            # host architecture
#   OAMC_TARGET=aarch64-unknown-linux-gnu scripts/build-static.sh
#   scripts/build-static.sh --no-default-features   # the plugin's: no `oamc gates`
#   OAMC_WHEEL_OUT=DIR scripts/build-static.sh      # and the wheel that carries it
# With OAMC_WHEEL_OUT, maturin (on PATH) packages this same build into a
# wheel in DIR: it runs cargo with the same profile, flags and link
# arguments, so cargo finds the binary fresh and nothing is built twice.
# Beside it, oamc.symbols: the same build before ordering, with its symbols;
# OAMC_SYMBOLS_ONLY=1 builds only that and prints its path (for
# scripts/hot-functions.sh, which writes the order).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${OAMC_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
# Non-PIE as well: no relocations to apply at start, a third of a short run
# (scripts/bench.sh measures it).
export RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static ${RUSTFLAGS:-}"
out="${CARGO_TARGET_DIR:-target}/$target/dist"
bin="$out/oamc"
build() { cargo rustc --quiet --profile dist --locked --target "$target" --bin oamc "$@"; }

# The code a short run executes (scripts/hot-functions.txt) is linked first
# and together, so a run faults in fewer pages of a 10 MB text: each page
# fault costs microseconds on a VM, and a one-file run takes ~100 of them
# (docs/src/reference/performance.md). lld orders by exact symbol name, and a
# Rust name ends in a hash that changes with features, profile and compiler:
# link once with symbols to learn this build's names, then again in order.
rm -f "$out/hot-functions.order" "$out/hot-functions.count"
build "$@" -- -C strip=none
cp "$bin" "$out/oamc.symbols"
if [ -n "${OAMC_SYMBOLS_ONLY:-}" ]; then echo "$out/oamc.symbols"; exit 0; fi
order_args=()
# Only lld reads a symbol ordering file (rustc links x86_64 Linux with its
# own lld; other targets link with the system's cc and ld).
if readelf -p .comment "$bin" | grep -q 'Linker: LLD'; then
  order="$out/hot-functions.order"
  # readelf, not nm: it reads an ELF file of any architecture.
  readelf -sW "$bin" | awk -v order="$order" '
    NR == FNR { if ($0 !~ /^#/ && NF) { want[++n] = $1 } ; next }
    ($4 == "FUNC" || $4 == "IFUNC") && $7 != "UND" {
      key = $8
      sub(/\.llvm\.[0-9]+$/, "", key)
      sub(/17h[0-9a-f]+E$/, "E", key)
      names[key] = names[key] $8 "\n"
    }
    END {
      for (i = 1; i <= n; i++) if (want[i] in names) { found++; printf "%s", names[want[i]] > order }
      printf "%d %d\n", found, n
    }' scripts/hot-functions.txt - > "$out/hot-functions.count"
  read -r found listed < "$out/hot-functions.count"
  # Most of the list must still name functions of this build; otherwise the
  # code changed enough that the list no longer describes a short run.
  if [ $((found * 4)) -lt $((listed * 3)) ]; then
    echo "error: only $found of the $listed functions in scripts/hot-functions.txt are in this build; regenerate the list with scripts/hot-functions.sh" >&2
    exit 1
  fi
  order_args=(-C "link-arg=-Wl,--symbol-ordering-file=$order" -C link-arg=-Wl,--no-warn-symbol-ordering)
else
  echo "note: $target is not linked with lld; its code is left in the linker's order" >&2
fi
build "$@" -- ${order_args[@]+"${order_args[@]}"}
if [ -n "${OAMC_WHEEL_OUT:-}" ]; then
  # tests/it/wheel.rs checks that the wheel's binary is this one, byte for byte.
  before="$(ls "$OAMC_WHEEL_OUT")"
  maturin build --quiet --profile dist --locked --target "$target" --out "$OAMC_WHEEL_OUT" "$@" \
    -- ${order_args[@]+"${order_args[@]}"} >&2
  # The binary is static (checked below): it runs on any Linux of its
  # architecture, musl's included. maturin tags it manylinux only (it will
  # not mix in musllinux for a gnu target), so pypa's `wheel tags` adds
  # musllinux_1_1, and pip on Alpine takes the same wheel.
  arch="${target%%-*}"
  for whl in "$OAMC_WHEEL_OUT"/oamc_cli-*.whl; do
    if ! grep -qxF "$(basename "$whl")" <<<"$before" && [[ "$whl" != *musllinux* ]]; then
      python3 -m wheel tags --remove --platform-tag "+musllinux_1_1_$arch" "$whl" >&2
    fi
  done
fi

# A dynamic binary names its loader (PT_INTERP) and its libraries (NEEDED).
if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q 'NEEDED'; then
  echo "error: $bin is not static" >&2
  exit 1
fi
echo "$bin"

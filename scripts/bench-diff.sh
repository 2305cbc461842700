#!/usr/bin/env bash
# `oamc diff` on a pull request's scale: 100 Applications, 10 of them changed
# (a gate loosened), base and head as two commits of one git repository.
# Side by side with what it replaces offline: export the base revision,
# render both trees to folders and `diff -r` them.
# Needs hyperfine (Debian package) and git.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/oamc
app=$PWD/fixtures/render/spec-gates/application.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo/apps"
g() { git -C "$repo" -c user.name=bench -c user.email=bench@example.com "$@"; }
g init -q -b main
for i in $(seq -w 0 99); do
  sed -e "s/name: rocket-shop/name: rocket-shop-$i/" -e "s/namespace: shop/namespace: shop-$i/" "$app" > "$repo/apps/app$i.yaml"
done
g add -A && g commit -q -m base
for i in 00 01 02 03 04 05 06 07 08 09; do
  sed -i 's/extraArgs: "160"/extraArgs: "900"/' "$repo/apps/app$i.yaml"
done
g add -A && g commit -q -m head

# The offline alternative: both trees exported, rendered, compared.
cat > "$work/render-both.sh" <<SH
set -e
rm -rf "$work/old" "$work/r1" "$work/r2" && mkdir -p "$work/old"
git -C "$repo" archive main~1 apps | tar -x -C "$work/old"
"$bin" render -q "$work/old/apps" -o "$work/r1"
"$bin" render -q "$repo/apps" -o "$work/r2"
diff -r "$work/r1" "$work/r2" > /dev/null || true
SH

cd "$repo"
status=0; "$bin" diff main~1 main > /dev/null || status=$?
[ "$status" = 2 ] || { echo "oamc diff exited $status, expected 2 (changes)"; exit 1; }
hyperfine -N -i --warmup 3 --runs "${BENCH_RUNS:-20}" \
  -n "oamc diff (100 apps, 10 changed)" "$bin diff main~1 main" \
  -n "oamc diff --format markdown" "$bin diff --format markdown main~1 main" \
  -n "git archive + 2x oamc render -o + diff -r" "bash $work/render-both.sh"

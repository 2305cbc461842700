#!/usr/bin/env bash
# Whole-process figures, side by side, on this machine:
#   one Application (all three gates) vs `cat` of the same file,
#   vs `kubectl kustomize` of a directory holding oamc's own output of it,
#   1,000 Applications in one `oamc render DIR`, and peak RSS for one.
# Needs hyperfine (Debian package) and, for the kustomize row, kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/oamc
# The release artefact (scripts/build-static.sh): linked statically and
# without position independence, no dynamic loader and no relocations to
# apply, which is a third of a short run's start.
static_bin=$(CARGO_TARGET_DIR=target/static scripts/build-static.sh)
app=fixtures/render/spec-gates/application.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/kustomize" "$work/apps"
"$bin" render "$app" -o "$work/rendered"
cp "$work"/rendered/rocket-shop/*.yaml "$work/kustomize/"
(cd "$work/kustomize" && printf 'resources:\n' > kustomization.yaml && for f in *.yaml; do [ "$f" = kustomization.yaml ] || echo "  - $f" >> kustomization.yaml; done)
for i in $(seq -w 0 999); do
  # Distinct namespaces too: two Applications printing the same resource are refused.
  sed -e "s/name: rocket-shop/name: rocket-shop-$i/" -e "s/namespace: shop/namespace: shop-$i/" "$app" > "$work/apps/app$i.yaml"
done

cmds=("cat $app" "$bin --version" "$bin render $app" "$bin validate $app" "$bin render $work/apps"
  "$static_bin --version" "$static_bin render $app" "$static_bin validate $app" "$static_bin render $work/apps")
names=("cat" "oamc --version" "oamc render (1 app)" "oamc validate (1 app)" "oamc render (1000 apps)"
  "static: oamc --version" "static: oamc render (1 app)" "static: oamc validate (1 app)" "static: oamc render (1000 apps)")
if command -v kubectl >/dev/null; then
  cmds+=("kubectl kustomize $work/kustomize")
  names+=("kubectl kustomize (1 app's output)")
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
# hyperfine runs each command's repetitions in one block, so a noisy stretch
# on a shared VM lands on some commands and not others. Several short rounds,
# each command's best median across them, and the spread shown beside it.
rounds=${BENCH_ROUNDS:-3}
for round in $(seq "$rounds"); do
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/round$round.json" "${args[@]}" >/dev/null
done

rss_kib=$(/usr/bin/time -f %M "$bin" render "$app" 2>&1 >/dev/null | tail -1)
static_rss_kib=$(/usr/bin/time -f %M "$static_bin" render "$app" 2>&1 >/dev/null | tail -1)

python3 - "$rss_kib" "$static_rss_kib" "$work"/round*.json <<'PY'
import json, sys
medians = {}
for path in sys.argv[3:]:
    for r in json.load(open(path))["results"]:
        medians.setdefault(r["command"], []).append(r["median"])
results = {name: min(m) for name, m in medians.items()}
ms = lambda s: f"{s * 1000:8.2f} ms"
print(f"best median of {len(sys.argv) - 3} rounds (worst in brackets)")
for name, best in results.items():
    print(f"{name:36} {ms(best)}  ({ms(max(medians[name])).strip()})")
cat = results["cat"]
k = results.get("kubectl kustomize (1 app's output)")
for build, prefix, rss in (("default build", "", sys.argv[1]), ("static build", "static: ", sys.argv[2])):
    one = results[prefix + "oamc render (1 app)"]
    print(f"\n{build}")
    print(f"  oamc render / cat                  {one / cat:6.2f}x   (target <= 2x)")
    print(f"  oamc validate / cat                {results[prefix + 'oamc validate (1 app)'] / cat:6.2f}x")
    if k:
        print(f"  kubectl kustomize / oamc render    {k / one:6.2f}x   (target >= 15x)")
    print(f"  1000 Applications in one call      {results[prefix + 'oamc render (1000 apps)']:6.3f} s   (target < 0.5 s)")
    print(f"  peak RSS, one Application          {int(rss) / 1024:6.1f} MiB (target < 20 MiB)")
PY

#!/usr/bin/env bash
# Whole-process figures, side by side, on this machine, for the default
# build and the release artefact (scripts/build-static.sh):
#   one Application (all three gates): render and validate against `cat` of
#     the same file, and `kubectl kustomize` of a directory holding oamc's own
#     output of it;
#   1,000 Applications (the same, distinct names and namespaces) in one
#     `oamc render DIR`: wall, CPU per Application, peak RSS;
#   where the time goes, phase by phase (`oamc render --timings`), for both.
# Needs hyperfine (Debian package) and, for the kustomize row, kubectl.
#   BENCH_ROUNDS=N  hyperfine rounds (default 3); BENCH_PHASE_RUNS=N  runs of
#   each `--timings` measurement (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/oamc
# The release artefact: linked statically and without position
# independence, no dynamic loader and no relocations to apply, which is a
# third of a short run's start.
static_bin=$(CARGO_TARGET_DIR=target/static scripts/build-static.sh)
app=fixtures/render/spec-gates/application.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Time installed copies, as users run them (`cargo install`, an image layer,
# a download all write the file). The linker's own output file is slower to
# start on this kernel while its pages stay cached as lld wrote them (through
# a shared mapping): byte for byte the same static binary takes ~15 more page
# faults and ~0.2 ms more system time per run (docs/src/reference/performance.md).
cp "$bin" "$work/oamc"
cp "$static_bin" "$work/oamc-static"
bin=$work/oamc
static_bin=$work/oamc-static

mkdir -p "$work/kustomize" "$work/apps"
"$bin" render --quiet "$app" -o "$work/rendered"
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
  # Its warnings (outliers on a shared VM) are kept out of the report; an error is shown.
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/round$round.json" "${args[@]}" \
    >/dev/null 2>"$work/hyperfine.err" || { cat "$work/hyperfine.err" >&2; exit 1; }
done

# Peak RSS and the phases: the two builds alternate run by run (paired).
phase_runs=${BENCH_PHASE_RUNS:-15}
for run in $(seq "$phase_runs"); do
  for build in default static; do
    b=$bin
    [ "$build" = static ] && b=$static_bin
    "$b" render --timings --quiet "$app" 2>>"$work/phases-$build-1" >/dev/null
    /usr/bin/time -f "rss %M" -a -o "$work/phases-$build-1000" \
      "$b" render --timings --quiet "$work/apps" 2>>"$work/phases-$build-1000" >/dev/null
    /usr/bin/time -f "rss %M" -a -o "$work/phases-$build-1" "$b" render --quiet "$app" >/dev/null
  done
done

python3 - "$work" "$phase_runs" <<'PY'
import json, statistics, sys, glob
work, phase_runs = sys.argv[1], sys.argv[2]
medians, cpu = {}, {}
rounds = sorted(glob.glob(f"{work}/round*.json"))
for path in rounds:
    for r in json.load(open(path))["results"]:
        medians.setdefault(r["command"], []).append(r["median"])
        cpu.setdefault(r["command"], []).append(r["user"] + r["system"])
results = {name: min(m) for name, m in medians.items()}
ms = lambda s: f"{s * 1000:8.2f} ms"
print(f"best median of {len(rounds)} rounds (worst in brackets)")
for name, best in results.items():
    print(f"{name:36} {ms(best)}  ({ms(max(medians[name])).strip()})")
cat = results["cat"]
k = results.get("kubectl kustomize (1 app's output)")

def phases(path):
    """Median of each `timing` line and of peak RSS over the runs in `path`."""
    seen = {}
    for line in open(path):
        words = line.split()
        if words[:1] == ["timing"]:
            seen.setdefault(words[1], []).append(float(words[2]))
        elif words[:1] == ["rss"]:
            seen.setdefault("rss", []).append(int(words[1]) / 1024)
    return {name: statistics.median(values) for name, values in seen.items()}

for build, prefix in (("default build", ""), ("static build", "static: ")):
    one = results[prefix + "oamc render (1 app)"]
    many = results[prefix + "oamc render (1000 apps)"]
    many_cpu = min(cpu[prefix + "oamc render (1000 apps)"])
    tag = "default" if prefix == "" else "static"
    p1, p1000 = phases(f"{work}/phases-{tag}-1"), phases(f"{work}/phases-{tag}-1000")
    print(f"\n{build}")
    print(f"  oamc render / cat                  {one / cat:6.2f}x   (target <= 2x)")
    print(f"  oamc validate / cat                {results[prefix + 'oamc validate (1 app)'] / cat:6.2f}x   (target <= 1.2x)")
    if k:
        print(f"  kubectl kustomize / oamc render    {k / one:6.2f}x   (target >= 15x)")
    print(f"  1000 Applications in one call      {many:6.3f} s   (target <= 0.25 s)")
    print(f"  CPU per Application, of the 1000   {many_cpu * 1000 / 1000:6.3f} ms  (target <= 0.3 ms)")
    print(f"  peak RSS, 1000 Applications        {p1000['rss']:6.1f} MiB (target <= 49 MiB)")
    print(f"  peak RSS, one Application          {p1['rss']:6.1f} MiB (target < 20 MiB)")
    print(f"  phases, ms (median of {phase_runs} runs; each phase summed over threads)")
    print(f"    {'':12} {'1 app':>9} {'1000 apps':>10}")
    for name in ("load", "check", "plan", "render", "verify", "emit", "write", "wall"):
        print(f"    {name:12} {p1[name]:9.3f} {p1000[name]:10.1f}")
PY

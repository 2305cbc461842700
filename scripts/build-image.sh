#!/usr/bin/env bash
# The Argo CD plugin sidecar image, built and checked without a registry or a
# daemon: Debian's buildah puts the static oamc (scripts/build-static.sh) and
# cmp/plugin.yaml in an image FROM scratch, checks its configuration and
# files, runs `oamc cmp generate` inside it against a mounted repository when
# a container runtime is present, and writes an OCI archive.
#   scripts/build-image.sh [OUT.tar]      (default target/oamc-cmp.oci.tar)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/oamc-cmp.oci.tar}"
# vfs: no overlay filesystem needed (CI machines, containers).
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
fail() { echo "error: $*" >&2; exit 1; }
command -v buildah >/dev/null 2>&1 ||
  fail "buildah is not installed: apt-get install buildah (Debian, Ubuntu) or dnf install buildah (Fedora); scripts/dist.sh installs it when missing"

# The plugin's static binary: OAMC_PLUGIN_BIN names one already built
# (scripts/dist.sh builds it once); otherwise it is built here. Without the
# default features: the plugin sends no request (no HTTP client, no TLS).
bin="${OAMC_PLUGIN_BIN:-$(CARGO_TARGET_DIR=target/static scripts/build-static.sh --no-default-features)}"
bin="$(realpath "$bin")"
if "$bin" gates --help >/dev/null 2>&1; then fail "the plugin's oamc has the gates command"; fi
version="$("$bin" --version | head -n 1)"
image="localhost/oamc-cmp:check"

ctr="$(buildah from scratch)"
cleanup() { buildah rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
buildah copy --quiet --chmod 0755 "$ctr" "$bin" /usr/local/bin/oamc
buildah copy --quiet --chmod 0644 "$ctr" cmp/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
# Argo CD runs plugin sidecars as the argocd user (999); the repo-server mounts
# its cmp-server binary and the source; oamc needs nothing else.
buildah config \
  --user 999:999 \
  --workingdir /home/argocd \
  --env PATH=/usr/local/bin \
  --label org.opencontainers.image.title=oamc-cmp \
  --label "org.opencontainers.image.version=$version" \
  "$ctr"
buildah commit --quiet "$ctr" "$image" >/dev/null

# The configuration Argo CD relies on.
config="$(buildah inspect --type image --format '{{.OCIv1.Config.User}}|{{.OCIv1.Config.WorkingDir}}|{{.OCIv1.Config.Env}}' "$image")"
[ "$config" = "999:999|/home/argocd|[PATH=/usr/local/bin]" ] || fail "image config is $config"

# The files, read from the image's own filesystem.
mnt="$(buildah mount "$ctr")"
[ -x "$mnt/usr/local/bin/oamc" ] || fail "no executable /usr/local/bin/oamc"
cmp -s cmp/plugin.yaml "$mnt/home/argocd/cmp-server/config/plugin.yaml" || fail "plugin.yaml differs"
[ ! -e "$mnt/bin/sh" ] || fail "the image has a shell"
if readelf -lW "$mnt/usr/local/bin/oamc" | grep -q INTERP; then fail "oamc in the image is not static"; fi
# plugin.yaml's commands must run without a shell: each is `oamc …`.
python3 - "$mnt/home/argocd/cmp-server/config/plugin.yaml" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))["spec"]
commands = [spec["generate"]["command"], spec["discover"]["find"]["command"]]
commands += [spec[k]["command"] for k in ("init",) if k in spec]
for c in commands:
    if c[0] != "oamc":
        sys.exit(f"plugin.yaml runs {c!r}: the image has only oamc")
PY
buildah umount "$ctr" >/dev/null

# Run the plugin inside the image against a repository, as the sidecar would
# (chroot isolation: no container runtime or cgroups needed).
if [ "${OAMC_IMAGE_RUN:-1}" = 1 ]; then
  repo="$(mktemp -d)"
  cp fixtures/render/spec-gates/application.yaml "$repo/"
  chmod -R a+rX "$repo"
  got="$(buildah run --isolation chroot --user 999:999 --workingdir /src --volume "$repo:/src:ro" \
    --env ARGOCD_APP_NAME=shop --env ARGOCD_APP_NAMESPACE=shop \
    "$ctr" -- oamc cmp generate)"
  want="$(cd "$repo" && ARGOCD_APP_NAME=shop ARGOCD_APP_NAMESPACE=shop "$bin" cmp generate)"
  rm -rf "$repo"
  [ "$got" = "$want" ] || fail "oamc cmp generate inside the image printed something else"
  [ -n "$got" ] || fail "oamc cmp generate inside the image printed nothing"
  echo "ran: oamc cmp generate inside the image ($(printf '%s\n' "$got" | grep -c '^kind:') resources)"
else
  echo "not run: OAMC_IMAGE_RUN=0"
fi

mkdir -p "$(dirname "$out")"
rm -f "$out"
buildah push --quiet "$image" "oci-archive:$out"
buildah rmi "$image" >/dev/null
echo "image: $out ($(du -h "$out" | cut -f1)), $version, user 999, FROM scratch"

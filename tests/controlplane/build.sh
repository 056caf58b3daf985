#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager,
# kubectl, etcd, helm) from upstream Go modules and caches the binaries under
# the user's cache directory, keyed by version. A warm cache returns at once.
#
# Prints the binary directory on its last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "controlplane/build: $*" >&2; }

stamp="$CONTROLPLANE_BIN/.complete"
if [[ -f "$stamp" ]]; then
    echo "$CONTROLPLANE_BIN"
    exit 0
fi

command -v go >/dev/null || { log "go is required"; exit 1; }

export GOTOOLCHAIN=local
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
export GOMODCACHE="$CACHE_ROOT/go/mod"
export GOCACHE="$CACHE_ROOT/go/build"
mkdir -p "$GOMODCACHE" "$GOCACHE" "$(dirname "$CONTROLPLANE_BIN")"

work="$(mktemp -d "$CACHE_ROOT/controlplane/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$work/bin"
mkdir -p "$out"
start=$SECONDS

# --- Kubernetes -------------------------------------------------------------
# k8s.io/kubernetes replaces its staging modules with local paths, which
# `go install pkg@version` refuses. A wrapper module requires it and points
# every staging module at its published version instead.
log "downloading k8s.io/kubernetes@$K8S_VERSION"
k8s_mod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$k8s_mod" ]] || { log "no go.mod for k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
staging_version="v0.${K8S_VERSION#v1.}"

mkdir -p "$work/k8s"
{
    echo "module pawang.dev/controlplane/kubernetes"
    echo
    grep -E '^go [0-9]' "$k8s_mod"
    grep -E '^godebug ' "$k8s_mod" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's|^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*$|\t\1 => \1 '"$staging_version"'|p' "$k8s_mod"
    echo ")"
} >"$work/k8s/go.mod"
log "wrapper module replaces $(grep -c '=> k8s.io' "$work/k8s/go.mod") staging modules with $staging_version"

major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION"
    k8s_ldflags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION"
(cd "$work/k8s" && go build -trimpath -ldflags "$k8s_ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)

# --- etcd -------------------------------------------------------------------
log "building etcd $ETCD_VERSION"
mkdir -p "$work/etcd"
cat >"$work/etcd/go.mod" <<EOF
module pawang.dev/controlplane/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
(cd "$work/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)

# --- Helm -------------------------------------------------------------------
log "building helm $HELM_VERSION"
mkdir -p "$work/helm"
cat >"$work/helm/go.mod" <<EOF
module pawang.dev/controlplane/helm

go 1.26.0

require helm.sh/helm/v3 $HELM_VERSION
EOF
(cd "$work/helm" && go build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    -o "$out/helm" helm.sh/helm/v3/cmd/helm)

# Publish all binaries at once so a half-built set is never used.
rm -rf "$CONTROLPLANE_BIN"
mv "$out" "$CONTROLPLANE_BIN"
touch "$CONTROLPLANE_BIN/.complete"
log "built in $((SECONDS - start)) s into $CONTROLPLANE_BIN"
echo "$CONTROLPLANE_BIN"

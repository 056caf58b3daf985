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

# shellcheck source=go.sh
. "$here/go.sh"
go_env
mkdir -p "$(dirname "$CONTROLPLANE_BIN")"

work="$(mktemp -d "$CACHE_ROOT/controlplane/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$work/bin"
mkdir -p "$out"
start=$SECONDS

# --- Kubernetes -------------------------------------------------------------
k8s_wrapper_module "$work/k8s"
log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION"
(cd "$work/k8s" && go build -trimpath -ldflags "$(k8s_ldflags)" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)

# --- etcd -------------------------------------------------------------------
log "building etcd $ETCD_VERSION"
wrapper_module "$work/etcd" controlplane/etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
(cd "$work/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)

# --- Helm -------------------------------------------------------------------
log "building helm $HELM_VERSION"
wrapper_module "$work/helm" controlplane/helm helm.sh/helm/v3 "$HELM_VERSION"
(cd "$work/helm" && go build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    -o "$out/helm" helm.sh/helm/v3/cmd/helm)

# Publish all binaries at once so a half-built set is never used.
rm -rf "$CONTROLPLANE_BIN"
mv "$out" "$CONTROLPLANE_BIN"
touch "$CONTROLPLANE_BIN/.complete"
log "built in $((SECONDS - start)) s into $CONTROLPLANE_BIN"
echo "$CONTROLPLANE_BIN"

# Versions of the local control plane, sourced by build.sh and cluster.sh.
# Changing a version changes the cache key, so the next run rebuilds it.

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
HELM_VERSION=v3.22.0

CACHE_ROOT="${PAWANG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pawang}"
CONTROLPLANE_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
CONTROLPLANE_BIN="${CACHE_ROOT}/controlplane/${CONTROLPLANE_KEY}/bin"

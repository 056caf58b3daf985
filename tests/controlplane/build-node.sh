#!/usr/bin/env bash
# Builds the local cluster's node and caches it under the user's cache
# directory, keyed by version (NODE_KEY in versions.sh): kubelet,
# kube-scheduler and kube-proxy, containerd with ctr and its runc shim, the
# CNI plugins, CoreDNS, the local-path volume provisioner, kube-router (for
# its NetworkPolicy controller alone), and the images
# the node runs besides Pawang's own (pause, CoreDNS, and busybox for the
# provisioner's helper pods), each an OCI archive built without a container
# engine. runc, nftables, conntrack, iptables and ipset come from the system's packages
# (prerequisites.sh). A warm cache returns at once.
#
# Prints the node directory on its last line of stdout: bin/, cni/,
# images/*.oci.tar and images.env (the images' names).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "node/build: $*" >&2; }

if [[ -f "$NODE_DIR/.complete" ]]; then
    echo "$NODE_DIR"
    exit 0
fi

"$here/prerequisites.sh"
# shellcheck source=go.sh
. "$here/go.sh"
go_env
mkdir -p "$(dirname "$NODE_DIR")"

work="$(mktemp -d "$(dirname "$NODE_DIR")/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$work/node"
mkdir -p "$out/bin" "$out/cni" "$out/images"
start=$SECONDS

# --- Kubernetes: the node's own parts ----------------------------------------
k8s_wrapper_module "$work/k8s"
log "building kubelet, kube-scheduler, kube-proxy $K8S_VERSION"
(cd "$work/k8s" && go build -trimpath -ldflags "$(k8s_ldflags)" -o "$out/bin/" \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kube-proxy)

# --- containerd ---------------------------------------------------------------
log "building containerd $CONTAINERD_VERSION"
wrapper_module "$work/containerd" node/containerd github.com/containerd/containerd/v2 "$CONTAINERD_VERSION"
(cd "$work/containerd" && go build -trimpath -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    -o "$out/bin/" \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/ctr \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2)

# --- CNI plugins --------------------------------------------------------------
log "building CNI plugins $CNI_PLUGINS_VERSION"
wrapper_module "$work/cni" node/cni github.com/containernetworking/plugins "$CNI_PLUGINS_VERSION"
(cd "$work/cni" && go build -trimpath -ldflags "-s -w" -o "$out/cni/" \
    github.com/containernetworking/plugins/plugins/main/bridge \
    github.com/containernetworking/plugins/plugins/main/loopback \
    github.com/containernetworking/plugins/plugins/ipam/host-local \
    github.com/containernetworking/plugins/plugins/meta/portmap)

# --- CoreDNS, with the plugins a cluster's DNS needs ---------------------------
# The module's own main links every plugin (cloud DNS providers included);
# a main of our own links only these, as CoreDNS documents for custom builds.
log "building CoreDNS $COREDNS_VERSION"
wrapper_module "$work/coredns" node/coredns github.com/coredns/coredns "$COREDNS_VERSION"
cat >"$work/coredns/main.go" <<'EOF'
// CoreDNS with the plugins of a cluster's DNS and nothing else.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
EOF
(cd "$work/coredns" && go build -trimpath -ldflags "-s -w" -o "$work/coredns-bin" .)

# --- local-path provisioner -----------------------------------------------------
log "building local-path-provisioner $LOCAL_PATH_VERSION"
wrapper_module "$work/local-path" node/local-path github.com/rancher/local-path-provisioner "$LOCAL_PATH_VERSION"
(cd "$work/local-path" && go build -trimpath -ldflags "-s -w" -o "$out/bin/local-path-provisioner" \
    github.com/rancher/local-path-provisioner)

log "building kube-router $KUBE_ROUTER_VERSION (its NetworkPolicy controller is the node's enforcer)"
wrapper_module "$work/kube-router" node/kube-router github.com/cloudnativelabs/kube-router/v2 "$KUBE_ROUTER_VERSION"
(cd "$work/kube-router" && go build -trimpath -ldflags "-s -w" -o "$out/bin/kube-router" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)

# --- images ---------------------------------------------------------------------
oci="$here/../../image/oci-archive.sh"
pause_image="localhost/pawang-pause:r$NODE_REVISION"
coredns_image="localhost/coredns:$COREDNS_VERSION"

log "building the pause image"
mkdir -p "$work/pause"
musl-gcc -static -Os -Wall -Werror -o "$work/pause/pause" "$here/node/pause.c"
strip "$work/pause/pause"
"$oci" --name "$pause_image" --user 65535:65535 --entrypoint /pause "$work/pause" "$out/images/pause.oci.tar"

log "building the CoreDNS image"
mkdir -p "$work/coredns-root"
install -m 0755 "$work/coredns-bin" "$work/coredns-root/coredns"
"$oci" --name "$coredns_image" --user 65532:65532 --entrypoint /coredns "$work/coredns-root" "$out/images/coredns.oci.tar"

# busybox for the provisioner's helper pods (mkdir and rm of volume
# folders): the static build from the system's package archive, unpacked
# here rather than installed.
log "building the busybox image"
(cd "$work" && apt-get download -q busybox-static >&2 2>/dev/null) ||
    { apt-get update -q >&2 && (cd "$work" && apt-get download -q busybox-static >&2); }
deb="$(ls "$work"/busybox-static_*.deb)"
busybox_version="$(dpkg-deb -f "$deb" Version | sed 's/^[0-9]*://; s/[^A-Za-z0-9_.-]/-/g')"
busybox_image="localhost/busybox:$busybox_version"
dpkg-deb -x "$deb" "$work/busybox-deb"
mkdir -p "$work/busybox-root/bin"
install -m 0755 "$work/busybox-deb/bin/busybox" "$work/busybox-root/bin/busybox"
for tool in sh mkdir rm chmod ls cat; do
    ln -s busybox "$work/busybox-root/bin/$tool"
done
"$oci" --name "$busybox_image" --env PATH=/bin --cmd sh "$work/busybox-root" "$out/images/busybox.oci.tar"

cat >"$out/images.env" <<EOF
PAUSE_IMAGE=$pause_image
COREDNS_IMAGE=$coredns_image
BUSYBOX_IMAGE=$busybox_image
EOF

# Publish at once so a half-built node is never used.
rm -rf "$NODE_DIR"
mv "$out" "$NODE_DIR"
touch "$NODE_DIR/.complete"
log "built in $((SECONDS - start)) s into $NODE_DIR"
echo "$NODE_DIR"

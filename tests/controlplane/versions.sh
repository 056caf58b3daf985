# Versions of the local cluster, sourced by the build and start scripts.
# Changing a version changes its cache key, so the next run rebuilds it.

# The control plane (build.sh).
K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
HELM_VERSION=v3.22.0

# The node (build-node.sh): the same Kubernetes for kubelet, scheduler and
# kube-proxy; runc comes from the system's packages.
CONTAINERD_VERSION=v2.4.2
CNI_PLUGINS_VERSION=v1.10.0
COREDNS_VERSION=v1.15.0
LOCAL_PATH_VERSION=v0.0.30
# The NetworkPolicy enforcer: kube-router's firewall alone (iptables and
# ipsets), which runs on this kernel; the nftables-queue enforcers need
# nft_queue, which it lacks.
KUBE_ROUTER_VERSION=v2.1.0
# Bump when the node's own sources (node/) change what is built.
NODE_REVISION=3

CACHE_ROOT="${PAWANG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pawang}"
CONTROLPLANE_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
CONTROLPLANE_BIN="${CACHE_ROOT}/controlplane/${CONTROLPLANE_KEY}/bin"
NODE_KEY="k8s-${K8S_VERSION}_containerd-${CONTAINERD_VERSION}_cni-${CNI_PLUGINS_VERSION}_coredns-${COREDNS_VERSION}_local-path-${LOCAL_PATH_VERSION}_kube-router-${KUBE_ROUTER_VERSION}_r${NODE_REVISION}"
NODE_DIR="${CACHE_ROOT}/node/${NODE_KEY}"

# The sandbox's network (sandbox.sh, cluster.sh --node): the node's bridge
# and pod range, the Service range, and the cluster DNS Service's address.
NODE_IP=10.88.0.1
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.0.0.0/24
CLUSTER_DNS_IP=10.0.0.10
CLUSTER_DOMAIN=cluster.local

# Monitoring (build-monitoring.sh): the Prometheus server and promtool, from
# Prometheus's Go module (its v0.3xx.y versions are releases v3.xx.y).
PROMETHEUS_VERSION=v0.316.0
MONITORING_BIN="${CACHE_ROOT}/monitoring/prometheus-${PROMETHEUS_VERSION}/bin"

#!/usr/bin/env bash
# Starts a local Kubernetes cluster: etcd, kube-apiserver (RBAC, Pod
# Security and NodeRestriction admission on) and kube-controller-manager,
# with certificates made by openssl and free ports. With --node, also a node
# whose pods really run: containerd and runc, the kubelet, kube-proxy
# (nftables), kube-router's firewall enforcing NetworkPolicy (on request),
# kube-scheduler, CoreDNS behind the kube-dns Service, and the local-path
# volume provisioner (the default storage class). Without it pods are
# created but never run.
#
#   cluster.sh [--foreground] [--node] [--image FILE]... [--crd FILE]... DIR
#
# --node needs a sandbox of its own (run the caller through sandbox.sh): the
# node's bridge, pod network and Services exist only in the sandbox's
# network namespace, and its mounts only in its mount namespace. --image
# imports an OCI archive (image/build.sh) into the node's containerd.
#
# State (certificates, etcd data, logs, kubeconfigs, the node's data and
# volumes) lives in DIR, which must not exist yet. DIR/kubeconfig is the
# admin's; DIR/operator.kubeconfig is a second cluster admin named
# pawang-operator, so that the API server's audit log (DIR/logs/audit.log,
# every request at Metadata level) tells the operator's requests from the
# tests' own. When the cluster is up the script prints
#   ready <kubeconfig path>
# on stdout and then waits:
#   - by default until its standard input reaches end of file, so a test
#     process that holds the other end of a pipe takes the cluster with it
#     when it exits, however it exits. Meanwhile it takes commands there,
#     one a line, and answers each on stdout once done:
#       stop             kills (SIGKILL) the API server and etcd  -> stopped
#       start            starts them again, same ports and data   -> started
#       stop-containerd  kills (SIGKILL) containerd alone; shims and
#                        containers keep running        -> containerd-stopped
#       start-containerd starts it again, same data     -> containerd-started
#       stop-node        the node as in a power cut: kubelet, kube-proxy,
#                        containerd, every container killed, runtime state
#                        gone as after a reboot, data kept  -> node-stopped
#       start-node       starts the node again on its data  -> node-started
#       enforce-network-policies
#                        starts kube-router's firewall, and again with the
#                        node from then on   -> network-policies-enforced
#       tag-image SOURCE TARGET
#                        names an image of the node's anew  -> image-tagged
#   - with --foreground, until SIGINT or SIGTERM.
# Either way every process is stopped, every mount and cgroup removed and
# DIR deleted (set PAWANG_KEEP_CLUSTER=1 to keep DIR for a post-mortem).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

foreground=false
node=false
crds=()
images=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --foreground) foreground=true; shift ;;
        --node) node=true; shift ;;
        --crd) crds+=("$2"); shift 2 ;;
        --image) images+=("$(realpath "$2")"); shift 2 ;;
        -h|--help) sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown flag $1" ;;
        *) break ;;
    esac
done
[[ $# -eq 1 ]] || die "usage: cluster.sh [--foreground] [--node] [--image FILE]... [--crd FILE]... DIR"
dir="$1"
[[ -e "$dir" ]] && die "$dir exists already"

if $node; then
    [[ -n "${PAWANG_SANDBOX:-}" && "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]] ||
        die "--node needs a sandbox of its own: run through $here/sandbox.sh"
    ip link show cni0 >/dev/null 2>&1 && die "this sandbox has a node already"
    [[ -f /sys/fs/cgroup/cgroup.controllers ]] &&
        die "this host has only cgroup v2; the node here is made for cgroup v1 (or hybrid) hosts"
    for image in "${images[@]}"; do
        [[ -f "$image" ]] || die "no image archive at $image (make image-dev builds the tests' one)"
    done
fi

bin="$("$here/build.sh")"
export PATH="$bin:$PATH"
if $node; then
    node_dir="$("$here/build-node.sh")"
    # shellcheck source=/dev/null
    . "$node_dir/images.env"
    export PATH="$node_dir/bin:$PATH:/usr/sbin:/sbin"
fi

mkdir -p "$dir"/{pki,etcd,logs,cm}
dir="$(cd "$dir" && pwd)"


# The node's paths and the helpers that stop it; used only with --node.
node_state="$dir/node"
containerd_root="$node_state/containerd"
containerd_state="$node_state/containerd-state"
containerd_socket="$node_state/containerd.sock"
volumes="$node_state/volumes"
cgroup_root="/${PAWANG_SANDBOX:-}"

# The node's shims (containers' parents), whichever process started them.
shims() {
    local proc
    for proc in /proc/[0-9]*; do
        [[ "$(readlink "$proc/exe" 2>/dev/null)" == "$node_dir/bin/containerd-shim-runc-v2" ]] &&
            echo "${proc#/proc/}"
    done
}

# Processes in the pods' cgroups.
container_pids() {
    local hierarchy
    for hierarchy in /sys/fs/cgroup/*/; do
        [[ -d "$hierarchy${cgroup_root#/}" ]] || continue
        find "$hierarchy${cgroup_root#/}" -name cgroup.procs -exec cat {} + 2>/dev/null || true
    done | sort -u
}

# Unmounts every mount at or below a path, deepest first.
unmount_under() {
    local target
    findmnt -rn -o TARGET | { grep -E "^$1(/|$)" || true; } | sort -r |
        while read -r target; do umount -l "$target" 2>/dev/null || true; done
}

# Kills the kubelet, kube-proxy and containerd, then every shim and
# container; with --kill, all by SIGKILL at once.
stop_node_processes() {
    local how=()
    [[ "${1:-}" == --kill ]] && how=(--kill)
    halt "${how[@]}" kubelet
    halt "${how[@]}" kube-proxy
    halt "${how[@]}" kube-router
    halt "${how[@]}" containerd
    local round pids
    for round in 1 2 3 4 5; do
        pids="$(shims; container_pids)"
        [[ -n "$pids" ]] || break
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        sleep 0.2
    done
}

# What a reboot takes with it: runtime state, pods' network namespaces
# and volume mounts, kube-proxy's rules. Data stays.
remove_node_state() {
    unmount_under "$containerd_state"
    unmount_under /var/lib/kubelet/pods
    rm -rf "$containerd_state"
    nft delete table ip kube-proxy 2>/dev/null || true
    nft delete table ip6 kube-proxy 2>/dev/null || true
    # kube-router's rules and sets (the sandbox's filter table is the
    # node's alone).
    iptables -F 2>/dev/null || true
    iptables -X 2>/dev/null || true
    ipset destroy 2>/dev/null || true
}

remove_cgroups() {
    local hierarchy
    for hierarchy in /sys/fs/cgroup/*/; do
        [[ -d "$hierarchy${cgroup_root#/}" ]] || continue
        find "$hierarchy${cgroup_root#/}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

# Running processes by name, and the order they started in.
declare -A pid=()
started=()

# Starts a named process in the background, its output in its log.
spawn() {
    local name="$1"
    shift
    "$@" </dev/null >>"$dir/logs/$name.log" 2>&1 &
    pid[$name]=$!
    # Out of the job table: a process killed on purpose is not reported.
    disown "$!"
    local seen
    for seen in "${started[@]}"; do [[ "$seen" == "$name" ]] && return; done
    started+=("$name")
}

# Stops a named process: SIGTERM, then SIGKILL after 5 s; or SIGKILL at
# once with --kill.
halt() {
    local signal=TERM
    [[ "$1" == --kill ]] && { signal=KILL; shift; }
    local name="$1" p deadline
    p="${pid[$name]:-}"
    [[ -n "$p" ]] || return 0
    unset "pid[$name]"
    kill -"$signal" "$p" 2>/dev/null || return 0
    deadline=$((SECONDS + 5))
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do
        # Polling a process just signalled; there is nothing else to wait on.
        sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
}

cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    if $node; then
        stop_node_processes --kill
        halt local-path-provisioner
        halt kube-scheduler
        remove_node_state
    fi
    # Last started, first stopped: the API server shuts down quickly while
    # etcd is still there to answer it.
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        halt "${started[i]}"
    done
    if $node; then
        unmount_under "$dir"
        # The sandbox's node paths are this node's alone: leave them empty
        # for the next cluster in the same sandbox.
        unmount_under /var/lib/kubelet
        find /var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni \
            -mindepth 1 -delete 2>/dev/null || true
        remove_cgroups
        ip link del cni0 2>/dev/null || true
    fi
    if [[ "${PAWANG_KEEP_CLUSTER:-0}" == 1 ]]; then
        log "kept $dir"
    else
        rm -rf "$dir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
    for f in "$dir"/logs/*.log; do
        [[ "$f" == */audit.log ]] && continue
        log "--- last lines of $(basename "$f")"
        tail -n 30 "$f" >&2 || true
    done
}

# A port below the kernel's ephemeral range that nothing listens on, into
# the variable named by $1.
taken_ports=" "
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 12000))
        [[ "$taken_ports" == *" $port "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            taken_ports+="$port "
            printf -v "$1" '%s' "$port"
            return
        fi
    done
    die "no free port found"
}

# Waits until a command succeeds, or fails after a deadline in seconds.
wait_for() {
    local what="$1" seconds="$2" name
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            show_logs
            die "$what not ready after ${seconds}s"
        fi
        for name in "${!pid[@]}"; do
            kill -0 "${pid[$name]}" 2>/dev/null || { show_logs; die "$what: $name exited"; }
        done
        sleep 0.2
    done
}

# --- network (node only) ------------------------------------------------------
# The node's address is its bridge's, which pods use as their gateway. No
# default route: nothing can leave the sandbox. The Service range is routed
# to the bridge so that the node's own processes reach ClusterIPs through
# kube-proxy too.
if $node; then
    ip link add cni0 type bridge
    ip addr add "$NODE_IP/${POD_CIDR#*/}" dev cni0
    ip link set cni0 up
    ip route add "$SERVICE_CIDR" dev cni0 src "$NODE_IP"
    sysctl -q -w net.ipv4.ip_forward=1 \
        net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
fi

# --- certificates -------------------------------------------------------------
pki="$dir/pki"
ossl() { openssl "$@" 2>>"$dir/logs/openssl.log"; }
new_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

new_key "$pki/ca.key"
ossl req -x509 -new -key "$pki/ca.key" -out "$pki/ca.crt" -days 7 \
    -subj "/CN=pawang-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"

# Signs a leaf certificate: name, subject, extensions.
sign() {
    local name="$1" subject="$2" ext="$3"
    new_key "$pki/$name.key"
    ossl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr"
    printf '%b' "$ext" >"$pki/$name.ext"
    ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
        -CAcreateserial -days 7 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
    rm -f "$pki/$name.csr" "$pki/$name.ext"
}
leaf="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
client="${leaf}extendedKeyUsage=clientAuth\n"
sign apiserver "/CN=kube-apiserver" "${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:${SERVICE_CIDR%.*}.1,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN\n"
sign admin "/O=system:masters/CN=pawang-admin" "$client"
sign operator "/O=system:masters/CN=pawang-operator" "$client"
new_key "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
if $node; then
    node_name=pawang-node
    sign kubelet-client "/O=system:nodes/CN=system:node:$node_name" "$client"
    sign kubelet-serving "/O=system:nodes/CN=system:node:$node_name" "${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:$NODE_IP,IP:127.0.0.1,DNS:$node_name\n"
    sign apiserver-kubelet "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
    sign scheduler "/CN=system:kube-scheduler" "$client"
    sign proxy "/CN=system:kube-proxy" "$client"
fi

# --- etcd ---------------------------------------------------------------------
free_port etcd_port
free_port peer_port
start_etcd() {
    spawn etcd etcd --name pawang --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "pawang=http://127.0.0.1:$peer_port" \
        --unsafe-no-fsync --log-level warn
    wait_for etcd 60 curl -sf "http://127.0.0.1:$etcd_port/health"
}
start_etcd

# --- kube-apiserver -----------------------------------------------------------
if $node; then
    # The usual port, as NetworkPolicies expect it: pods reach the API
    # server there after the kubernetes Service's translation. The
    # sandbox's network is the node's own, so it is free.
    api_port=6443
else
    free_port api_port
fi
cat >"$dir/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
EOF
apiserver_flags=(
    --secure-port "$api_port"
    --etcd-servers "http://127.0.0.1:$etcd_port"
    --cert-dir "$pki"
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key"
    --client-ca-file "$pki/ca.crt"
    --authorization-mode Node,RBAC
    --service-cluster-ip-range "$SERVICE_CIDR"
    --service-account-issuer https://kubernetes.default.svc
    --service-account-key-file "$pki/sa.pub"
    --service-account-signing-key-file "$pki/sa.key"
    --enable-admission-plugins NamespaceLifecycle,ServiceAccount,PodSecurity,NodeRestriction
    --audit-policy-file "$dir/audit-policy.yaml"
    --audit-log-path "$dir/logs/audit.log" --audit-log-maxsize 0
    --profiling=false
)
if $node; then
    # Pods reach it through the `kubernetes` Service, whose endpoint is the
    # node's address; it reaches kubelets for logs and exec.
    apiserver_flags+=(
        --bind-address 0.0.0.0 --advertise-address "$NODE_IP"
        --kubelet-client-certificate "$pki/apiserver-kubelet.crt"
        --kubelet-client-key "$pki/apiserver-kubelet.key"
        --kubelet-certificate-authority "$pki/ca.crt"
        --kubelet-preferred-address-types InternalIP
    )
else
    apiserver_flags+=(--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none)
fi
start_apiserver() {
    spawn kube-apiserver kube-apiserver "${apiserver_flags[@]}"
}
start_apiserver

b64() { base64 -w0 <"$1"; }
# Writes a kubeconfig for one of the client certificates.
write_kubeconfig() {
    local user="$1" path="$2"
    cat >"$path" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pawang-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: pawang-$user
  user:
    client-certificate-data: $(b64 "$pki/$user.crt")
    client-key-data: $(b64 "$pki/$user.key")
contexts:
- name: pawang-test
  context:
    cluster: pawang-test
    user: pawang-$user
current-context: pawang-test
EOF
    chmod 600 "$path"
}
kubeconfig="$dir/kubeconfig"
write_kubeconfig admin "$kubeconfig"
write_kubeconfig operator "$dir/operator.kubeconfig"
export KUBECONFIG="$kubeconfig"
wait_for kube-apiserver 120 kubectl get --raw /readyz

# The `stop` command: the API server and etcd die as in a crash.
stop_control_plane() {
    halt --kill kube-apiserver
    halt --kill etcd
}

# The `start` command: both back on their ports, with etcd's data.
start_control_plane() {
    start_etcd
    start_apiserver
    wait_for kube-apiserver 120 kubectl get --raw /readyz
}

# --- kube-controller-manager --------------------------------------------------
free_port cm_port
cm_flags=(
    --kubeconfig "$kubeconfig"
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig"
    --bind-address 127.0.0.1 --secure-port "$cm_port" --cert-dir "$dir/cm"
    --leader-elect=false
    --root-ca-file "$pki/ca.crt"
    --service-account-private-key-file "$pki/sa.key"
    --service-cluster-ip-range "$SERVICE_CIDR"
    --profiling=false
)
# Its hostpath provisioner serves the hostpath-root class (node/local-path.yaml);
# it hard-codes /tmp/hostpath_pv, which is the sandbox's own /tmp.
$node && cm_flags+=(--enable-hostpath-provisioner)
spawn kube-controller-manager kube-controller-manager "${cm_flags[@]}"
wait_for kube-controller-manager 120 curl -skf "https://127.0.0.1:$cm_port/healthz"
# The service account controller making `default` in each namespace shows
# the controllers really run, not just that the process listens.
wait_for "service account controller" 120 kubectl get serviceaccount default --namespace default

# --- the node -------------------------------------------------------------------
if $node; then
    mkdir -p "$node_state"/{cni-conf,cni-ipam} "$containerd_root" "$volumes"
    write_kubeconfig kubelet-client "$node_state/kubelet.kubeconfig"
    write_kubeconfig scheduler "$node_state/scheduler.kubeconfig"
    write_kubeconfig proxy "$node_state/proxy.kubeconfig"

    # The kubelet wants its cgroup root to exist in every hierarchy; a new
    # cpuset cgroup has no CPUs or memory nodes until it is given its
    # parent's.
    for hierarchy in /sys/fs/cgroup/*/; do
        mkdir -p "$hierarchy${cgroup_root#/}"
        if [[ -f "$hierarchy/cpuset.cpus" ]]; then
            cat "$hierarchy/cpuset.cpus" >"$hierarchy${cgroup_root#/}/cpuset.cpus"
            cat "$hierarchy/cpuset.mems" >"$hierarchy${cgroup_root#/}/cpuset.mems"
        fi
    done

    # One bridge network for pods, the node's bridge as their gateway.
    cat >"$node_state/cni-conf/10-pawang.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pawang",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$node_state/cni-ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

    # containerd: everything under the node's state, the sandbox image
    # built here and pinned. This VM withholds CAP_SYS_RESOURCE, so nothing
    # may lower an oom_score_adj: restrict_oom_score_adj (and the
    # kubelet's oomScoreAdj 0) keep every sandbox from failing on it.
    cat >"$node_state/containerd.toml" <<EOF
version = 3
root = "$containerd_root"
state = "$containerd_state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$containerd_socket"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$PAUSE_IMAGE"

[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = "$(command -v runc)"
      SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$node_dir/cni"]
    conf_dir = "$node_state/cni-conf"

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
EOF

    start_containerd() {
        spawn containerd containerd --config "$node_state/containerd.toml"
        wait_for containerd 60 ctr --address "$containerd_socket" version
    }

    ctr_k8s() { ctr --address "$containerd_socket" --namespace k8s.io "$@"; }

    free_port proxy_healthz_port
    free_port proxy_metrics_port
    cat >"$node_state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: $node_name
clusterCIDR: $POD_CIDR
clientConnection:
  kubeconfig: $node_state/proxy.kubeconfig
healthzBindAddress: 127.0.0.1:$proxy_healthz_port
metricsBindAddress: 127.0.0.1:$proxy_metrics_port
conntrack:
  maxPerCore: 0
EOF
    start_kube_proxy() {
        spawn kube-proxy kube-proxy --config "$node_state/kube-proxy.yaml"
    }

    free_port kubelet_healthz_port
    # Pods with dnsPolicy Default (CoreDNS itself) get this: the host's
    # name servers in a sandbox with a way out, none otherwise.
    if [[ -n "${PAWANG_UPSTREAM_RESOLV:-}" ]]; then
        cp "$PAWANG_UPSTREAM_RESOLV" "$node_state/resolv.conf"
        forward="forward . /etc/resolv.conf"
    else
        : >"$node_state/resolv.conf"
        forward=""
    fi
    cat >"$node_state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $cgroup_root
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$containerd_socket
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz_port
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
clusterDNS: [$CLUSTER_DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $node_state/resolv.conf
makeIPTablesUtilChains: false
serializeImagePulls: false
# Images are imported, never pulled: nothing may collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# A shared test machine's disk may be fuller than a node's would be.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
  imagefs.inodesFree: 1%
EOF
    start_kubelet() {
        spawn kubelet kubelet --config "$node_state/kubelet.yaml" \
            --kubeconfig "$node_state/kubelet.kubeconfig" \
            --hostname-override "$node_name" --node-ip "$NODE_IP"
    }

    node_ready() {
        [[ "$(kubectl get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
    }

    # NetworkPolicy, enforced by kube-router's firewall (iptables and
    # ipsets) once asked for (enforce-network-policies): tests that run the
    # front door as a process of the node, not a pod, need it off.
    free_port kube_router_health_port
    enforcing=false
    start_network_policies() {
        $enforcing || return 0
        spawn kube-router kube-router --kubeconfig "$kubeconfig" \
            --run-firewall=true --run-router=false --run-service-proxy=false \
            --hostname-override "$node_name" \
            --metrics-port 0 --health-port "$kube_router_health_port"
        wait_for "NetworkPolicy enforcement" 60 \
            curl -fsS -o /dev/null "http://127.0.0.1:$kube_router_health_port/healthz"
    }

    start_node() {
        start_containerd
        start_kube_proxy
        start_kubelet
        wait_for "the node" 120 node_ready
        start_network_policies
    }

    start_containerd
    log "importing images"
    for image in "$node_dir/images/pause.oci.tar" "$node_dir/images/coredns.oci.tar" \
        "$node_dir/images/busybox.oci.tar" "${images[@]}"; do
        ctr_k8s images import --no-unpack=false --local "$image" >>"$dir/logs/images.log" 2>&1 ||
            { tail -n 20 "$dir/logs/images.log" >&2; die "cannot import $image"; }
    done

    free_port scheduler_port
    spawn kube-scheduler kube-scheduler \
        --kubeconfig "$node_state/scheduler.kubeconfig" \
        --authentication-kubeconfig "$node_state/scheduler.kubeconfig" \
        --authorization-kubeconfig "$node_state/scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$scheduler_port" \
        --leader-elect=false --profiling=false
    start_kube_proxy
    start_kubelet
    wait_for "the node" 120 node_ready

    # The cluster's DNS and storage.
    sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|" -e "s|@CLUSTER_DNS_IP@|$CLUSTER_DNS_IP|" \
        -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|" -e "s|@FORWARD@|$forward|" "$here/node/coredns.yaml" |
        kubectl apply --server-side --field-manager pawang-test -f - >&2
    sed -e "s|@BUSYBOX_IMAGE@|$BUSYBOX_IMAGE|" -e "s|@VOLUMES_DIR@|$volumes|" \
        "$here/node/local-path.yaml" |
        kubectl apply --server-side --field-manager pawang-test -f - >&2
    kubectl get configmap local-path-config -n local-path-storage \
        -o jsonpath='{.data.config\.json}' >"$node_state/local-path.json"
    kubectl get configmap local-path-config -n local-path-storage \
        -o jsonpath='{.data.helperPod\.yaml}' >"$node_state/local-path-helper.yaml"
    spawn local-path-provisioner local-path-provisioner --debug start \
        --kubeconfig "$kubeconfig" \
        --config "$node_state/local-path.json" \
        --helper-pod-file "$node_state/local-path-helper.yaml" \
        --namespace local-path-storage \
        --service-account-name local-path-provisioner-service-account \
        --provisioner-name rancher.io/local-path
    wait_for CoreDNS 120 kubectl wait --namespace kube-system deployment/coredns \
        --for condition=Available --timeout 1s
fi

for crd in "${crds[@]}"; do
    kubectl apply --server-side --field-manager pawang-test -f "$crd" >&2
    kubectl wait --for condition=Established --timeout 60s -f "$crd" >&2
done

log "up in $dir (apiserver https://127.0.0.1:$api_port$($node && echo ", node $node_name at $NODE_IP"))"
echo "ready $kubeconfig"

if $foreground; then
    # A short sleep in the background and `wait` for it: a signal ends the
    # wait at once, and the traps clean up.
    while kill -0 "${pid[etcd]}" 2>/dev/null; do
        sleep 1 &
        wait $! || true
    done
    show_logs
    die "etcd exited"
else
    while read -r command arguments; do
        case "$command" in
            stop) stop_control_plane; log "API server and etcd stopped"; echo stopped ;;
            start) start_control_plane; log "API server and etcd started"; echo started ;;
            stop-containerd)
                $node || die "no node"
                halt --kill containerd; log "containerd stopped"; echo containerd-stopped ;;
            start-containerd)
                $node || die "no node"
                start_containerd; log "containerd started"; echo containerd-started ;;
            stop-node)
                $node || die "no node"
                stop_node_processes --kill; remove_node_state
                log "node stopped"; echo node-stopped ;;
            start-node)
                $node || die "no node"
                start_node; log "node started"; echo node-started ;;
            enforce-network-policies)
                $node || die "no node"
                enforcing=true; start_network_policies
                log "NetworkPolicy enforced"; echo network-policies-enforced ;;
            tag-image)
                $node || die "no node"
                read -r source target <<<"$arguments"
                ctr_k8s images tag --force "$source" "$target" >&2
                log "image $target tagged"; echo image-tagged ;;
            *) log "unknown command: $command" ;;
        esac
    done
fi

#!/usr/bin/env bash
# Runs a command in a sandbox of its own: a new network namespace (a
# loopback and nothing else: no route out, so no packet leaves it) and a new
# private mount namespace, in which /tmp and the fixed paths a node writes
# to (/var/lib/kubelet, /var/log/containers, /var/log/pods, /var/lib/cni,
# /run/containerd, /etc/cni) are the sandbox's own, and /etc/resolv.conf
# names the cluster's DNS. Whatever the command starts, a local cluster with
# its node and pods included, lives and dies there: when the command ends,
# anything left is killed, the sandbox's cgroups removed, its namespaces
# deleted, and the kernel settings a kubelet changes on the host restored.
#
#   sandbox.sh [--egress] COMMAND [ARG]...
#                                  run COMMAND; exits with its status
#   sandbox.sh --join NAME [COMMAND [ARG]...]
#                                  run COMMAND (a shell by default) in the
#                                  running sandbox NAME
#
# --egress gives the sandbox a way out (`make run-cluster`, which talks to
# the real Telegram and WhatsApp): a veth pair to the host, a default route,
# masquerading on both sides, and the host's name servers for the cluster's
# DNS to forward to (PAWANG_UPSTREAM_RESOLV names the file inside). Tests
# never use it.
#
# Inside, PAWANG_SANDBOX names the sandbox. Needs root. Cargo can use it as
# the runner of test binaries (`make e2e` does), so each test binary gets
# a sandbox of its own. PAWANG_KEEP_CLUSTER=1 keeps the sandbox's files
# (its /tmp) for a post-mortem.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "sandbox: $*" >&2; }
die() { log "$*"; exit 1; }

# Paths a node writes to whatever it is told, each a private tmpfs inside.
NODE_PATHS=(/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd /etc/cni)
# Host kernel settings the kubelet sets for itself.
HOST_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
PARENT="${TMPDIR:-/tmp}"

# --- inside the namespaces ------------------------------------------------------
if [[ "${1:-}" == --inside ]]; then
    state="$2"
    shift 2
    for path in "${NODE_PATHS[@]}"; do
        if [[ ! -d "$path" ]]; then
            mkdir -p "$path"
            echo "$path" >>"$state/created"
        fi
        mount -t tmpfs -o mode=0755 "sandbox-$(basename "$path")" "$path"
    done
    cat >"$state/resolv.conf" <<EOF
nameserver $CLUSTER_DNS_IP
search svc.$CLUSTER_DOMAIN $CLUSTER_DOMAIN
options ndots:5 timeout:1 attempts:3
EOF
    mount --bind "$state/resolv.conf" /etc/resolv.conf
    # Last: it hides $state, which lives in the host's /tmp.
    mount --bind "$state/tmp" /tmp
    ip link set lo up
    exec "$@"
fi

[[ $EUID -eq 0 ]] || die "needs root: it makes a network namespace, and a node runs containers"
[[ $# -gt 0 ]] || die "usage: sandbox.sh [--egress] COMMAND [ARG]... | sandbox.sh --join NAME [COMMAND]"
egress=false
if [[ "$1" == --egress ]]; then
    egress=true
    shift
fi

if [[ "$1" == --join ]]; then
    name="${2:?sandbox name}"
    shift 2
    pid="$(cat "$PARENT/$name/pid" 2>/dev/null)" || die "no sandbox $name running"
    [[ $# -gt 0 ]] || set -- "${SHELL:-/bin/bash}"
    exec nsenter --target "$pid" --net --mount -- env PAWANG_SANDBOX="$name" "$@"
fi

name="pawang-$$"
state="$PARENT/$name"
rm -rf "$state"
mkdir -p "$state/tmp"
chmod 1777 "$state/tmp"
$egress && HOST_SYSCTLS+=(net.ipv4.ip_forward)
for key in "${HOST_SYSCTLS[@]}"; do
    echo "$key=$(sysctl -n "$key")" >>"$state/sysctls"
done
ip netns add "$name"

# A way out, on request: the sandbox's traffic leaves through a veth pair
# and is masqueraded twice, so pods and the node reach what the host does.
host_link="pw${$}h"
if $egress; then
    sandbox_link="pw${$}s"
    net="100.64.$(($$ % 250)).0"
    host_ip="${net%.0}.1"
    sandbox_ip="${net%.0}.2"
    ip link add "$host_link" type veth peer name "$sandbox_link"
    ip link set "$sandbox_link" netns "$name"
    ip addr add "$host_ip/30" dev "$host_link"
    ip link set "$host_link" up
    ip -n "$name" addr add "$sandbox_ip/30" dev "$sandbox_link"
    ip -n "$name" link set "$sandbox_link" up
    ip -n "$name" route add default via "$host_ip"
    sysctl -q -w net.ipv4.ip_forward=1
    nft -f - <<EOF
table ip $name {
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "$host_link" accept
        oifname "$host_link" ct state established,related accept
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr $sandbox_ip masquerade
    }
}
EOF
    ip netns exec "$name" nft -f - <<EOF
table ip pawang-egress {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "$sandbox_link" masquerade
    }
}
EOF
    # The host's name servers, as the cluster's DNS will forward to them;
    # a local stub resolver is not reachable from the sandbox, its
    # upstreams are.
    upstream=/etc/resolv.conf
    if grep -qE '^nameserver +127\.' "$upstream" && [[ -f /run/systemd/resolve/resolv.conf ]]; then
        upstream=/run/systemd/resolve/resolv.conf
    fi
    grep -E '^nameserver +[0-9.]+ *$' "$upstream" | grep -vE ' 127\.' >"$state/upstream-resolv.conf" ||
        die "no name server of the host's that the sandbox can reach ($upstream)"
    export PAWANG_UPSTREAM_RESOLV=/tmp/upstream-resolv.conf
    cp "$state/upstream-resolv.conf" "$state/tmp/upstream-resolv.conf"
fi

# Everything the sandbox held, processes first.
cleanup() {
    local status=$? pid pids cgroup round
    trap - EXIT INT TERM
    # A cluster stops on its own once the command is gone (its pipe
    # closes): give it the time to, then kill what is left.
    local deadline=$((SECONDS + 30))
    while [[ -n "$(ip netns pids "$name" 2>/dev/null)" ]] && ((SECONDS < deadline)); do
        sleep 0.2
    done
    for round in 1 2 3 4 5; do
        # The sandbox's own processes, then the containers in its cgroups
        # (in their pods' network namespaces, not the sandbox's).
        pids="$(ip netns pids "$name" 2>/dev/null || true)"
        for cgroup in /sys/fs/cgroup/*/"$name"; do
            [[ -d "$cgroup" ]] || continue
            pids+=" $(find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null || true)"
        done
        pids="$(echo $pids)"
        [[ -n "$pids" ]] || break
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        for pid in $pids; do
            while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        done
    done
    for cgroup in /sys/fs/cgroup/*/"$name"; do
        [[ -d "$cgroup" ]] || continue
        find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    ip netns del "$name" 2>/dev/null || true
    if $egress; then
        nft delete table ip "$name" 2>/dev/null || true
        ip link del "$host_link" 2>/dev/null || true
    fi
    while IFS='=' read -r key value; do
        sysctl -q -w "$key=$value" >/dev/null || true
    done <"$state/sysctls"
    if [[ -f "$state/created" ]]; then
        while read -r path; do rmdir "$path" 2>/dev/null || true; done <"$state/created"
    fi
    if [[ "${PAWANG_KEEP_CLUSTER:-0}" == 1 ]]; then
        log "kept $state/tmp"
    else
        rm -rf "$state"
    fi
    exit "$status"
}
trap cleanup EXIT

# The command leads a process group of its own (setsid does not fork
# here: a background job is no group leader).
PAWANG_SANDBOX="$name" setsid nsenter --net="/run/netns/$name" -- \
    unshare --mount --propagation private -- "$0" --inside "$state" "$@" &
child=$!
echo "$child" >"$state/pid"
# Ctrl-C and SIGTERM reach the command and everything it started as
# SIGTERM (a background job ignores SIGINT); each part decides how to end,
# and the cleanup follows.
trap 'kill -TERM -- "-$child" 2>/dev/null || true' INT TERM
status=0
while true; do
    wait "$child" && status=0 || status=$?
    kill -0 "$child" 2>/dev/null || break
done
exit "$status"

#!/usr/bin/env bash
# Fails, naming them, when sandboxes or clusters left anything behind on
# the host: a network namespace, a cgroup, a mount, a process of the
# node's, a link or nftables table of a sandbox's way out, a node path
# made for a sandbox. `make e2e` runs it last.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

found=()
while read -r netns _; do
    [[ "$netns" == pawang-* ]] && found+=("network namespace $netns")
done < <(ip netns list 2>/dev/null || true)
for cgroup in /sys/fs/cgroup/*/pawang-*; do
    [[ -e "$cgroup" ]] && found+=("cgroup $cgroup")
done
while read -r target; do
    found+=("mount $target")
done < <(findmnt -rn -o TARGET | grep -E '/pawang-|^/var/lib/kubelet|^/run/containerd' || true)
# The cache's binaries only: the host may run its own.
for proc in /proc/[0-9]*; do
    exe="$(readlink "$proc/exe" 2>/dev/null || true)"
    if [[ "$exe" == "$NODE_DIR/"* || "$exe" == "$CONTROLPLANE_BIN/"* ]]; then
        found+=("process ${proc#/proc/} ($exe)")
    fi
done
while read -r link; do
    found+=("link $link")
done < <(ip -o link show | awk -F': ' '{print $2}' | grep -E '^pw[0-9]+h' || true)
while read -r table; do
    found+=("nftables $table")
done < <(nft list tables 2>/dev/null | grep -E ' pawang-' || true)

if [[ ${#found[@]} -gt 0 ]]; then
    printf 'left behind: %s\n' "${found[@]}" >&2
    exit 1
fi
echo "leftovers: none" >&2

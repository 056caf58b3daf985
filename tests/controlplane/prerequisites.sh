#!/usr/bin/env bash
# Installs what the node and the images need from the system's packages,
# when it is missing: runc, nftables, iptables, ipset, conntrack, iproute2,
# util-linux (nsenter, unshare), musl-tools (static binaries), and the Rust
# target x86_64-unknown-linux-musl. Does nothing when all are there.
set -euo pipefail

log() { echo "prerequisites: $*" >&2; }

# command -> Debian package
declare -A wanted=(
    [runc]=runc [nft]=nftables [iptables]=iptables [conntrack]=conntrack
    [ip]=iproute2 [nsenter]=util-linux [unshare]=util-linux
    [musl-gcc]=musl-tools [openssl]=openssl [curl]=curl [ipset]=ipset
)
missing=()
for command in "${!wanted[@]}"; do
    command -v "$command" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null 2>&1 ||
        missing+=("${wanted[$command]}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    [[ $EUID -eq 0 ]] || { log "missing ${missing[*]}; install them (as root: apt-get install ${missing[*]})"; exit 1; }
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    fi
fi

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    log "adding the Rust target x86_64-unknown-linux-musl"
    rustup target add x86_64-unknown-linux-musl >&2
fi

#!/usr/bin/env bash
# `make cluster`: a local cluster with its node, in a sandbox of its own,
# until Ctrl-C; says how to reach it from another shell.
#
#   sandbox.sh up.sh [cluster.sh flags]...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -n "${PAWANG_SANDBOX:-}" ]] || { echo "up.sh: run it through sandbox.sh" >&2; exit 1; }
bin="$("$here/build.sh")"
node="$("$here/build-node.sh")"
"$here/cluster.sh" --foreground --node "$@" /tmp/pawang-cluster |
    while read -r word kubeconfig; do
        [[ "$word" == ready ]] || continue
        cat <<EOF

Cluster ready, with a node. In another shell (as root):
  $here/sandbox.sh --join $PAWANG_SANDBOX
  export KUBECONFIG=$kubeconfig PATH=$bin:$node/bin:\$PATH
  kubectl get nodes,pods -A
  kubectl apply -f deploy/examples/whatsappaccount.yaml
Press Ctrl-C to stop it; nothing of it is left behind.
EOF
    done

#!/usr/bin/env bash
# Renders the chart into plain manifests for installs without Helm, on
# stdout: namespace `pawang`, the bot token and install key as Secrets the
# user creates (deploy/README.md says how), everything else as the chart
# makes it with its defaults. `make manifests` writes deploy/manifests/.
set -euo pipefail
helm="${HELM:-helm}"
chart="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pawang"
cat <<'HEADER'
# Generated from charts/pawang by `make manifests`; do not edit by hand.
# Install: kubectl create namespace pawang, create the two Secrets
# (deploy/README.md), then kubectl apply --server-side -f this file.
HEADER
"$helm" template pawang "$chart" \
    --namespace pawang \
    --kube-version 1.37.0 \
    --set telegram.existingSecret=pawang-bot-token \
    --set installKey.existingSecret=pawang-install-key

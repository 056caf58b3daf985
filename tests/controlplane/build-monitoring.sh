#!/usr/bin/env bash
# Builds the Prometheus server and promtool from Prometheus's Go module and
# caches them under the user's cache directory, keyed by version. A warm
# cache returns at once.
#
# Prints the binary directory on its last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "controlplane/build-monitoring: $*" >&2; }

stamp="$MONITORING_BIN/.complete"
if [[ -f "$stamp" ]]; then
    echo "$MONITORING_BIN"
    exit 0
fi

# shellcheck source=go.sh
. "$here/go.sh"
go_env
mkdir -p "$(dirname "$MONITORING_BIN")"

work="$(mktemp -d "$(dirname "$MONITORING_BIN")/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
out="$work/bin"
mkdir -p "$out"
start=$SECONDS

number="${PROMETHEUS_VERSION#v0.}"   # e.g. 316.0 for release v3.16.0
release="v$((${number%%.*} / 100)).$((${number%%.*} % 100)).${number#*.}"
log "building prometheus and promtool $PROMETHEUS_VERSION ($release)"
wrapper_module "$work/prometheus" controlplane/prometheus \
    github.com/prometheus/prometheus "$PROMETHEUS_VERSION"
version_pkg=github.com/prometheus/common/version
(cd "$work/prometheus" && go build -trimpath \
    -ldflags "-s -w -X $version_pkg.Version=${release#v} -X $version_pkg.Branch=release" \
    -o "$out/" \
    github.com/prometheus/prometheus/cmd/prometheus \
    github.com/prometheus/prometheus/cmd/promtool)

# Publish both at once so a half-built set is never used.
rm -rf "$MONITORING_BIN"
mv "$out" "$MONITORING_BIN"
touch "$MONITORING_BIN/.complete"
log "built in $((SECONDS - start)) s into $MONITORING_BIN"
echo "$MONITORING_BIN"

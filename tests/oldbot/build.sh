#!/usr/bin/env bash
# Builds `oldbot`, which writes a folder as the old Go bot leaves it, from
# the Go modules that bot runs on (whatsmeow, go-sqlite3), and caches it
# under the user's cache directory, keyed by its sources and the Go
# version. A warm cache returns at once.
#
# Prints the binary's path on its last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "oldbot/build: $*" >&2; }
command -v go >/dev/null || { log "go is required"; exit 1; }

cache_root="${PAWANG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pawang}"
export GOTOOLCHAIN=local
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
bin="$cache_root/oldbot/$(go env GOVERSION)-$key/oldbot"
if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi

# go-sqlite3 is SQLite's C source behind cgo, as in the old bot.
export CGO_ENABLED=1
export GOFLAGS=-mod=readonly
export GOMODCACHE="$cache_root/go/mod"
export GOCACHE="$cache_root/go/build"
mkdir -p "$GOMODCACHE" "$GOCACHE" "$(dirname "$bin")"
log "building (whatsmeow and go-sqlite3; a first build takes a minute or two)"
start=$SECONDS
(cd "$here" && go build -trimpath -o "$bin.partial" .)
mv "$bin.partial" "$bin"
log "built in $((SECONDS - start)) s"
echo "$bin"

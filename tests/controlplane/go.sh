# Go build helpers shared by build.sh and build-node.sh (sourced).
# Needs versions.sh sourced first and `log` defined.

go_env() {
    command -v go >/dev/null || { log "go is required"; exit 1; }
    export GOTOOLCHAIN=local
    export GOFLAGS=-mod=mod
    export CGO_ENABLED=0
    export GOMODCACHE="$CACHE_ROOT/go/mod"
    export GOCACHE="$CACHE_ROOT/go/build"
    mkdir -p "$GOMODCACHE" "$GOCACHE"
}

# k8s.io/kubernetes replaces its staging modules with local paths, which
# `go install pkg@version` refuses. Writes into DIR a wrapper module that
# requires it and points every staging module at its published version.
k8s_wrapper_module() {
    local dir="$1" k8s_mod staging_version
    log "downloading k8s.io/kubernetes@$K8S_VERSION"
    k8s_mod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
        sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$k8s_mod" ]] || { log "no go.mod for k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    staging_version="v0.${K8S_VERSION#v1.}"
    mkdir -p "$dir"
    {
        echo "module pawang.dev/controlplane/kubernetes"
        echo
        grep -E '^go [0-9]' "$k8s_mod"
        grep -E '^godebug ' "$k8s_mod" || true
        echo
        echo "require k8s.io/kubernetes $K8S_VERSION"
        echo
        echo "replace ("
        sed -n 's|^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*$|\t\1 => \1 '"$staging_version"'|p' "$k8s_mod"
        echo ")"
    } >"$dir/go.mod"
    log "wrapper module replaces $(grep -c '=> k8s.io' "$dir/go.mod") staging modules with $staging_version"
}

# Linker flags that make Kubernetes binaries report their real version
# (or the server says v0.0.0 and version checks fail).
k8s_ldflags() {
    local major minor build_date flags pkg
    major="${K8S_VERSION#v}"; major="${major%%.*}"
    minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
    build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    flags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $pkg.gitVersion=$K8S_VERSION"
        flags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
    done
    echo "$flags"
}

# A module in DIR named NAME that requires MODULE at VERSION, for building
# its commands with `go build` (a plain `go install pkg@version` would do
# too, but this keeps every build the same shape).
wrapper_module() {
    local dir="$1" name="$2" module="$3" version="$4"
    mkdir -p "$dir"
    cat >"$dir/go.mod" <<EOM
module pawang.dev/$name

go 1.26.0

require $module $version
EOM
}

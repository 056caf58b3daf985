#!/usr/bin/env bash
# Starts a local Kubernetes control plane on loopback: etcd, kube-apiserver
# (RBAC and Pod Security admission on) and kube-controller-manager, with
# certificates made by openssl and free ports. No kubelet: pods are created
# but never run.
#
#   cluster.sh [--foreground] [--crd FILE]... DIR
#
# State (certificates, etcd data, logs, kubeconfigs) lives in DIR, which
# must not exist yet. DIR/kubeconfig is the admin's; DIR/operator.kubeconfig
# is a second cluster admin named pawang-operator, so that the API server's
# audit log (DIR/logs/audit.log, every request at Metadata level) tells the
# operator's requests from the tests' own. When the control plane is up the script prints
#   ready <kubeconfig path>
# on stdout and then waits:
#   - by default until its standard input reaches end of file, so a test
#     process that holds the other end of a pipe takes the cluster with it
#     when it exits, however it exits. Meanwhile it takes commands there,
#     one a line, and answers each on stdout once done:
#       stop   kills (SIGKILL) the API server and etcd    -> stopped
#       start  starts them again, same ports and data     -> started
#   - with --foreground, until SIGINT or SIGTERM.
# Either way every process is stopped and DIR removed (set
# PAWANG_KEEP_CLUSTER=1 to keep DIR for a post-mortem).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "$here/versions.sh"

log() { echo "controlplane: $*" >&2; }
die() { log "$*"; exit 1; }

foreground=false
crds=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --foreground) foreground=true; shift ;;
        --crd) crds+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown flag $1" ;;
        *) break ;;
    esac
done
[[ $# -eq 1 ]] || die "usage: cluster.sh [--foreground] [--crd FILE]... DIR"
dir="$1"
[[ -e "$dir" ]] && die "$dir exists already"

bin="$("$here/build.sh")"
export PATH="$bin:$PATH"

mkdir -p "$dir"/{pki,etcd,logs,cm}
dir="$(cd "$dir" && pwd)"
pids=()

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # Last started, first stopped: the API server shuts down quickly while
    # etcd is still there to answer it.
    local i pid deadline
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid="${pids[i]}"
        kill -TERM "$pid" 2>/dev/null || continue
        deadline=$((SECONDS + 5))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            # Polling a process we just signalled; nothing else to wait on.
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
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
        log "--- last lines of $(basename "$f")"
        tail -n 30 "$f" >&2 || true
    done
}

# A port below the kernel's ephemeral range that nothing listens on.
taken_ports=" "
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 12000))
        [[ "$taken_ports" == *" $port "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            taken_ports+="$port "
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# Waits until a command succeeds, or fails after a deadline in seconds.
wait_for() {
    local what="$1" seconds="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            show_logs
            die "$what not ready after ${seconds}s"
        fi
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null || { show_logs; die "$what: a process exited"; }
        done
        sleep 0.2
    done
}

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
sign apiserver "/CN=kube-apiserver" "${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
sign admin "/O=system:masters/CN=pawang-admin" "${leaf}extendedKeyUsage=clientAuth\n"
sign operator "/O=system:masters/CN=pawang-operator" "${leaf}extendedKeyUsage=clientAuth\n"
new_key "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# --- etcd ---------------------------------------------------------------------
etcd_port="$(free_port)"
peer_port="$(free_port)"
start_etcd() {
    etcd --name pawang --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "pawang=http://127.0.0.1:$peer_port" \
        --unsafe-no-fsync --log-level warn \
        </dev/null >>"$dir/logs/etcd.log" 2>&1 &
    etcd_pid=$!
    pids+=("$etcd_pid")
    wait_for etcd 60 curl -sf "http://127.0.0.1:$etcd_port/health"
}
start_etcd

# --- kube-apiserver -----------------------------------------------------------
api_port="$(free_port)"
cat >"$dir/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
EOF
start_apiserver() {
    kube-apiserver \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --cert-dir "$pki" \
        --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
        --client-ca-file "$pki/ca.crt" \
        --authorization-mode Node,RBAC \
        --service-cluster-ip-range 10.0.0.0/24 \
        --service-account-issuer https://kubernetes.default.svc \
        --service-account-key-file "$pki/sa.pub" \
        --service-account-signing-key-file "$pki/sa.key" \
        --enable-admission-plugins NamespaceLifecycle,ServiceAccount,PodSecurity \
        --endpoint-reconciler-type none \
        --audit-policy-file "$dir/audit-policy.yaml" \
        --audit-log-path "$dir/logs/audit.log" --audit-log-maxsize 0 \
        --profiling=false \
        </dev/null >>"$dir/logs/kube-apiserver.log" 2>&1 &
    apiserver_pid=$!
    pids+=("$apiserver_pid")
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
    local pid kept=()
    kill -KILL "$apiserver_pid" "$etcd_pid" 2>/dev/null || true
    wait "$apiserver_pid" "$etcd_pid" 2>/dev/null || true
    for pid in "${pids[@]}"; do
        [[ "$pid" == "$apiserver_pid" || "$pid" == "$etcd_pid" ]] || kept+=("$pid")
    done
    pids=("${kept[@]}")
}

# The `start` command: both back on their ports, with etcd's data.
start_control_plane() {
    start_etcd
    start_apiserver
    wait_for kube-apiserver 120 kubectl get --raw /readyz
}

# --- kube-controller-manager --------------------------------------------------
cm_port="$(free_port)"
kube-controller-manager \
    --kubeconfig "$kubeconfig" \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$cm_port" --cert-dir "$dir/cm" \
    --leader-elect=false \
    --root-ca-file "$pki/ca.crt" \
    --service-account-private-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --profiling=false \
    </dev/null >"$dir/logs/kube-controller-manager.log" 2>&1 &
pids+=($!)
wait_for kube-controller-manager 120 curl -skf "https://127.0.0.1:$cm_port/healthz"
# The service account controller making `default` in each namespace shows
# the controllers really run, not just that the process listens.
wait_for "service account controller" 120 kubectl get serviceaccount default --namespace default

for crd in "${crds[@]}"; do
    kubectl apply --server-side --field-manager pawang-test -f "$crd" >&2
    kubectl wait --for condition=Established --timeout 60s -f "$crd" >&2
done

log "up in $dir (apiserver https://127.0.0.1:$api_port)"
echo "ready $kubeconfig"

if $foreground; then
    # `wait` returns when a signal arrives; the traps then clean up.
    while true; do
        wait "${pids[0]}" || true
        kill -0 "${pids[0]}" 2>/dev/null || { show_logs; die "etcd exited"; }
    done
else
    while read -r command; do
        case "$command" in
            stop) stop_control_plane; log "API server and etcd stopped"; echo stopped ;;
            start) start_control_plane; log "API server and etcd started"; echo started ;;
            *) log "unknown command: $command" ;;
        esac
    done
fi

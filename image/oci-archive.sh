#!/usr/bin/env bash
# Writes a container image, as an OCI image layout in a tar archive, from a
# folder that becomes its one layer. No container engine is needed; the
# archive loads with `ctr images import`, `podman load` or `docker load`.
#
#   oci-archive.sh --name REF [--user U:G] [--env K=V]... [--label K=V]...
#                  [--entrypoint ARG]... [--cmd ARG]... ROOTFS OUT
#
# REF is the fully qualified name the image is imported as (for example
# localhost/pawang:0.1.0). Every file in the layer belongs to root (uid 0)
# and carries the epoch as its time, so the same folder always gives the
# same digests.
set -euo pipefail

die() { echo "oci-archive: $*" >&2; exit 1; }

name=""
user=""
envs=()
labels=()
entrypoint=()
cmd=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --name) name="$2"; shift 2 ;;
        --user) user="$2"; shift 2 ;;
        --env) envs+=("$2"); shift 2 ;;
        --label) labels+=("$2"); shift 2 ;;
        --entrypoint) entrypoint+=("$2"); shift 2 ;;
        --cmd) cmd+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown flag $1" ;;
        *) break ;;
    esac
done
[[ $# -eq 2 ]] || die "usage: oci-archive.sh --name REF [options] ROOTFS OUT"
rootfs="$1"
out="$2"
[[ -n "$name" ]] || die "--name is required"
[[ -d "$rootfs" ]] || die "$rootfs is not a folder"
tag="${name##*:}"
[[ "$tag" != "$name" && "$tag" != */* ]] || die "$name has no tag"

# A JSON string.
str() {
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "$s"
}
# A JSON array of strings.
array() {
    local first=true item
    printf '['
    for item in "$@"; do
        $first || printf ','
        first=false
        str "$item"
    done
    printf ']'
}
# A JSON object from KEY=VALUE words.
object() {
    local first=true item
    printf '{'
    for item in "$@"; do
        $first || printf ','
        first=false
        str "${item%%=*}"
        printf ':'
        str "${item#*=}"
    done
    printf '}'
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/oci-archive.XXXXXX")"
trap 'rm -rf "$work"' EXIT
blobs="$work/blobs/sha256"
mkdir -p "$blobs"

# The layer: sorted, owned by root, dated at the epoch.
(cd "$rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) |
    tar -C "$rootfs" --no-recursion -T - --mtime=@0 --owner=0 --group=0 \
        --numeric-owner --format=gnu -cf "$work/layer.tar"
diff_id="$(sha "$work/layer.tar")"
gzip -n -9 <"$work/layer.tar" >"$work/layer.tar.gz"
layer="$(sha "$work/layer.tar.gz")"
layer_size="$(size "$work/layer.tar.gz")"
mv "$work/layer.tar.gz" "$blobs/$layer"

{
    printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{'
    sep=""
    if [[ -n "$user" ]]; then printf '"User":%s' "$(str "$user")"; sep=","; fi
    if [[ ${#envs[@]} -gt 0 ]]; then printf '%s"Env":%s' "$sep" "$(array "${envs[@]}")"; sep=","; fi
    if [[ ${#entrypoint[@]} -gt 0 ]]; then printf '%s"Entrypoint":%s' "$sep" "$(array "${entrypoint[@]}")"; sep=","; fi
    if [[ ${#cmd[@]} -gt 0 ]]; then printf '%s"Cmd":%s' "$sep" "$(array "${cmd[@]}")"; sep=","; fi
    if [[ ${#labels[@]} -gt 0 ]]; then printf '%s"Labels":%s' "$sep" "$(object "${labels[@]}")"; fi
    printf '},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff_id"
} >"$work/config.json"
config="$(sha "$work/config.json")"
config_size="$(size "$work/config.json")"
mv "$work/config.json" "$blobs/$config"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
manifest="$(sha "$work/manifest.json")"
manifest_size="$(size "$work/manifest.json")"
mv "$work/manifest.json" "$blobs/$manifest"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":%s,"org.opencontainers.image.ref.name":%s}}]}' \
    "$manifest" "$manifest_size" "$(str "$name")" "$(str "$tag")" >"$work/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
rm -f "$work/layer.tar"

mkdir -p "$(dirname "$out")"
tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf "$out.part" oci-layout index.json blobs
mv "$out.part" "$out"
echo "oci-archive: $name ($(size "$out") bytes, manifest sha256:$manifest) in $out" >&2

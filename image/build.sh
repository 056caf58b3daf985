#!/usr/bin/env bash
# Builds Pawang's image without a container engine: static musl binaries
# of the operator and tenant-bot, and an OCI archive holding the same files
# as the Dockerfile's final stage (the two binaries in /usr/local/bin, the
# CA bundle, user 65532:65532, PATH=/usr/local/bin, no shell).
#
#   image/build.sh [--dev] [OUT]
#
# Release binaries by default (`make image`); --dev builds debug binaries,
# much faster from cold, stripped in the image, with the fake WhatsApp
# backend the tests run tenants on (the tests' image, `make image-dev`). The image is named localhost/pawang:<version>, the
# operator's default tenant image. OUT defaults to
# $CARGO_TARGET_DIR/image/pawang-<version>[-dev].oci.tar; the path is
# printed on the last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
log() { echo "image: $*" >&2; }

profile=release
suffix=""
features=()
if [[ "${1:-}" == --dev ]]; then
    profile=dev
    suffix=-dev
    features=(--features tenant-bot/fake)
    shift
fi
target=x86_64-unknown-linux-musl
target_dir="${CARGO_TARGET_DIR:-$root/target}"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")"
[[ -n "$version" ]] || { log "no workspace version in Cargo.toml"; exit 1; }
out="${1:-$target_dir/image/pawang-$version$suffix.oci.tar}"
name="localhost/pawang:$version"

"$root/tests/controlplane/prerequisites.sh"
log "building operator and tenant-bot ($profile, $target)"
# musl-gcc compiles the C that rusqlite and ring bring; Rust links musl
# targets statically on its own.
(cd "$root" && cargo build --locked --profile "$profile" --target "$target" -p operator -p tenant-bot "${features[@]}" >&2)
profile_dir="$profile"
[[ "$profile" == dev ]] && profile_dir=debug
binaries="$target_dir/$target/$profile_dir"

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/pawang-image.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
install -d -m 0755 "$rootfs/etc/ssl/certs" "$rootfs/usr/local/bin"
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
for binary in operator tenant-bot; do
    install -m 0755 "$binaries/$binary" "$rootfs/usr/local/bin/$binary"
    strip "$rootfs/usr/local/bin/$binary"
done

# The same configuration as the Dockerfile's final stage.
"$here/oci-archive.sh" --name "$name" \
    --user 65532:65532 \
    --env PATH=/usr/local/bin \
    --cmd /usr/local/bin/tenant-bot --cmd --help \
    --label "org.opencontainers.image.title=pawang" \
    --label "org.opencontainers.image.description=Pawang: the Kubernetes operator and the Telegram bot (front door and WhatsApp tenants) in one image." \
    --label "org.opencontainers.image.licenses=Apache-2.0" \
    --label "org.opencontainers.image.source=" \
    "$rootfs" "$out"
echo "$out"

# syntax=docker/dockerfile:1

# One image, both binaries:
#   /usr/local/bin/operator    the operator Deployment
#   /usr/local/bin/tenant-bot  the front door (`tenant-bot front-door`) and
#                              every tenant (`tenant-bot tenant ...`)
#
# Build:  docker build -t localhost/pawang:0.1.0 .
# The tag must match the crate version: the operator's default tenant image
# is `localhost/pawang:<crate version>` (operator/src/settings.rs,
# `--tenant-image`, PAWANG_TENANT_IMAGE), and the chart deploys the same.
# `make image` builds the same image without Docker (image/build.sh), and a
# test (tests/tests/image.rs) keeps the two alike.

# At least 1.95: besides the workspace's own rust-version, Cargo.lock needs
# it (the whatsapp-rust 0.7 crates need 1.94, and parking_lot 0.13, through
# diesel and r2d2, needs 1.95); cargo refuses an older compiler.
ARG RUST_VERSION=1.95.0

# ---------------------------------------------------------------------------
# Build: static musl binaries.
#
# The musl target makes binaries that need no libc at run time. Some
# dependencies compile C: rusqlite and whatsapp-rust's SQLite store build
# SQLite from source (`bundled`), and ring builds C and assembly for rustls.
# On Debian, `musl-tools` provides `musl-gcc`, which the `cc` crate uses for
# the musl target by default. Rust links musl targets statically on its own
# (crt-static, its own copy of musl's libc.a), so no extra linker setup or
# cross toolchain is needed. cargo-zigbuild would work too, but needs one
# more tool to install and pin.
#
# Nothing needs OpenSSL: whatsapp-rust is built without default features, and
# its `tokio-native` feature only turns on tokio's multi-threaded runtime.
# Its WebSocket transport uses tokio-rustls, its HTTP client is ureq with
# rustls, and everything else (kube, reqwest/teloxide) uses rustls with ring.
# So neither pkg-config nor libssl-dev is installed.
# ---------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS build

# x86_64 only, as tested; musl-gcc compiles for the build machine's own
# architecture, so another target means building on that architecture.
ARG TARGET=x86_64-unknown-linux-musl

RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add "${TARGET}"

WORKDIR /src
# All workspace members are copied (see .dockerignore): cargo reads every
# member's manifest and targets, `tests` included, before it builds anything.
COPY . .

# The cache mounts keep downloaded crates and compiled dependencies between
# builds, so a source-only change rebuilds just the workspace crates. No
# separate dependency-only step with dummy sources: the target-directory cache
# does the same job with less to go wrong. The target directory lives only in
# the cache mount, so the binaries are copied out in this same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p operator -p tenant-bot --target "${TARGET}" \
 && mkdir -p /out \
 && cp "target/${TARGET}/release/operator" "target/${TARGET}/release/tenant-bot" /out/

# ---------------------------------------------------------------------------
# Run: an empty image with the two binaries and the CA bundle; no shell, no
# package manager, no libc (the binaries are static).
#
# TLS roots: every outgoing TLS client carries its own roots. WhatsApp's
# WebSocket and media HTTP (whatsapp-rust, ureq) and Telegram (teloxide,
# reqwest with `rustls-tls-webpki-roots`) use the bundled webpki-roots. Inside
# the cluster, kube trusts the service account's CA file. The one place that
# reads the system store is kube's fallback when a kubeconfig names no CA
# (rustls-platform-verifier, Linux native roots), so the build stage's
# Debian CA bundle is copied in for that case.
# ---------------------------------------------------------------------------
FROM scratch

ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="pawang" \
      org.opencontainers.image.description="Pawang: the Kubernetes operator and the Telegram bot (front door and WhatsApp tenants) in one image." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}"

COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/operator /out/tenant-bot /usr/local/bin/
# An empty image has no PATH; the manifests name the binaries bare.
ENV PATH=/usr/local/bin

# Numeric, so Kubernetes `runAsNonRoot` can check it; the same UID/GID as the
# tenant pods' securityContext (TENANT_UID = 65532).
USER 65532:65532

# No ENTRYPOINT: one image serves the operator and tenant-bot, and the
# Kubernetes manifests set `command` (`operator`, or `tenant-bot` with
# `front-door` or `tenant ...` as arguments). The chart and the operator use
# the bare names `operator` and `tenant-bot`, found through PATH above. The
# default command only prints help.
CMD ["/usr/local/bin/tenant-bot", "--help"]

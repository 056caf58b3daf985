# Pawang's commands. `make test` is what CI runs (.ci/run).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# Same default as tests/controlplane/versions.sh.
CACHE_ROOT := $(or $(PAWANG_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pawang)
export PAWANG_CACHE_DIR := $(CACHE_ROOT)
# Builds are kept outside the clone, keyed by compiler version, so a fresh
# clone on the same machine reuses them. Set CARGO_TARGET_DIR to override.
ifndef CARGO_TARGET_DIR
export CARGO_TARGET_DIR := $(CACHE_ROOT)/target/$(shell rustc -V | sed 's/[^A-Za-z0-9.][^A-Za-z0-9.]*/-/g; s/-$$//')
endif

CARGO ?= cargo
# Builds of the binaries tests run: with the fake WhatsApp backend.
FAKE := --features tenant-bot/fake
CONTROLPLANE := tests/controlplane

.PHONY: test fmt-check clippy unit e2e controlplane monitoring node oldbot image image-dev cluster crds fmt help run run-cluster bench bench-operator bench-front-door bench-jobs bench-footprint bench-node bench-load fuzz fuzz-guided manifests

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

run: ## The product on this machine, no cluster: PAWANG_BOT_TOKEN=<token> make run (data in ./data)
	$(CARGO) run --locked --release -q -p tenant-bot -- standalone

run-cluster: controlplane node image-dev ## The product installed on a local cluster (as root): helm install on a node enforcing NetworkPolicies; tenants are real pods.
	@$(CONTROLPLANE)/monitoring-crds.sh >/dev/null
	CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$(SANDBOX) --egress" $(CARGO) run --locked -q -p tests --bin pawang-local

test: fmt-check clippy unit e2e ## Everything CI checks: format, lints, unit and end-to-end tests.

fmt-check: ## Fail when code is not formatted.
	$(CARGO) fmt --all -- --check

fmt: ## Format the code.
	$(CARGO) fmt --all

clippy: ## Lint every crate and target, warnings as errors.
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

unit: ## Unit and component tests; no cluster needed.
	$(CARGO) test --locked

# Each test binary runs in a sandbox of its own (network and mount
# namespaces), where its cluster and node live and die with it.
SANDBOX := $(CURDIR)/$(CONTROLPLANE)/sandbox.sh
e2e: controlplane node monitoring oldbot image-dev ## End-to-end tests (as root) against a local cluster whose node runs the pods.
	@# The sandboxes have no way out: what the tests fetch is fetched first.
	@$(CONTROLPLANE)/monitoring-crds.sh >/dev/null
	$(CARGO) build --locked -p operator -p tenant-bot $(FAKE)
	$(CARGO) test --locked -p tests --no-run
	CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=$(SANDBOX) $(CARGO) test --locked -p tests
	@$(CONTROLPLANE)/leftovers.sh

bench-operator: controlplane ## Benchmark: 1,000 accounts at once; prints time to converge, writes, peak RSS.
	$(CARGO) build --locked --release -p operator
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-operator.json $(CARGO) bench --locked -p tests --bench operator

bench-front-door: controlplane ## Benchmark: 1,000 users, 50,000 updates through the front door; throughput, added latency, order.
	$(CARGO) build --locked --release -p tenant-bot
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-front-door.json $(CARGO) bench --locked -p tests --bench front_door

bench-jobs: ## Benchmark: invite links for 100 and 1,000 groups at a 0 s pause, 5 ms per WhatsApp call; time against the ideal, Telegram edits.
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-jobs.json $(CARGO) bench --locked -p tests --bench jobs

bench-footprint: ## Benchmark: release binary sizes and an idle release tenant's memory (fake backend, paired).
	@# The sizes are the shipped binaries'; the idle tenant needs the fake.
	$(CARGO) build --locked --release -p operator -p tenant-bot
	cp $(CARGO_TARGET_DIR)/release/tenant-bot $(CARGO_TARGET_DIR)/release/tenant-bot-shipped
	$(CARGO) build --locked --release -p tenant-bot $(FAKE)
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-footprint.json $(CARGO) bench --locked -p tests --bench footprint

fuzz: ## Fuzzing, longer than make test: every input parser and the update endpoint with 20,000 cases, then 50,000 updates through a tenant's runtime.
	$(CARGO) build --locked -p tenant-bot $(FAKE)
	PROPTEST_CASES=20000 $(CARGO) test --locked -p tenant-bot --lib -- tenant::input:: the_update_endpoint
	PAWANG_FUZZ_CASES=50000 $(CARGO) test --locked -p tests --test fuzz_updates -- --nocapture

FUZZ_TARGETS := numbers vcard selection links_and_names text_file photo update
FUZZ_SECONDS ?= 60
fuzz-guided: ## Coverage-guided fuzzing (cargo-fuzz, libFuzzer, nightly compiler) of every input parser, FUZZ_SECONDS each (60); finds are kept in fuzz/artifacts.
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --locked --root $(CACHE_ROOT)/cargo-fuzz cargo-fuzz
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	PATH="$(CACHE_ROOT)/cargo-fuzz/bin:$$PATH"; \
	for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$t; \
		CARGO_TARGET_DIR=$(CACHE_ROOT)/target/fuzz-nightly cargo +nightly fuzz run --sanitizer none $$t fuzz/corpus/$$t fuzz/seeds/$$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done

bench-node: controlplane node image-dev ## Benchmark (as root): ten paired tenants on the node; resident memory of the node's parts and of each tenant pod.
	$(CARGO) build --locked -p operator -p tenant-bot $(FAKE)
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-node.json CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=$(SANDBOX) \
		$(CARGO) bench --locked --profile dev -p tests --bench node

bench-load: ## Benchmark: the load test (200 users at once through a standalone install), its figures kept.
	$(CARGO) build --locked -p tenant-bot $(FAKE)
	PAWANG_BENCH_OUT=$(CARGO_TARGET_DIR)/bench-load.json $(CARGO) test --locked -p tests --test load -- --nocapture

BENCH_RESULTS := operator front_door jobs footprint node load
bench: ## Every benchmark, then bench/report.md (each figure against its baseline) and bench/report.json.
	@for b in $(BENCH_RESULTS); do rm -f $(CARGO_TARGET_DIR)/bench-$${b//_/-}.json; done
	-$(MAKE) --no-print-directory bench-operator
	-$(MAKE) --no-print-directory bench-front-door
	-$(MAKE) --no-print-directory bench-jobs
	-$(MAKE) --no-print-directory bench-footprint
	-$(MAKE) --no-print-directory bench-node
	-$(MAKE) --no-print-directory bench-load
	$(CARGO) run --locked -q -p tests --bin bench-report -- --baselines bench/baselines.json --out bench \
		$(foreach b,$(BENCH_RESULTS),$(b)=$(CARGO_TARGET_DIR)/bench-$(subst _,-,$(b)).json)

controlplane: ## Build (or find cached) kube-apiserver, controller-manager, kubectl, etcd, helm.
	@$(CONTROLPLANE)/build.sh >/dev/null

monitoring: ## Build (or find cached) the Prometheus server and promtool.
	@$(CONTROLPLANE)/build-monitoring.sh >/dev/null

oldbot: ## Build (or find cached) the old Go bot's folder writer (whatsmeow over go-sqlite3) the import's tests read.
	@tests/oldbot/build.sh >/dev/null

node: ## Build (or find cached) the node: kubelet, scheduler, kube-proxy, containerd, CNI, CoreDNS, local-path, their images.
	@$(CONTROLPLANE)/build-node.sh >/dev/null

image: ## Pawang's image from static release binaries, no Docker needed: $$CARGO_TARGET_DIR/image/pawang-<version>.oci.tar
	image/build.sh

image-dev: ## The same image from debug binaries (much faster to build cold): the image the end-to-end tests run.
	@image/build.sh --dev >/dev/null

crds: ## Regenerate deploy/crds and the chart's copy of the CRD from the Rust types.
	$(CARGO) run --locked -q -p crds --bin crdgen -- deploy/crds charts/pawang/files

manifests: controlplane ## Regenerate deploy/manifests from the chart.
	HELM="$$($(CONTROLPLANE)/build.sh)/helm" charts/render-manifests.sh > deploy/manifests/pawang.yaml

cluster: controlplane node image-dev crds ## Start a local cluster with a node (as root), the CRD applied and Pawang's image imported; Ctrl-C stops it.
	@$(SANDBOX) $(CURDIR)/$(CONTROLPLANE)/up.sh --crd $(CURDIR)/deploy/crds/whatsappaccounts.pawang.dev.yaml \
		--image "$$(image/build.sh --dev)"

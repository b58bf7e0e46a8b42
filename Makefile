# glacier-mock — the two commands a new user needs, then the benchmark and soak suites:
#   make run    installs what is missing, builds, starts the server on http://127.0.0.1:9901
#   make test   every test: Swift unit and live-server tests, then the conformance suite (boto3, AWS CLI, Go SDK v1 and v2, boto 2, fog and Ruby SDK v1)
#   make image  builds the container image (docker/Dockerfile) with docker or podman; make image-test
#               builds it without an engine or registry and runs it (docs/ci.md); make dist packs the
#               static release binary as dist/glacier-mock-VERSION-linux-ARCH.tar.gz (+ .sha256)
#   make bench  builds release, measures it against its performance targets, writes bench/RESULTS.md
#               (BENCH_RUNS=N runs, default 5; BENCH_QUICK=1: short measurements, 2 runs; see bench/README.md)
#   make soak   reliability soak (minutes): 64 clients x 20,000 mixed operations, then the crash and
#               fuzz tests with larger counts (SOAK_OPS, SOAK_CLIENTS, CRASH_KILLS, FUZZ_EXAMPLES)
SWIFT ?= swift
PYTHON ?= python3
ARGS ?=
BENCH_RUNS ?=
BENCH_QUICK ?=

.PHONY: all deps deps-test deps-bench deps-image build release run test test-swift test-conformance test-image \
	version dist image image-test bench bench-container soak clean

# The one version number, from Sources/GlacierHTTP/Version.swift (what `glacier-mock --version` prints).
VERSION := $(shell sed -n 's/^public let glacierMockVersion = "\(.*\)"$$/\1/p' Sources/GlacierHTTP/Version.swift)

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --with-tests

deps-bench:
	@scripts/install-deps.sh --with-bench

deps-image:
	@scripts/install-deps.sh --with-tests --with-image

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	$(SWIFT) run glacier-mock serve $(ARGS)

test: deps-test
	$(PYTHON) scripts/check-case-collisions.py
	$(SWIFT) build --build-tests
	$(MAKE) test-swift test-conformance test-image

test-swift:
	$(SWIFT) test --skip-build

test-conformance:
	GLACIER_MOCK_BIN=$(CURDIR)/.build/debug/glacier-mock $(PYTHON) -m pytest Tests/conformance -q

# make image-test where it can run (root, podman installable); otherwise say why it is skipped.
# Under CI (CI=true) a skip is a failure: CI machines can run it.
test-image:
	@scripts/image-test-gate.sh

version:
	@echo $(VERSION)

dist: deps
	SWIFT=$(SWIFT) scripts/dist.sh

image:
	@scripts/image.sh

image-test: deps-image
	$(PYTHON) Tests/container/image_test.py

bench: deps-bench
	$(SWIFT) build -c release
	BENCH_RUNS=$(BENCH_RUNS) BENCH_QUICK=$(BENCH_QUICK) $(PYTHON) bench/run.py --bin $(CURDIR)/.build/release/glacier-mock

# The container section of bench/RESULTS.md alone (make bench also writes it): needs root and
# the image make image-test built.
bench-container:
	$(PYTHON) bench/container.py

# Not part of `make test` (Tests/soak is outside Tests/conformance). Debug build, like make test.
SOAK_OPS ?= 20000
SOAK_CLIENTS ?= 64
CRASH_KILLS ?= 60
FUZZ_EXAMPLES ?= 3000

soak: deps-test
	$(SWIFT) build
	GLACIER_MOCK_BIN=$(CURDIR)/.build/debug/glacier-mock SOAK_OPS=$(SOAK_OPS) SOAK_CLIENTS=$(SOAK_CLIENTS) \
		SOAK_REPORT=$(CURDIR)/.build/soak-report.md $(PYTHON) Tests/soak/soak.py
	GLACIER_MOCK_BIN=$(CURDIR)/.build/debug/glacier-mock CRASH_KILLS=$(CRASH_KILLS) FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(PYTHON) -m pytest Tests/conformance/test_crash.py Tests/conformance/test_fuzz.py -q -s -p no:cacheprovider

clean:
	rm -rf .build

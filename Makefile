# glacier-mock — the two commands a new user needs, and the benchmark suite:
#   make run    installs what is missing, builds, starts the server on http://127.0.0.1:9901
#   make test   every test: Swift unit and live-server tests, then the boto3 / AWS CLI conformance suite
#   make bench  builds release, measures it against its performance targets, writes bench/RESULTS.md
#               (BENCH_RUNS=N runs, default 5; BENCH_QUICK=1: short measurements, 2 runs; see bench/README.md)
SWIFT ?= swift
PYTHON ?= python3
ARGS ?=
BENCH_RUNS ?=
BENCH_QUICK ?=

.PHONY: all deps deps-test deps-bench build release run test test-swift test-conformance bench clean

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --with-tests

deps-bench:
	@scripts/install-deps.sh --with-bench

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	$(SWIFT) run glacier-mock serve $(ARGS)

test: deps-test
	$(SWIFT) build --build-tests
	$(MAKE) test-swift test-conformance

test-swift:
	$(SWIFT) test --skip-build

test-conformance:
	GLACIER_MOCK_BIN=$(CURDIR)/.build/debug/glacier-mock $(PYTHON) -m pytest tests/conformance -q

bench: deps-bench
	$(SWIFT) build -c release
	BENCH_RUNS=$(BENCH_RUNS) BENCH_QUICK=$(BENCH_QUICK) $(PYTHON) bench/run.py --bin $(CURDIR)/.build/release/glacier-mock

clean:
	rm -rf .build

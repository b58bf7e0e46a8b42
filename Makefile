# glacier-mock — the two commands a new user needs:
#   make run    installs what is missing, builds, starts the server on http://127.0.0.1:9901
#   make test   every test: Swift unit and live-server tests, then the boto3 / AWS CLI conformance suite
SWIFT ?= swift
PYTHON ?= python3
ARGS ?=

.PHONY: all deps deps-test build release run test test-swift test-conformance clean

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --with-tests

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

clean:
	rm -rf .build

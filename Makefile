# Vigil — the two commands: `make run` and `make test`.
SHELL := /bin/bash
GO      ?= go
BIN     := bin/vigil
DATA    ?= vigil-data
# `make run` starts the demo by default; pass your own flags, e.g.
#   make run RUN_FLAGS="--tor-socks 127.0.0.1:9050"
RUN_FLAGS ?= --demo
# The end-to-end suite builds the real binary and drives it, and runs
# without -race (as do the benchmark programs' tests). cmd/vigil links the
# embedded Temporal server too but runs with -race: it boots the whole
# program in-process (main_test.go). Building the race-instrumented Temporal
# server costs ~10 CPU-minutes once per build cache; the tests then take
# ~15 s.
SLOW_PKGS := ./e2e/... ./cmd/bench/...
# `make vet` runs the full go vet first, so test runs skip their own subset.
TESTFLAGS := -count=1 -vet=off

.PHONY: build run test check fmt vet workflowcheck bench bench-search bench-photos unit e2e clean deps pyenv pycheck

build:
	$(GO) build -tags temporalui -o $(BIN) ./cmd/vigil

## deps: Debian's tor (tor and tor-gencert), needed by the managed tor, --demo and the Tor tests,
## Debian's openssl (`openssl ts -reply` is the Time-Stamping Authority of the evidence tests),
## Debian's poppler-utils (pdftotext and pdftoppm read the case report's PDF),
## Debian's chromium, driven headless by the browser tests (e2e/browser_test.go) and printing
## the case report, and the
## project-local Python environment (pyenv).
deps: pyenv
	@command -v tor >/dev/null || test -x /usr/sbin/tor || { \
		echo "installing Debian's tor package"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y tor; \
		else sudo apt-get update && sudo apt-get install -y tor; fi; }
	@command -v openssl >/dev/null || { \
		echo "installing Debian's openssl package (the test Time-Stamping Authority)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y openssl; \
		else sudo apt-get update && sudo apt-get install -y openssl; fi; }
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || { \
		echo "installing Debian's poppler-utils package (pdftotext, pdftoppm: the case report test)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y poppler-utils; \
		else sudo apt-get update && sudo apt-get install -y poppler-utils; fi; }
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium package (browser tests)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
		else sudo apt-get update && sudo apt-get install -y chromium; fi; }

## pyenv: a project-local Python virtual environment in .venv with the pinned packages of
## requirements-test.txt (and the files it includes). It is made again from scratch only
## when one of those files changed since the last install (the stamp .venv/.installed).
VENV     := .venv
PY_REQS  := requirements-test.txt testdata/extract/blind/requirements.txt
PYTHON   ?= python3

pyenv: $(VENV)/.installed

$(VENV)/.installed: $(PY_REQS)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check --no-input -q -r requirements-test.txt
	touch $@

## pycheck: checks with PyPI libraries, independent of the Go code: the blind corpus's labels
## (testdata/extract/blind/check.py).
pycheck: pyenv
	$(VENV)/bin/python testdata/extract/blind/check.py

run: deps build
	$(BIN) up --data $(DATA) $(RUN_FLAGS)

## test: every test — unit tests (concurrent packages with the race detector), then the end-to-end suite.
test: deps vet pycheck unit e2e

# Pure, single-goroutine compute packages (generators, extractors, hashing)
# run without -race: the detector multiplies their run time by ~10 and finds
# nothing there to check.
PURE_PKGS := /internal/demo|/internal/fixtures/|/extractors/

unit:
	$(GO) test -race $(TESTFLAGS) -timeout 30m $$($(GO) list ./... | grep -v -E '/e2e|/cmd/bench/|/workflows/devserver|$(PURE_PKGS)')
	$(GO) test $(TESTFLAGS) -timeout 30m $$($(GO) list ./... | grep -E '$(PURE_PKGS)')

e2e:
	$(GO) test $(TESTFLAGS) -parallel 4 -timeout 40m $(SLOW_PKGS)

vet: workflowcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

## workflowcheck: the workflow code is deterministic (go.temporal.io/sdk/contrib/tools/workflowcheck,
## pinned by internal/tools/go.mod and go.sum, a module of its own so its dependencies never move ours).
## workflows/devserver is the Temporal server, not workflow code: loading it would cost 30 s and 4.5 GB.
WORKFLOWCHECK := bin/workflowcheck
workflowcheck:
	$(GO) -C internal/tools build -o $(CURDIR)/$(WORKFLOWCHECK) go.temporal.io/sdk/contrib/tools/workflowcheck
	$(WORKFLOWCHECK) -show-pos $$($(GO) list ./workflows/... | grep -v /workflows/devserver)

## check: the quality bar (formatting, vet, all tests).
check: test

## bench: throughput and latency figures, each beside a baseline measured in the same run.
## ./e2e/ includes BenchmarkCrawlRSS: a 10k- and a 100k-page crawl's pages/s and peak RSS (~12 min).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./e2e/
	$(GO) test -run '^$$' -bench 'Extract|GoqueryParseOnly' -benchtime 2s -cpu 1 ./extractors/...
	$(GO) test -run '^$$' -bench . -benchtime 124x -cpu 1 ./extractors/imagehash/
	$(GO) test -run '^$$' -bench . -benchtime 200x -cpu 1 -timeout 30m ./photo/hashindex/ ./photo/match/
	$(GO) test -run '^$$' -bench CrawlBatchEvidence -benchtime 3x ./activities/
	$(MAKE) bench-search

## bench-search: search latency p50/p99 over the API beside the embedded store's own time, at 100k
## and 1M synthetic pages; the indexes are built once (slow: 43 min for 1M on a busy 2-core machine) and cached in bench-data/.
bench-search:
	$(GO) run ./cmd/bench/search -data bench-data

## bench-photos: recall and false positives of photo matching under 33 transformations of 118 real
## photos from Debian packages (fetched at run time with apt-get download; never committed). Gates print PASS/FAIL.
bench-photos:
	$(GO) run ./cmd/bench/photos

clean:
	rm -rf bin

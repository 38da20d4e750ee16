# Strata's two commands: `make run` and `make test`. Everything they need is
# installed by the targets below (scripts/testenv.sh), never by hand.

GO       ?= go
BIN      := bin/strata
ADDR     ?= 127.0.0.1:8080
DATA     ?= ./data
GOFLAGS  += -buildvcs=false
export GOFLAGS

# Packages whose code is concurrent run under the race detector.
RACE_PKGS := ./server/... ./cache/... ./bench/load/... ./storefront/... ./deploy/... ./cmd/strata-lambda/...
# The baker runs meshes in parallel; its race run skips the largest inputs.
RACE_SHORT_PKGS := ./lod/...

.PHONY: all build web run test test-deps test-go vet fmt-check fuzz bench bench-origin bench-tier clean

all: build

build: web
	$(GO) build -trimpath -o $(BIN) ./cmd/strata

# The storefront's client bundle (pages + 3D viewer, three.js from npm), embedded
# by package web; build output, ignored by git.
NODE_MODULES := $(CURDIR)/.tools/node/node_modules
web:
	scripts/testenv.sh npm
	NODE_PATH=$(NODE_MODULES) $(NODE_MODULES)/.bin/esbuild web/src/main.js --bundle --format=esm --minify \
		--target=es2022 --outfile=web/static/dist/app.js --log-level=warning

run: build
	./$(BIN) serve --addr $(ADDR) --store fs --assets-dir $(DATA)/assets

test-deps:
	scripts/testenv.sh install

test: test-deps vet fmt-check
	scripts/testenv.sh run $(MAKE) --no-print-directory test-go

test-go: web
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(RACE_PKGS)
	$(GO) test -count=1 -race -short $(RACE_SHORT_PKGS)

vet: web
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short runs of every native fuzz target (the seed corpora always run in `make test`).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Strata vs nginx on the same files, measured with wrk in alternating rounds.
BENCH_ORIGIN_FLAGS ?=
bench-origin: build test-deps
	./$(BIN) bench origin --strata-bin $(BIN) $(BENCH_ORIGIN_FLAGS)

# Strata's cache tier over S3 (versitygw): cold reads vs nginx proxy_cache +
# slice, hot ranges vs nginx from disk, RSS against --cache-bytes.
BENCH_TIER_FLAGS ?=
bench-tier: build test-deps
	./$(BIN) bench tier --strata-bin $(BIN) --versitygw-bin .tools/bin/versitygw $(BENCH_TIER_FLAGS)

# The standard suite (bench/suite/standard.json): Strata vs nginx over the same
# files and the same S3 bucket, bench/load as the generator, in rotating rounds;
# JSON + HTML under bench/results/. About 5 minutes on the 2-core machine.
BENCH_FLAGS ?=
bench: build test-deps
	./$(BIN) bench run --vs nginx --strata-bin $(BIN) --versitygw-bin .tools/bin/versitygw $(BENCH_FLAGS)

clean:
	rm -rf bin

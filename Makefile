# cita: `make run` starts the bot on the demo program, `make test` checks everything.
GO    ?= go
BIN   := bin/bot
GOFILES = $(shell git ls-files --cached --others --exclude-standard '*.go')

.PHONY: run build test check chromium bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/bot

run: build
	$(BIN) serve --dev

test: check chromium fuzz
	$(GO) test -race -count=1 ./...

# A few seconds of each fuzz target (go test -fuzz takes one target per run),
# as a count of executions, about 3 s each here: a -fuzztime in seconds can
# fail at its deadline with "context deadline exceeded" and no failing input
# (a race in Go 1.26's fuzz coordinator, go.dev/issue/75804).
# -fuzzminimizetime=0: by default every input that finds new code is first
# minimized for up to 60 s, uncounted, so a 3 s run made a few hundred
# executions (FuzzLoad: 126 in a minute) instead of tens of thousands. A
# failing input is still written to testdata/fuzz, whole.
FUZZ = FuzzWebhook:./channels/twilio/:2000 FuzzTelegramWebhook:./channels/telegram/:10000 \
	FuzzLoad:./scheduling/:30000 FuzzNormalizePhone:./identity/:30000 FuzzHandle:./conversations/:5000
fuzz:
	@for t in $(FUZZ); do \
	  name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; n=$${rest#*:}; \
	  echo "fuzz $$name"; \
	  out=$$($(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$${n}x -fuzzminimizetime=0 "$$pkg" 2>&1) || { echo "$$out"; exit 1; }; \
	  echo "$$out" | grep 'fuzz: elapsed' | tail -1; \
	done

# The clerk pages are tested in a real headless browser (Debian's chromium).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the clerk browser tests need Debian's package chromium: sudo apt-get install -y chromium"; exit 1; fi; }

# go mod tidy -diff fails, printing the diff, if go.mod or go.sum is not tidy
# (a dependency used directly but marked indirect, or one no longer used).
check:
	$(GO) mod tidy -diff
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	./scripts/depcheck

# Benchmarks of issue 8, one run, a few minutes; see docs/BENCHMARKS.md.
bench:
	./scripts/bench

clean:
	rm -rf bin

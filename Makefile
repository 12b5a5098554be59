# Grove: make demo runs the scenario, make test is what CI runs.
GO        ?= go
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1
BENCH     ?= .
BENCHTIME ?= 1s

.PHONY: demo test bench lint asm

## demo: run the multi-version scenario (100 entities, simulated time)
demo:
	$(GO) run ./cmd/demo

## test: vet, race-checked tests with and without the purego tag, every benchmark once
test:
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	$(GO) test -race ./...
	$(GO) test -tags purego ./...
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

## bench: the benchmarks, for real (BENCH=regexp BENCHTIME=2s to narrow or lengthen)
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime=$(BENCHTIME) ./...

## lint: gofmt check, vet, staticcheck (both tag sets)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags purego ./...

# Grove: make demo runs the scenario, make test is what CI runs.
GO        ?= go
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1
BENCH     ?= .
BENCHTIME ?= 1s

.PHONY: demo test bench lint asm report chaos fuzz

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
	cd contrib/prometheus && $(GO) vet ./... && $(GO) test -race ./...
	$(MAKE) fuzz

## fuzz: every decoder's fuzz target for FUZZTIME each (make test runs it). FUZZ lists
## package:Target pairs; add a decoder's target here. Minimisation is off: in a run
## of a few seconds it would take the whole budget (a crasher is kept unminimised
## in testdata/fuzz; re-run it with go test -run=Target/ID).
FUZZTIME ?= 3s
FUZZ     ?= ./versioning/journal/:FuzzReader ./versioning/journal/:FuzzDecodeBlock \
	./versioning/persist/:FuzzReadFile ./versioning/persist/:FuzzApplyDelta \
	./versioning/persist/:FuzzReadXML ./versioning/persist/:FuzzReadJSON \
	./versioning/persist/:FuzzManifest
fuzz:
	@for t in $(FUZZ); do pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime=0 $$pkg || exit 1; done

## chaos: the model-based randomized test of the engine over SEEDS seeds from SEEDBASE (no -race,
## for speed); prints its duration and seeds/s. Replay a failing seed with
## go test -run '^TestModel$' ./versioning/ -args -seed=S
SEEDS    ?= 10000
SEEDBASE ?= 1
chaos:
	$(GO) test -v -count=1 -timeout=0 -run '^TestModel$$' ./versioning/ -args -seeds=$(SEEDS) -seedbase=$(SEEDBASE)

## bench: the benchmarks, for real (BENCH=regexp BENCHTIME=2s to narrow or lengthen)
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime=$(BENCHTIME) ./...

## lint: gofmt check, vet, staticcheck (both tag sets)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags purego ./...
	cd contrib/prometheus && $(GO) vet ./... && $(STATICCHECK) ./...

## report: the demo's HTML report (report.html), checked in headless Chromium (report.png)
report:
	$(GO) run ./cmd/demo -report report.html
	scripts/check-report.sh report.html report.png

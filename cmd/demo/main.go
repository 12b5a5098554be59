// Command demo runs Grove's multi-version coexistence scenario end to end:
// v1 baseline, a 10% canary of v2, progressive migration to v2, automatic GC
// of v1, an emergency rollback when v2 fails, and v1/v2/v3 side by side. It
// prints the report with every figure measured in the run, checks every
// entity against an independent reference simulation, and exits 0 only if
// every assertion holds.
//
// Usage:
//
//	demo [-entities N] [-seed S] [-realtime] [-fault panic|nan|lag] [-json FILE]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var errUsage = errors.New("usage")

// parse reads the flags; bad values are usage errors.
func parse(args []string, stderr io.Writer) (options, error) {
	var opt options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&opt.entities, "entities", 100, "number of entities (≥ 10)")
	fs.Uint64Var(&opt.seed, "seed", 1, "seed of the entities' initial state")
	fs.BoolVar(&opt.realtime, "realtime", false, "pace frames in real time (about 150 s) instead of simulated time")
	fs.StringVar(&opt.fault, "fault", "panic", "phase 4's simulated bug in v2: panic, nan or lag")
	fs.StringVar(&opt.json, "json", "", "also write the metrics and assertions as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return opt, errUsage
	}
	var bad string
	switch {
	case fs.NArg() > 0:
		bad = fmt.Sprintf("unexpected arguments %q", fs.Args())
	case opt.entities < 10:
		bad = fmt.Sprintf("-entities %d: need at least 10 (the canary is 10%%)", opt.entities)
	case opt.fault != "panic" && opt.fault != "nan" && opt.fault != "lag":
		bad = fmt.Sprintf("-fault %q: want panic, nan or lag", opt.fault)
	}
	if bad != "" {
		fmt.Fprintf(stderr, "demo: %s\n", bad)
		fs.Usage()
		return opt, errUsage
	}
	return opt, nil
}

// run is main without the exit: 0 passed, 1 failed, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	opt, err := parse(args, stderr)
	if err != nil {
		return 2
	}
	r, err := newRunner(opt, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	r.run()
	passed, err := r.report()
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if !passed {
		return 1
	}
	return 0
}

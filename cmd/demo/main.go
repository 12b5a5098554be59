// Command demo runs Grove's multi-version coexistence scenario end to end:
// v1 baseline, a 10% canary of v2, progressive migration to v2, automatic GC
// of v1, an emergency rollback when v2 fails, and v1/v2/v3 side by side. It
// prints the report with every figure measured in the run, checks every
// entity against an independent reference simulation, and exits 0 only if
// every assertion holds.
//
// With -scenario deploy it runs automated deployments instead (deploy.go):
// canaries, a blue-green switch, an A/B/C test and a shadow run on 10,000
// entities by default, each checked against its expected outcome.
//
// Usage:
//
//	demo [-scenario default] [-entities N] [-seed S] [-realtime] [-fault panic|nan|lag] [-json FILE] [-report FILE.html] [-http ADDR]
//	demo -scenario deploy [-entities N] [-seed S] [-json FILE] [-report FILE.html] [-http ADDR]
//	demo -save DIR [flags]          also write saves and a journal of the run (persist.go)
//	demo -replay DIR [-json FILE]   re-simulate a saved run and check that it ends identical
//
// -report writes a self-contained HTML report of the run (entities and step
// time per version over simulated time, every event, the metrics and the
// assertions; the deployments' timelines in the deploy scenario). -http
// serves the same page, reloading itself, with /status (JSON) and /metrics
// (Prometheus text format) while the demo runs, on that address only, and
// shuts down when the demo ends. With -realtime on a terminal, one line
// shows the phase, the simulated time and the split as the run goes.
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
	fs.StringVar(&opt.save, "save", "", "write a save every 5 simulated seconds and a journal of the run into this new or empty directory")
	fs.StringVar(&opt.replay, "replay", "", "re-simulate the run saved in this directory by -save and check that it ends identical")
	opt.view.register(fs)
	scen := fs.String("scenario", "default", "default, or deploy (automated deployments; see -scenario deploy -h)")
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
	case opt.save != "" && opt.replay != "":
		bad = "-save and -replay: one at a time"
	case *scen != "default":
		bad = fmt.Sprintf("-scenario %q: want default or deploy", *scen)
	}
	return opt, usageError(fs, bad)
}

// usageError reports a bad flag value the way the flag package reports a
// bad flag, on fs's output: "demo: " and bad, then fs's usage. It returns
// errUsage, or nil if bad is empty.
func usageError(fs *flag.FlagSet, bad string) error {
	if bad == "" {
		return nil
	}
	fmt.Fprintf(fs.Output(), "demo: %s\n", bad)
	fs.Usage()
	return errUsage
}

// run is main without the exit: 0 passed, 1 failed, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if deployScenario(args) {
		return runDeploy(args, stdout, stderr)
	}
	opt, err := parse(args, stderr)
	if err != nil {
		return 2
	}
	if opt.replay != "" {
		code, err := runReplay(opt, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
		}
		return code
	}
	r, err := newRunner(opt, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if err := r.attachView(stderr); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	r.run()
	r.closePersist()
	passed, err := r.report()
	if verr := r.finishView(passed); err == nil {
		err = verr
	}
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if !passed {
		return 1
	}
	return 0
}

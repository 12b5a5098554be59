package main

// The deployment scenario (-scenario deploy): automated rollouts on one
// module with versioning/deploy, each checked against its expected outcome.
//
// Step times come from a cost model, not from the machine: every version is
// wrapped (deploytest.Version) so that its step charges a fixed cost per
// entity (±5% deterministic jitter) to a deterministic clock that the
// engine measures with (versioning.WithClock) and the orchestrator measures
// shadow steps with (deploy.WithClock). The wrapped logic still runs for
// real; only the clock is modelled. That makes the regression a true 2× in
// what the analysis observes, on any machine, and every run makes the same
// decisions at the same frames. The costs follow the seed's per-frame
// figures (v1 0.50, v2 0.68, v3 0.42): v1 50, v2 68, v3 42 ns per entity;
// the regression candidate charges 136, twice v2.
//
// Soft errors model malformed player input that every version rejects at
// 2% of entity updates; candidates (c) reject 3% and 10%.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
	"github.com/grove-engine/grove/versioning/deploy/deploytest"
)

// deployScenario reports whether the arguments select -scenario deploy. It
// reads them as the flag package does: flags up to the first non-flag or
// "--", each taking the next argument as its value unless it is boolean
// (-realtime, -h) or written -name=value.
func deployScenario(args []string) bool {
	boolean := map[string]bool{"realtime": true, "h": true, "help": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			return false
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !hasVal && !boolean[name] && i+1 < len(args) {
			i++
			val = args[i]
		}
		if name == "scenario" {
			return val == "deploy"
		}
	}
	return false
}

// depOptions are the deployment scenario's flags.
type depOptions struct {
	entities int
	seed     uint64
	json     string
	view     viewOptions // -report, -http (view.go)
}

func parseDeploy(args []string, stderr io.Writer) (depOptions, error) {
	var opt depOptions
	var scen string
	fs := flag.NewFlagSet("demo -scenario deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&scen, "scenario", "deploy", "default or deploy")
	fs.IntVar(&opt.entities, "entities", 10000, "number of entities (≥ 1000: a 10% canary needs 100 for its statistics)")
	fs.Uint64Var(&opt.seed, "seed", 1, "seed of the entities' initial state")
	fs.StringVar(&opt.json, "json", "", "also write the deployments as JSON to this file")
	opt.view.register(fs)
	if err := fs.Parse(args); err != nil {
		return opt, errUsage
	}
	var bad string
	switch {
	case fs.NArg() > 0:
		bad = fmt.Sprintf("unexpected arguments %q", fs.Args())
	case opt.entities < 1000:
		bad = fmt.Sprintf("-entities %d: need at least 1000 (a 10%% canary needs 100 entities for its statistics)", opt.entities)
	}
	return opt, usageError(fs, bad)
}

// runDeploy runs the deployment scenario: 0 passed, 1 failed, 2 usage.
func runDeploy(args []string, stdout, stderr io.Writer) int {
	opt, err := parseDeploy(args, stderr)
	if err != nil {
		return 2
	}
	d, err := newDeployDemo(opt, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if err := d.attachView(opt.view, stderr); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	d.run()
	passed := d.summary()
	if err := d.finishView(passed); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if opt.json != "" {
		if err := d.writeJSON(opt.json, passed); err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
	}
	if !passed {
		return 1
	}
	return 0
}

// The modelled versions: the live ones and the candidates.
const (
	depRegression = 4 // v2 at twice its step time per entity
	depSoft3      = 5 // v2 rejecting 3% of entity updates
	depSoft10     = 6 // v2 rejecting 10%
)

// depDecision is one recorded action, as the JSON file has it.
type depDecision struct {
	Frame  uint64 `json:"frame"`
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// depResult is one deployment, as the JSON file has it.
type depResult struct {
	Name      string        `json:"name"`
	Strategy  string        `json:"strategy"`
	Outcome   string        `json:"outcome"`
	MaxWeight float64       `json:"max_weight"`
	Decisions []depDecision `json:"decisions"`
	Verdict   string        `json:"verdict"`
	expect    string
	checks    []depCheck
}

type depCheck struct {
	what string
	ok   bool
}

func (r *depResult) check(what string, ok bool) { r.checks = append(r.checks, depCheck{what, ok}) }

func (r *depResult) passed() bool {
	ok := r.Outcome == r.expect
	for _, c := range r.checks {
		ok = ok && c.ok
	}
	return ok
}

// deployDemo drives the engine and the orchestrator through the scenario.
type deployDemo struct {
	opt      depOptions
	out      io.Writer
	clock    *deploytest.Clock
	e        *versioning.Engine
	o        *deploy.Orchestrator
	analysis deploy.Analysis
	results  []*depResult
	problems []string
	view     *view // the report and live view (view.go), nil unless asked for
}

func newDeployDemo(opt depOptions, out io.Writer) (*deployDemo, error) {
	clock := &deploytest.Clock{}
	e, err := versioning.New(versioning.WithClock(clock.Now), versioning.WithWorkers(1))
	if err != nil {
		return nil, err
	}
	// The failure policy tolerates failed steps up to a quarter of a
	// version's steps, so that the deployment's circuit breaker (5%) is the
	// one that acts on error rates.
	if err := e.AddModule(module, versioning.AutoGC(10*time.Second),
		versioning.Tolerate(versioning.FailurePolicy{MaxRate: 0.25})); err != nil {
		return nil, err
	}
	three, err := v3.New()
	if err != nil {
		return nil, err
	}
	model := func(inner versioning.Version, num int, cost, soft float64) versioning.Version {
		return deploytest.Version{Inner: inner, Num: num, Clock: clock, CostNs: cost, Jitter: 0.05, SoftRate: soft, Seed: uint64(num) * 7919}
	}
	for _, v := range []versioning.Version{
		model(v1.Version{}, 1, 50, 0.02),
		model(v2.Version{}, 2, 68, 0.02),
		model(three, 3, 42, 0.02),
		model(v2.Version{}, depRegression, 136, 0.02),
		model(v2.Version{}, depSoft3, 68, 0.03),
		model(v2.Version{}, depSoft10, 68, 0.10),
	} {
		if err := e.Register(module, v); err != nil {
			return nil, err
		}
	}
	if err := e.Load(module, 1); err != nil {
		return nil, err
	}
	if _, err := e.Spawn(module, 1, depEntities(opt.entities, opt.seed)); err != nil {
		return nil, err
	}
	o, err := deploy.New(e, deploy.WithClock(clock.Now))
	if err != nil {
		return nil, err
	}
	d := &deployDemo{opt: opt, out: out, clock: clock, e: e, o: o,
		// v2's collision pass is an accepted +36% over v1; a 2× regression
		// is not. Errors may reach twice the baseline's rate (and 5% in all,
		// the breaker) before the sequential test fails a candidate.
		// The breaker judges the error rate from 100 entity-steps on, so it
		// acts in the canary's first frame.
		analysis: deploy.Analysis{StepTime: deploy.Check{Ratio: 1.5}, P99StepTime: deploy.Check{Ratio: 1.5}, MaxErrorRatio: 2,
			MinEntitySteps: 100}}
	o.Subscribe(d.print)
	return d, nil
}

func depEntities(n int, seed uint64) *ecs.Columns {
	rng := rand.New(rand.NewPCG(seed, 42))
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	return &c
}

func (d *deployDemo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func (d *deployDemo) problem(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	d.problems = append(d.problems, s)
	d.printf("  ✗ %s\n", s)
}

// print is the orchestrator's listener: one timeline line per record.
func (d *deployDemo) print(r deploy.Record) {
	d.printf("  %6d %7.2fs  %-8s %-18s %s\n", r.Frame, r.SimTime.Seconds(), r.Action, split(r.Weights), headline(r.Reason))
	for _, m := range r.Metrics {
		if m.Gating && m.Metric != deploy.MetricConsecutive && (r.Action == deploy.RollBack || m.Metric == deploy.MetricStepTime ||
			m.Metric == deploy.MetricErrors) {
			d.printf("  %26s %s\n", "", metricLine(m))
		}
	}
}

// headline is the reason up to its list of metrics.
func headline(s string) string {
	if i := strings.Index(s, ": error-rate"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "; verdict: "); i >= 0 {
		s = s[:i] + " (verdict below)"
	}
	if len(s) > 150 {
		s = s[:147] + "..."
	}
	return s
}

func metricLine(m deploy.MetricResult) string {
	s := fmt.Sprintf("· %-19s v%d %.4g", m.Metric, m.Version, m.Value)
	if m.Baseline != 0 {
		s += fmt.Sprintf(" vs v%d %.4g", m.Baseline, m.BaselineValue)
	}
	if m.Limit != 0 {
		s += fmt.Sprintf(", limit %.4g", m.Limit)
	}
	if !math.IsNaN(m.P) {
		s += fmt.Sprintf(", p=%.2g", m.P)
	}
	return s + fmt.Sprintf(" (%s) → %s", m.Method, m.Verdict)
}

// split formats weights in percent.
func split(ws map[int]float64) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(ws)) {
		parts = append(parts, fmt.Sprintf("v%d:%.0f%%", v, 100*ws[v]))
	}
	return strings.Join(parts, " ")
}

// tick runs one frame and the orchestrator's Step.
func (d *deployDemo) tick() {
	if err := d.e.Tick(time.Second / fps); err != nil {
		d.problem("tick: %v", err)
	}
	if err := d.o.Step(); err != nil {
		d.problem("step: %v", err)
	}
	d.view.frame()
}

// ticks runs frames for a simulated duration.
func (d *deployDemo) ticks(dur time.Duration) {
	for range int(dur * fps / time.Second) {
		d.tick()
	}
}

// deploy runs one deployment until it ends (or limit of simulated time),
// calling during after every frame.
func (d *deployDemo) deploy(title string, spec deploy.Spec, expect string, limit time.Duration, during func(deploy.Status)) (*depResult, deploy.Status) {
	d.printf("\n=== %s ===\n", title)
	res := &depResult{Name: spec.Name, Strategy: spec.Strategy.Name(), expect: expect}
	d.results = append(d.results, res)
	spec.Module, spec.Analysis = module, d.analysis
	if err := d.o.Deploy(spec); err != nil {
		d.problem("deploy %s: %v", spec.Name, err)
		res.Outcome = "not started"
		return res, deploy.Status{}
	}
	var st deploy.Status
	for end := d.e.Now() + limit; d.e.Now() < end; {
		d.tick()
		st, _ = d.o.Status(module)
		if during != nil {
			during(st)
		}
		if st.Phase.Terminal() {
			break
		}
	}
	d.collect(res, st)
	return res, st
}

// collect fills a result's outcome and decisions from the status and the
// history.
func (d *deployDemo) collect(res *depResult, st deploy.Status) {
	res.MaxWeight = st.MaxWeight
	res.Decisions = nil
	for _, r := range d.o.History(module) {
		if r.Rollout == res.Name {
			res.Decisions = append(res.Decisions, depDecision{Frame: r.Frame, Action: r.Action.String(), Reason: r.Reason})
		}
	}
	switch st.Phase {
	case deploy.PhaseCompleted:
		res.Outcome = "completed"
	case deploy.PhaseFailed:
		res.Outcome = "rolled_back"
	case deploy.PhaseAborted:
		res.Outcome = "aborted"
		if st.Strategy == "blue-green" && st.MaxWeight == 100 {
			res.Outcome = "switched_back"
		}
	default:
		res.Outcome = st.Phase.String()
	}
	switch {
	case st.AB != nil:
		res.Verdict = st.AB.String()
	case st.Shadow != nil:
		res.Verdict = st.Shadow.String()
	default:
		res.Verdict = st.Verdict.String()
		if f, ok := failure(st.Metrics); ok {
			res.Verdict = "fail: " + f.String()
		}
	}
	d.printf("  → %s (max weight %.0f%%); versions:", res.Outcome, res.MaxWeight)
	for _, v := range st.Versions {
		d.printf(" v%d %s", v.Version, v.Role)
	}
	d.printf("\n")
}

func failure(ms []deploy.MetricResult) (deploy.MetricResult, bool) {
	r := deploy.Result{Metrics: ms}
	return r.Failure()
}

// recorded reports whether the named deployment recorded an action whose
// reason contains all the given fragments.
func (res *depResult) recorded(action string, fragments ...string) bool {
	for _, dc := range res.Decisions {
		if dc.Action != action {
			continue
		}
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(dc.Reason, f)
		}
		if ok {
			return true
		}
	}
	return false
}

// entities returns each version's entity count.
func (d *deployDemo) entities() map[int]int {
	mm, err := d.e.Metrics(module)
	if err != nil {
		d.problem("metrics: %v", err)
	}
	out := map[int]int{}
	for _, v := range mm.Versions {
		out[v.Version] = v.Entities
	}
	return out
}

func (d *deployDemo) total() int {
	n := 0
	for _, c := range d.entities() {
		n += c
	}
	return n
}

func (d *deployDemo) run() {
	n := d.opt.entities
	d.printf("Grove deployment scenario: %d entities on %q, 60 frames/s of simulated time\n", n, module)
	d.printf("modelled step cost per entity: v1 50ns, v2 68ns, v3 42ns, v%d 136ns (2× v2); soft errors 2%% (v%d 3%%, v%d 10%%)\n",
		depRegression, depSoft3, depSoft10)
	d.printf("analysis: step time mean and p99 ≤ 1.5× baseline, errors ≤ 2× baseline (sequential test) and ≤ 5%% (breaker), α = 0.05\n")
	d.printf("  %6s %8s  %-8s %-18s %s\n", "frame", "time", "action", "split", "reason")

	// (a) A healthy canary, auto-promoted; v1 is then collected.
	res, _ := d.deploy("(a) canary-healthy: v2 over v1, 10→30→50→80→100, auto-promotion after 30s",
		deploy.Spec{Name: "canary-healthy", Candidate: 2, Strategy: deploy.Canary{Weights: []float64{10, 30, 50, 80, 100}, Interval: 5 * time.Second}},
		"completed", 2*time.Minute, nil)
	var steps []float64
	for _, r := range d.o.History(module) {
		if r.Rollout == res.Name && r.Action == deploy.Advance {
			steps = append(steps, math.Round(100*r.Weights[2]))
		}
	}
	res.check("steps 10, 30, 50, 80, 100", slices.Equal(steps, []float64{10, 30, 50, 80, 100}))
	d.ticks(11 * time.Second)
	d.collect(res, mustStatus(d.o.Status(module)))
	res.check("v1 collected by GC", res.recorded("retire", "v1 collected"))

	// (b) A 2× regression, rolled back by the analysis before 50%.
	res, _ = d.deploy("(b) canary-regression: v4 = v2 at 2× step time per entity",
		deploy.Spec{Name: "canary-regression", Candidate: depRegression, Strategy: deploy.Canary{Weights: []float64{10, 30, 50, 80, 100}, Interval: 5 * time.Second}},
		"rolled_back", time.Minute, nil)
	res.check("rolled back before 50%", res.MaxWeight < 50)
	res.check("failing step and metric recorded", res.recorded("rollback", "at step 0", deploy.MetricStepTime))
	res.check("candidate has no entities", d.entities()[depRegression] == 0)

	// (c) Soft errors: 10% trips the circuit breaker, 3% passes.
	res, _ = d.deploy("(c) soft-errors-10pct: v6 rejects 10% of entity updates (baseline 2%)",
		deploy.Spec{Name: "soft-errors-10pct", Candidate: depSoft10, Strategy: deploy.Canary{Weights: []float64{10, 30, 50, 80, 100}, Interval: 5 * time.Second}},
		"rolled_back", time.Minute, nil)
	res.check("circuit breaker recorded", res.recorded("rollback", "circuit breaker", deploy.MetricErrorRate))
	res.check("candidate has no entities", d.entities()[depSoft10] == 0)
	res, _ = d.deploy("(c) soft-errors-3pct: v5 rejects 3% of entity updates (baseline 2%)",
		deploy.Spec{Name: "soft-errors-3pct", Candidate: depSoft3, Strategy: deploy.Canary{Weights: []float64{10, 30, 50, 80, 100}, Interval: 5 * time.Second}},
		"completed", 2*time.Minute, nil)
	res.check("promoted to 100%", res.MaxWeight == 100)

	// (d) Blue-green: switch to v3, then an instant switch back.
	var switched, back time.Duration
	res, _ = d.deploy("(d) blue-green: v5 → v3, switched back by a person 3s later while v5 is warm",
		deploy.Spec{Name: "blue-green", Candidate: 3, Strategy: deploy.BlueGreen{ScaleDownDelay: 30 * time.Second}},
		"switched_back", time.Minute, func(st deploy.Status) {
			if st.Weights[3] == 1 && switched == 0 {
				switched = d.e.Now()
			}
			if switched > 0 && back == 0 && d.e.Now()-switched >= 3*time.Second {
				back = d.e.Now()
				if err := d.o.Rollback(module); err != nil {
					d.problem("rollback: %v", err)
				}
			}
		})
	ents := d.entities()
	res.check("all entities back on v5 in one frame", ents[depSoft3] == n && ents[3] == 0)
	state, _ := d.e.State(module, 3)
	res.check("v3 was kept warm (loaded) until the switch back", state != versioning.StateUnloaded)

	// (e) A/B/C at 20/30/50.
	res, st := d.deploy("(e) abc-test: v1/v2/v3 at 20/30/50 for 10s, then v2 takes all the traffic",
		deploy.Spec{Name: "abc-test", Candidate: 3, Baseline: 2, Strategy: deploy.ABTest{Weights: map[int]float64{1: 20, 2: 30, 3: 50},
			Duration: 10 * time.Second, After: map[int]float64{2: 100}}},
		"completed", time.Minute, func(st deploy.Status) {
			if st.Weights[3] == 0.5 {
				ents := d.entities()
				if ents[1] != n/5 || ents[2] != 3*n/10 || ents[3] != n/2 {
					d.problem("A/B/C split %v, want exactly 20/30/50%% of %d", ents, n)
				}
			}
		})
	if st.AB != nil {
		d.printf("  verdict:\n")
		for _, m := range st.AB.Metrics {
			d.printf("    %-19s best v%d %s\n", m.Metric, m.Best, abLine(m))
		}
		best := map[string]int{}
		for _, m := range st.AB.Metrics {
			best[m.Metric] = m.Best
		}
		res.check("verdict names v3 best on step time", best[deploy.MetricStepTime] == 3)
		res.check("verdict names a best version on every metric", !slices.Contains(slices.Collect(maps.Values(best)), 0))
	} else {
		res.check("A/B verdict present", false)
	}

	// (f) Shadow of v3 against v2.
	res, st = d.deploy("(f) shadow: v3 steps copies of 256 entities beside v2 for 5s",
		deploy.Spec{Name: "shadow", Candidate: 3, Strategy: deploy.Shadow{Duration: 5 * time.Second, Sample: 256, Seed: d.opt.seed}},
		"completed", time.Minute, nil)
	if sh := st.Shadow; sh != nil {
		d.printf("  shadow report: %d frames × %d entities, cost v3 %.1f vs live %.1f ns/entity (×%.2f)\n",
			sh.Frames, sh.Entities, sh.CandidateNsPerEntity, sh.LiveNsPerEntity, sh.CostRatio)
		for _, c := range sh.Components {
			d.printf("    %-10s %6.2f%% of %d values differ, mean |Δ| %.4g, max %.4g\n", c.Component, 100*c.Fraction(), c.Values, c.MeanAbs, c.MaxAbs)
		}
		res.check("shadow compared frames", sh.Frames > 0 && len(sh.Components) > 0)
		res.check("cost ratio measured", sh.CostRatio > 0)
	} else {
		res.check("shadow report present", false)
	}
	res.check("entities untouched: still all on v2", d.entities()[2] == n)

	// Nothing left running: every idle version is collected.
	d.printf("\n=== after the deployments: GC of idle versions ===\n")
	d.ticks(11 * time.Second)
	loaded, _ := d.e.Loaded(module)
	if !slices.Equal(loaded, []int{2}) {
		d.problem("versions still loaded: %v, want only v2", loaded)
	}
	d.printf("  loaded: %v; entities %d\n", loaded, d.total())
}

func mustStatus(s deploy.Status, _ error) deploy.Status { return s }

func abLine(m deploy.ABMetric) string {
	s := fmt.Sprintf("(%.4g)", m.Values[m.Best])
	for _, c := range m.Evidence {
		s += fmt.Sprintf("; v%d ×%.2f", c.Other, c.Ratio)
		if !math.IsNaN(c.P) {
			s += fmt.Sprintf(" p=%.2g", c.P)
		}
	}
	switch {
	case m.Method == deploy.MethodReport:
		s += " — reported, not tested"
	case m.Method == deploy.MethodThreshold:
		s += " — a measurement, no test"
	case m.Significant:
		s += " — significant"
	default:
		s += " — no significant difference"
	}
	return s
}

// summary prints the outcome table and returns whether everything held.
func (d *deployDemo) summary() bool {
	d.printf("\n================================================================================\n")
	d.printf("DEPLOYMENTS\n")
	passed := len(d.problems) == 0
	if n := d.total(); n != d.opt.entities {
		d.problem("entities %d, want %d", n, d.opt.entities)
		passed = false
	}
	for _, r := range d.results {
		ok := r.passed()
		passed = passed && ok
		d.printf("%s %-18s %-11s %-14s (want %s) max %3.0f%% %d decisions\n", mark(ok), r.Name, r.Strategy, r.Outcome, r.expect, r.MaxWeight, len(r.Decisions))
		for _, c := range r.checks {
			d.printf("     %s %s\n", mark(c.ok), c.what)
		}
	}
	result := "✅ PASSED"
	if !passed {
		result = "❌ FAILED"
	}
	d.printf("Result: %s\n", result)
	return passed
}

func (d *deployDemo) writeJSON(path string, passed bool) error {
	doc := struct {
		Passed      bool         `json:"passed"`
		Entities    int          `json:"entities"`
		Deployments []*depResult `json:"deployments"`
	}{passed, d.opt.entities, d.results}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

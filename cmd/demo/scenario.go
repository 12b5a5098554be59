package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/demogame"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

const (
	module = demogame.Module
	fps    = 60
)

// options are the demo's flags.
type options struct {
	entities int
	seed     uint64
	realtime bool
	fault    string
	json     string
	view     viewOptions // -report, -http (view.go)
	save     string      // -save DIR (persist.go)
	replay   string      // -replay DIR (persist.go)
}

// runner drives the engine through the scenario and checks it against the
// reference simulation.
type runner struct {
	opt    options
	out    io.Writer
	e      *versioning.Engine
	ref    *reference
	fault  *demogame.Fault // phase 4's bug in v2, armed by armFault (persist.go)
	dt     time.Duration
	frame  int
	events []versioning.Event
	start  time.Time
	res    results
	// expectRollback is set only for phase 4's faulty frame.
	expectRollback bool
	// persist writes the saves and the journal (-save; persist.go).
	persist *persister
	// view samples every frame for the report and the live view (nil
	// unless asked for; view.go).
	view *view
}

// results are the measured figures and checks of one run.
type results struct {
	loadTimes      map[int]time.Duration
	canary         float64
	maxDeviation   float64 // percentage points
	offTarget      int     // entities beyond rounding of their quota, summed over checks
	migrationMax   time.Duration
	migrationSteps int
	migrationOK    bool
	rollback       *versioning.Event
	framesMissed   uint64
	rollbackCount  int
	gc             *versioning.Event // the collection of v1
	gcs            []versioning.Event
	gcTrigger      time.Duration
	checked        int
	matched        int
	violations     int
	maxLoaded      int
	maxPopulated   int
	threeWay       bool
	totalConstant  bool
	crashes        []string
	baselineStep   time.Duration
	baselineMemory int
	v2Continuous   bool
	perf           map[int]perf
}

type perf struct {
	perFrame  time.Duration
	perEntity float64 // ns
}

func newRunner(opt options, out io.Writer) (*runner, error) {
	// Generous enough that a loaded, shared machine does not trip it; the
	// lag fault stalls well past it.
	budget := 250 * time.Millisecond
	p, err := newPersister(opt.save)
	if err != nil {
		return nil, err
	}
	f := &demogame.Fault{Lag: budget + 100*time.Millisecond}
	e, err := demogame.Factory(f)(append([]versioning.Option{
		versioning.WithFrameBudget(budget),
		versioning.WithIsolationCheck(true),
	}, p.options()...)...)
	if err != nil {
		return nil, err
	}
	r := &runner{opt: opt, out: out, e: e, ref: newReference(v3.DefaultRadius), persist: p,
		fault: f, dt: time.Second / fps, start: time.Now()}
	r.res.loadTimes = map[int]time.Duration{}
	r.res.totalConstant = true
	r.res.migrationOK = true
	e.Subscribe(func(ev versioning.Event) { r.events = append(r.events, ev) })
	return r, nil
}

func (r *runner) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

func (r *runner) crash(what string, err error) {
	r.res.crashes = append(r.res.crashes, fmt.Sprintf("%s: %v", what, err))
	r.printf("  ✗ %s: %v\n", what, err)
}

// control runs a control call and re-syncs the reference with where the
// engine put every entity.
func (r *runner) control(what string, f func() error) bool {
	if err := f(); err != nil {
		r.crash(what, err)
		return false
	}
	r.sync()
	return true
}

// sync applies the engine's entity placement to the reference: entities that
// changed version were migrated.
func (r *runner) sync() {
	state, err := r.e.Export(module)
	if err != nil {
		r.crash("export", err)
		return
	}
	for v, c := range state {
		for _, k := range c.Keys {
			if e, ok := r.ref.entities[k]; ok && e.version != v {
				r.ref.migrate(k, v)
			}
		}
	}
}

// tick runs one frame in the engine and in the reference; observed says the
// frame's state will be looked at (verified or migrated) before the next.
func (r *runner) tick(observed bool) {
	mark := len(r.events)
	if err := r.e.Tick(r.dt); err != nil {
		r.crash("tick", err)
	}
	r.view.frame()
	r.frame++
	r.saveIfDue()
	moved := false
	for _, ev := range r.events[mark:] {
		switch ev.Kind {
		case versioning.EventRollback:
			r.res.rollbackCount++
			ev := ev
			r.res.rollback = &ev
			if !r.expectRollback {
				r.crash("unexpected rollback", ev.Err)
			}
			if ev.Served {
				// The failing frame was undone and the entities were
				// served by the target instead.
				for k, e := range r.ref.entities {
					if e.version == ev.From {
						r.ref.migrate(k, ev.To)
					}
				}
			}
		case versioning.EventMigration:
			moved = true
		case versioning.EventGC:
			ev := ev
			r.res.gcs = append(r.res.gcs, ev)
			if ev.Version == 1 && r.res.gc == nil {
				r.res.gc = &ev // phase 3's collection of v1
			}
		case versioning.EventIsolation:
			r.res.violations++
		case versioning.EventError:
			r.crash("engine", ev.Err)
		}
	}
	r.ref.step(float32(r.dt.Seconds()), observed || moved)
	if moved {
		r.sync()
	}
	if r.opt.realtime {
		if d := time.Until(r.start.Add(time.Duration(r.frame) * r.dt)); d > 0 {
			time.Sleep(d)
		}
	}
}

// runUntil runs frames until simulated second t, verifying every 5 s.
func (r *runner) runUntil(t float64) {
	for target := int(math.Round(t * fps)); r.frame < target; {
		r.tick(r.frame+1 == target || (r.frame+1)%(5*fps) == 0)
		if r.frame%(5*fps) == 0 {
			r.verify()
		}
	}
}

// verify compares every entity with the reference and checks the total.
func (r *runner) verify() map[int]int {
	state, err := r.e.Export(module)
	if err != nil {
		r.crash("export", err)
		return nil
	}
	checked, matched := r.ref.compare(state)
	r.res.checked += checked
	r.res.matched += matched
	counts := map[int]int{}
	total, populated := 0, 0
	for v, c := range state {
		counts[v] = c.Len()
		total += c.Len()
		if c.Len() > 0 {
			populated++
		}
	}
	r.res.maxLoaded = max(r.res.maxLoaded, len(state))
	r.res.maxPopulated = max(r.res.maxPopulated, populated)
	if total != r.opt.entities {
		r.res.totalConstant = false
	}
	return counts
}

// distribution prints and checks the split against the target weights.
func (r *runner) distribution(weights map[int]float64) map[int]int {
	counts := r.verify()
	n := r.opt.entities
	r.printf("  Traffic distribution:\n")
	total := 0
	for _, v := range slices.Sorted(maps.Keys(weights)) {
		c := counts[v]
		total += c
		pct := 100 * float64(c) / float64(n)
		// Rounded: 100·c/n and 100·w differ by float noise when equal.
		dev := math.Round(math.Abs(pct-100*weights[v])*1e9) / 1e9
		r.res.maxDeviation = max(r.res.maxDeviation, dev)
		off := int(math.Floor(math.Abs(float64(c) - weights[v]*float64(n))))
		r.res.offTarget += off
		r.printf("    v%d: %d entities (%.1f%%) %s\n", v, c, pct, mark(off == 0))
	}
	for v, c := range counts {
		if _, ok := weights[v]; !ok && c > 0 {
			r.res.offTarget += c
			r.printf("    v%d: %d entities (expected none) ✗\n", v, c)
		}
	}
	r.printf("    Total: %d entities %s\n", total, mark(total == n))
	return counts
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// eventsSince returns the events of a kind delivered after index mark.
func (r *runner) eventsSince(mark int, kind versioning.EventKind) []versioning.Event {
	var out []versioning.Event
	for _, ev := range r.events[mark:] {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (r *runner) load(v int) {
	mark := len(r.events)
	if !r.control(fmt.Sprintf("load v%d", v), func() error { return r.e.Load(module, v) }) {
		return
	}
	for _, ev := range r.eventsSince(mark, versioning.EventAfterLoad) {
		r.res.loadTimes[v] = ev.Duration
	}
}

func (r *runner) metrics() map[int]versioning.VersionMetrics {
	mm, err := r.e.Metrics(module)
	if err != nil {
		r.crash("metrics", err)
		return nil
	}
	out := map[int]versioning.VersionMetrics{}
	for _, v := range mm.Versions {
		out[v.Version] = v
	}
	r.res.framesMissed = mm.FramesMissed
	return out
}

// spawn creates the scenario's entities as v1 entities: positions uniform
// over the [0, 1000]² world, velocities uniform in [-10, 10]².
func (r *runner) spawn() {
	rng := rand.New(rand.NewPCG(r.opt.seed, 0x9e3779b97f4a7c15))
	n := r.opt.entities
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	keys, err := r.e.Spawn(module, 1, &c)
	if err != nil {
		r.crash("spawn", err)
		return
	}
	state, err := r.e.Export(module)
	if err != nil {
		r.crash("export", err)
		return
	}
	for i, k := range keys {
		r.ref.add(k, &refEntity{x: pos[i].X, y: pos[i].Y, vx: vel[i].X, vy: vel[i].Y, version: 1})
	}
	for v, s := range state {
		for _, k := range s.Keys {
			r.ref.migrate(k, v)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *runner) run() {
	n := r.opt.entities
	line := "================================================================================"
	r.printf("%s\nTEST: Multi-Version Module Coexistence\n%s\n", line, line)
	r.printf("entities: %d, seed: %d, fault: %s, %d frames per simulated second%s\n\n",
		n, r.opt.seed, r.opt.fault, fps, map[bool]string{true: ", paced in real time", false: ""}[r.opt.realtime])

	r.printf("=== Phase 0: Setup Baseline (10s) ===\n")
	r.load(1)
	r.printf("  ✓ GameLogicModule v1 loaded in %.2fms\n", ms(r.res.loadTimes[1]))
	r.spawn()
	r.save()
	r.printf("  ✓ %d entities initialized\n", n)
	r.runUntil(10)
	counts := r.verify()
	m := r.metrics()
	r.res.baselineStep, r.res.baselineMemory = m[1].MeanStep, m[1].MemoryBytes
	r.printf("  %s v1 processes %d of %d entities, %d errors\n", mark(counts[1] == n && m[1].Errors == 0), counts[1], n, m[1].Errors)
	r.printf("  ✓ Baseline performance: %v/frame (%.1f ns/entity)\n", m[1].MeanStep, float64(m[1].MeanStep.Nanoseconds())/float64(n))
	r.printf("  ✓ Baseline memory: %.2fMB\n\n", float64(m[1].MemoryBytes)/1e6)

	r.printf("=== Phase 1: Canary Deployment v2 (t=10s) ===\n")
	r.printf("  Loading GameLogicModule v2...\n")
	r.load(2)
	r.printf("  ✓ v2 loaded in %.2fms\n", ms(r.res.loadTimes[2]))
	r.printf("  Configuring canary: 10%% v2, 90%% v1\n")
	canary := map[int]float64{1: 0.9, 2: 0.1}
	r.control("canary split", func() error { return r.e.SetSplit(module, canary) })
	counts = r.distribution(canary)
	r.res.canary = 100 * float64(counts[2]) / float64(n)
	r.printf("  %s Canary accuracy: %.1f%% (target 10%% ±2%%%s)\n", mark(withinPoints(r.res.canary-10, n)), r.res.canary, pointsNote(n))
	r.runUntil(50)
	r.printf("  %s Memory isolation: %s (%d entity checks, %d isolation violations)\n\n",
		mark(r.isolated()), r.isolation(), r.res.checked, r.res.violations)

	r.printf("=== Phase 2: Progressive Migration v1 → v2 (t=50s..90s) ===\n")
	for _, step := range []struct {
		at float64
		w  float64
	}{{50, 0.3}, {60, 0.5}, {70, 0.8}, {80, 1}} {
		r.runUntil(step.at)
		split := map[int]float64{1: 1 - step.w, 2: step.w}
		if step.w == 1 {
			split = map[int]float64{2: 1}
		}
		mark0 := len(r.events)
		r.printf("  t=%.0fs: Traffic split → %.0f%% v2, %.0f%% v1\n", step.at, 100*step.w, 100*(1-step.w))
		r.control("progressive split", func() error { return r.e.SetSplit(module, split) })
		var took time.Duration
		moved := 0
		for _, ev := range r.eventsSince(mark0, versioning.EventMigration) {
			took += ev.Duration
			moved += ev.Entities
		}
		r.res.migrationMax = max(r.res.migrationMax, took)
		r.res.migrationSteps++
		counts := r.distribution(map[int]float64{1: 1 - step.w, 2: step.w})
		ok := counts[1]+counts[2] == n
		r.res.migrationOK = r.res.migrationOK && ok
		r.printf("    migrated %d entities v1→v2 in %.3fms\n", moved, ms(took))
	}
	r.runUntil(80 + 1.0/fps)
	r.verify()
	r.printf("  %s State migrated progressively (%s of entity checks match the reference)\n", mark(r.isolated()), r.isolation())
	r.printf("  %s Total entities constant: %d\n", mark(r.res.totalConstant), n)
	r.printf("  Metrics: state migration time %.3fms (max per step) %s (< 500ms), steps: %d\n\n",
		ms(r.res.migrationMax), mark(r.res.migrationMax < 500*time.Millisecond), r.res.migrationSteps)

	r.printf("=== Phase 3: Garbage Collection v1 (t=90s) ===\n")
	before := r.metrics()[2].Frames
	startFrame := r.frame
	r.runUntil(100)
	after := r.metrics()[2].Frames
	r.res.v2Continuous = int(after-before) == r.frame-startFrame
	loaded, _ := r.e.Loaded(module)
	if g := r.res.gc; g != nil && g.Version == 1 {
		r.res.gcTrigger = g.IdleFor
		r.printf("  v1 unused for %.2fs → auto GC\n", g.IdleFor.Seconds())
		r.printf("  %s v1 unloaded automatically (loaded now: %v)\n", mark(!slices.Contains(loaded, 1)), loaded)
		r.printf("  %s v2 continues without interruption (%d of %d frames served, %d entities)\n",
			mark(r.res.v2Continuous), after-before, r.frame-startFrame, r.verify()[2])
		r.printf("  ✓ Memory freed: %.3fMB of the %.3fMB v1 held (%.1f%%)\n",
			float64(g.Freed)/1e6, float64(g.MemoryBytes)/1e6, r.gcEfficiency())
		r.printf("  Metrics: GC trigger time %.2fs, GC efficiency %.1f%% %s (> 95%%), GC time %.2fms %s (< 100ms)\n\n",
			g.IdleFor.Seconds(), r.gcEfficiency(), mark(r.gcEfficiency() >= 95), ms(g.Duration), mark(g.Duration < 100*time.Millisecond))
	} else {
		r.printf("  ✗ v1 was not garbage-collected\n\n")
	}

	r.printf("=== Phase 4: Emergency Rollback v2 → v1 (t=100s) ===\n")
	r.printf("  Simulating critical bug in v2 (%s)...\n", map[string]string{
		"panic": "collision detection panics", "nan": "collision detection writes NaN into the state",
		"lag": "collision detection stalls past the frame budget"}[r.opt.fault])
	r.metrics()
	missed0 := r.res.framesMissed
	r.armFault() // through the engine, so that a journal records it
	r.expectRollback = true
	r.tick(true)
	r.expectRollback = false
	rb := r.res.rollback
	counts = r.verify()
	r.metrics()
	r.res.framesMissed -= missed0
	if rb != nil && r.fault.Fired() == 1 {
		r.printf("  ⚠️ v2 error detected: %v\n", rb.Err)
		r.printf("  Rollback sequence:\n    1. State backup from before the failing frame\n")
		r.printf("    2. %s v1\n    3. State restored from backup and migrated v2→v1 (%d entities)\n", map[bool]string{true: "Reloaded", false: "Reused"}[rb.Reloaded], rb.Entities)
		r.printf("    4. Traffic redirected to v1 and served in the same frame: %s\n", mark(rb.Served))
		r.printf("  %s State restored (%d entities on v1)\n", mark(counts[1] == n), counts[1])
		r.printf("  Metrics: rollback time %.2fms %s (< 200ms), downtime %.2fms %s (< 1000ms), frames missed %d %s\n\n",
			ms(rb.Duration), mark(rb.Duration < 200*time.Millisecond), ms(rb.Downtime), mark(rb.Downtime < time.Second),
			r.res.framesMissed, mark(r.res.framesMissed == 0))
	} else {
		r.printf("  ✗ no rollback happened\n\n")
	}
	r.runUntil(120)

	r.printf("=== Phase 5: Three-Way Coexistence (v1, v2, v3) (t=120s..150s) ===\n")
	loaded, _ = r.e.Loaded(module)
	if slices.Contains(loaded, 2) {
		r.control("reload fixed v2", func() error { return r.e.Reload(module, 2) })
		r.printf("  Fixed v2 reloaded\n")
	} else {
		r.load(2)
		r.printf("  Fixed v2 loaded again in %.2fms (the failed instance had been garbage-collected)\n", ms(r.res.loadTimes[2]))
	}
	r.printf("  Loading GameLogicModule v3 (optimized)...\n")
	r.load(3)
	r.printf("  ✓ v3 loaded in %.2fms\n", ms(r.res.loadTimes[3]))
	r.printf("  Configuring 3-way traffic split: 20%% v1, 30%% v2, 50%% v3\n")
	three := map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}
	r.control("3-way split", func() error { return r.e.SetSplit(module, three) })
	counts = r.distribution(three)
	r.res.threeWay = counts[1] > 0 && counts[2] > 0 && counts[3] > 0
	start := r.metrics()
	r.runUntil(150)
	end := r.metrics()
	counts = r.verify()
	r.res.perf = map[int]perf{}
	r.printf("  %s 3 versions coexisting\n", mark(r.res.threeWay && len(end) == 3))
	r.printf("  %s Memory isolation: %s (%d isolation violations)\n", mark(r.isolated()), r.isolation(), r.res.violations)
	r.printf("  Performance comparison (mean step over phase 5):\n")
	for v := 1; v <= 3; v++ {
		frames := end[v].Frames - start[v].Frames
		if frames == 0 || counts[v] == 0 {
			continue
		}
		total := time.Duration(end[v].Frames)*end[v].MeanStep - time.Duration(start[v].Frames)*start[v].MeanStep
		p := perf{perFrame: total / time.Duration(frames)}
		p.perEntity = float64(p.perFrame.Nanoseconds()) / float64(counts[v])
		r.res.perf[v] = p
		extra := ""
		if c, ok := end[v].Custom["pairs"]; ok {
			extra = fmt.Sprintf(", %.0f overlapping pairs last frame", c)
		}
		r.printf("    v%d: %v/frame for %d entities (%.1f ns/entity), p99 %v%s\n",
			v, p.perFrame, counts[v], p.perEntity, end[v].P99Step, extra)
	}
	r.printf("\n")
}

func (r *runner) isolated() bool {
	return r.res.checked > 0 && r.res.matched == r.res.checked && r.res.violations == 0
}

func (r *runner) isolationPercent() float64 {
	// Every isolation violation the engine's checksums caught counts as one
	// more failed check.
	if r.res.checked == 0 {
		return 0
	}
	return 100 * float64(r.res.matched) / float64(r.res.checked+r.res.violations)
}

func (r *runner) isolation() string { return fmt.Sprintf("%.1f%%", r.isolationPercent()) }

func (r *runner) gcEfficiency() float64 {
	if r.res.gc == nil || r.res.gc.MemoryBytes == 0 {
		return 0
	}
	return 100 * float64(r.res.gc.Freed) / float64(r.res.gc.MemoryBytes)
}

package deploy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/grove-engine/grove/internal/selection"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// sample is what one version did in one frame.
type sample struct {
	at       time.Duration
	entities int
	step     time.Duration
	soft     int
	failed   bool
}

// ring keeps the most recent values of a sample, up to its capacity. The
// order of values does not matter to the tests that read them.
type ring struct {
	buf []float64
	n   int // values added in all
}

func (r *ring) add(x float64, capacity int) {
	if len(r.buf) < capacity {
		r.buf = append(r.buf, x)
	} else {
		r.buf[r.n%capacity] = x
	}
	r.n++
}

func (r *ring) reset()            { r.buf, r.n = r.buf[:0], 0 }
func (r *ring) values() []float64 { return r.buf }

// series is one version's observations: the sliding window, the current
// step's samples and the rollout's totals.
type series struct {
	v     int
	win   []sample
	head  int // first sample still in the window
	state versioning.State
	// Window sums.
	wEntitySteps, wErrors, wFailed int64
	wStep                          time.Duration // over stepped frames that did not fail
	wSteppedEntities               int64
	// This step.
	stepNs                 ring
	custom                 map[string]*ring
	stepFrames             int
	stepEntitySteps        int64
	stepErrors, stepEvents int64
	// The whole rollout.
	entitySteps, events int64
	consecutive         int
	// Latest measurements.
	entities     int
	memPerEntity float64
}

func (s *series) add(x sample, window time.Duration) {
	s.win = append(s.win, x)
	s.account(x, 1)
	for s.head < len(s.win) && x.at-s.win[s.head].at >= window {
		s.account(s.win[s.head], -1)
		s.head++
	}
	if s.head > 256 && s.head > len(s.win)/2 {
		n := copy(s.win, s.win[s.head:])
		s.win, s.head = s.win[:n], 0
	}
}

func (s *series) account(x sample, sign int64) {
	s.wEntitySteps += sign * int64(x.entities)
	s.wErrors += sign * int64(x.soft)
	if x.failed {
		s.wFailed += sign
		s.wErrors += sign * int64(x.entities)
	} else {
		s.wStep += time.Duration(sign) * x.step
		s.wSteppedEntities += sign * int64(x.entities)
	}
}

// errorRate is the window's (soft errors + entity-steps of failed steps)
// per entity-step.
func (s *series) errorRate() float64 {
	if s.wEntitySteps == 0 {
		return 0
	}
	return float64(s.wErrors) / float64(s.wEntitySteps)
}

// meanNs is the window's mean step time per entity, in ns.
func (s *series) meanNs() float64 {
	if s.wSteppedEntities == 0 {
		return 0
	}
	return float64(s.wStep.Nanoseconds()) / float64(s.wSteppedEntities)
}

func (s *series) health() float64 {
	h, err := stats.HealthScore(stats.HealthInput{Requests: s.wEntitySteps, Errors: min(s.wErrors, s.wEntitySteps),
		MeanLatency: time.Duration(s.meanNs())}, stats.HealthPolicy{})
	if err != nil {
		return math.NaN()
	}
	return h
}

func (s *series) newStep() {
	s.stepNs.reset()
	for _, r := range s.custom {
		r.reset()
	}
	s.stepFrames, s.stepEntitySteps, s.stepErrors, s.stepEvents = 0, 0, 0, 0
}

// pairTest is the sequential error test of one candidate against the
// baseline.
type pairTest struct {
	cand int
	t    shareTest
}

// analyzer turns per-frame observations into a [Result]. It is not safe for
// concurrent use; the controller owns it.
type analyzer struct {
	cfg        Analysis
	baseline   int   // 0: none
	cands      []int // the versions under test
	series     map[int]*series
	order      []int // tracked versions, ascending
	tests      []pairTest
	steps      int // planned steps, for the α split
	stepIdx    int
	looks      int
	nextLook   int
	cont       map[int][]MetricResult // per candidate, the latest look's continuous metrics
	p99        map[int]MetricResult   // per candidate, the step's p99 test
	gatingCont int
	scratch    []float64
	// buf is the metrics of the last evaluate, reused.
	buf []MetricResult
	// compare marks an experiment (an A/B test): the error test is
	// reported, not gating; the continuous checks are turned off by the
	// caller.
	compare bool
}

func newAnalyzer(cfg Analysis, baseline int, cands []int, steps int) *analyzer {
	a := &analyzer{cfg: cfg, baseline: baseline, cands: slices.Clone(cands), series: map[int]*series{},
		steps: max(steps, 1), nextLook: cfg.MinSamples, cont: map[int][]MetricResult{}, p99: map[int]MetricResult{}}
	track := append(slices.Clone(cands), baseline)
	for _, v := range track {
		if v == 0 || a.series[v] != nil {
			continue
		}
		a.series[v] = &series{v: v, custom: map[string]*ring{}}
		a.order = append(a.order, v)
	}
	slices.Sort(a.order)
	for _, c := range cands {
		if c != baseline && baseline != 0 {
			a.tests = append(a.tests, pairTest{cand: c, t: newShareTest(cfg.Alpha / 2 / float64(max(len(cands), 1)))})
		}
	}
	for _, c := range []Check{cfg.StepTime, cfg.P99StepTime} {
		if c.gating() {
			a.gatingCont++
		}
	}
	for _, c := range cfg.Custom {
		if c.Check.gating() {
			a.gatingCont++
		}
	}
	return a
}

// newStep starts a new step: the continuous metrics are sampled and tested
// afresh (the split changed), the sequential test carries on.
func (a *analyzer) newStep() {
	a.stepIdx++
	a.looks, a.nextLook = 0, a.cfg.MinSamples
	clear(a.cont)
	clear(a.p99)
	for _, s := range a.series {
		s.newStep()
	}
}

// ingest adds one frame's observations. mm may be nil: memory and the
// logic's metrics are then not refreshed this frame.
func (a *analyzer) ingest(now time.Duration, last []versioning.FrameStat, mm *versioning.ModuleMetrics, states map[int]versioning.State) {
	cfg := &a.cfg
	find := func(v int) (sample, bool) {
		for _, fs := range last {
			if fs.Version == v {
				return sample{at: now, entities: fs.Entities, step: fs.Step, soft: fs.SoftErrors, failed: fs.Failed}, true
			}
		}
		return sample{}, false
	}
	for _, v := range a.order {
		s := a.series[v]
		x, ok := find(v)
		if !ok {
			continue
		}
		s.add(x, cfg.Window)
		s.stepEntitySteps += int64(x.entities)
		s.entitySteps += int64(x.entities)
		ev := x.events()
		if x.failed {
			s.consecutive++
			s.stepErrors += int64(x.entities)
		} else {
			s.consecutive = 0
			if x.entities > 0 {
				s.stepNs.add(float64(x.step.Nanoseconds())/float64(x.entities), cfg.MaxSamples)
				s.stepFrames++
			}
		}
		s.stepErrors += int64(x.soft)
		s.stepEvents += ev
		s.events += ev
		if st, ok := states[v]; ok {
			s.state = st
		}
	}
	if mm != nil {
		for _, vm := range mm.Versions {
			s := a.series[vm.Version]
			if s == nil {
				continue
			}
			s.entities = vm.Entities
			if vm.Entities > 0 {
				s.memPerEntity = float64(vm.MemoryBytes) / float64(vm.Entities)
			}
			if x, ok := find(vm.Version); ok && !x.failed && x.entities > 0 {
				for _, c := range cfg.Custom {
					if val, ok := vm.Custom[c.Name]; ok && !math.IsNaN(val) && !math.IsInf(val, 0) {
						r := s.custom[c.Name]
						if r == nil {
							r = &ring{}
							s.custom[c.Name] = r
						}
						r.add(val, cfg.MaxSamples)
					}
				}
			}
		}
	}
	// The sequential test: every error event (a soft error, a failed step)
	// lands on the canary with probability R·Ec / (R·Ec + Eb) under H0,
	// where Ec and Eb are the entities each stepped this frame.
	if b, ok := find(a.baseline); ok && b.entities > 0 {
		eb := int(b.events())
		for i := range a.tests {
			c, ok := find(a.tests[i].cand)
			if !ok || c.entities == 0 {
				continue
			}
			ec := int(c.events())
			r := cfg.MaxErrorRatio * float64(c.entities)
			a.tests[i].t.observe(ec, ec+eb, r/(r+float64(b.entities)))
		}
	}
	a.maybeLook()
}

// needsMetrics reports whether the next ingest should read the engine's
// metrics ([versioning.Engine.Metrics] sorts every version's recent step
// times): every frame when the logic's own metrics are judged, else every
// 128th frame and at the start of a step (memory changes only when
// entities move).
func (a *analyzer) needsMetrics(frame uint64) bool {
	if len(a.cfg.Custom) > 0 || frame%128 == 0 {
		return true
	}
	for _, s := range a.series {
		if s.stepFrames == 0 {
			return true
		}
	}
	return false
}

// maybeLook tests the continuous metrics when every compared version has
// stepped nextLook frames in this step (MinSamples, then each time the
// sample doubles).
func (a *analyzer) maybeLook() {
	if a.nextLook <= 0 {
		return
	}
	for _, v := range a.order {
		if a.series[v].stepFrames < a.nextLook {
			return
		}
	}
	a.looks++
	a.nextLook *= 2
	// α/2 for the continuous metrics, split over the steps, the gating
	// metrics and the candidates; within a step the j-th look spends
	// 2^-j of that, so all looks together spend at most the step's share.
	alpha := a.cfg.Alpha / 2 / float64(a.steps*max(a.gatingCont, 1)*max(len(a.tests), 1)) / math.Ldexp(1, a.looks)
	for _, c := range a.cands {
		if c != a.baseline {
			a.cont[c] = a.continuous(c, alpha)
		}
	}
}

// continuous tests the candidate's continuous metrics at level alpha.
func (a *analyzer) continuous(c int, alpha float64) []MetricResult {
	cs := a.series[c]
	var bs *series
	if a.baseline != 0 {
		bs = a.series[a.baseline]
	}
	var bStep []float64
	if bs != nil {
		bStep = bs.stepNs.values()
	}
	// The p99's permutation test is tested once per step, at the first
	// look, with the step's whole share of α, on the last p99Window
	// frames; later looks keep its verdict.
	p99, ok := a.p99[c]
	if !ok {
		own := cs.stepNs.values()
		p99 = a.judge(MetricP99StepTime, a.cfg.P99StepTime, c, own[max(0, len(own)-p99Window):], bStep[max(0, len(bStep)-p99Window):], false, true, 2*alpha)
		a.p99[c] = p99
	}
	out := []MetricResult{a.judge(MetricStepTime, a.cfg.StepTime, c, cs.stepNs.values(), bStep, false, false, alpha), p99}
	for _, cc := range a.cfg.Custom {
		var own, other []float64
		if r := cs.custom[cc.Name]; r != nil {
			own = r.values()
		}
		if bs != nil && bs.custom[cc.Name] != nil {
			other = bs.custom[cc.Name].values()
		}
		m := a.judge("custom:"+cc.Name, cc.Check, c, own, other, cc.HigherIsBetter, false, alpha)
		if len(own) == 0 {
			m.Verdict, m.Note = stats.Inconclusive, "not reported"
		}
		out = append(out, m)
	}
	return out
}

// judge compares a candidate's samples with the baseline's against a check.
// Absolute limits are thresholds on the point estimate; a Ratio is tested:
// the canary against the baseline's samples scaled by the ratio, so H0 is
// "the canary is distributed as Ratio × the baseline". It fails when the
// canary is significantly above that (p ≤ alpha), passes when it is
// significantly below, and is inconclusive otherwise.
func (a *analyzer) judge(metric string, chk Check, c int, cs, bs []float64, higherBetter, p99 bool, alpha float64) MetricResult {
	m := MetricResult{Metric: metric, Version: c, Baseline: a.baseline, P: math.NaN(), Method: MethodReport,
		Samples: len(cs), BaselineSamples: len(bs), Gating: chk.gating(), Verdict: stats.Pass}
	stat := mean
	if p99 {
		stat = a.quantile99
	}
	if len(cs) == 0 {
		m.Verdict, m.Note = stats.Inconclusive, "no samples"
		return m
	}
	m.Value = stat(cs)
	if len(bs) > 0 {
		m.BaselineValue = stat(bs)
		if m.BaselineValue != 0 {
			m.Ratio = m.Value / m.BaselineValue
		}
	}
	if chk.Max == 0 && chk.Ratio == 0 {
		m.Note = "report only"
		return m
	}
	worse := func(x, limit float64) bool {
		if higherBetter {
			return x < limit
		}
		return x > limit
	}
	if chk.Max > 0 {
		m.Limit, m.Method = chk.Max, MethodThreshold
		if worse(m.Value, chk.Max) {
			m.Verdict, m.Note = stats.Fail, "beyond the absolute limit"
			return m
		}
	}
	if chk.Ratio == 0 {
		return m
	}
	if len(bs) == 0 {
		m.Verdict, m.Note = stats.Inconclusive, "no baseline samples"
		return m
	}
	f := chk.Ratio
	if higherBetter {
		f = 1 / f
	}
	scaled := make([]float64, len(bs))
	for i, x := range bs {
		scaled[i] = x * f
	}
	m.Limit = m.BaselineValue * f
	var pWorse, pBetter float64
	if p99 {
		res, err := a.p99Test(c, cs, scaled, alpha)
		if err != nil {
			m.Verdict, m.Note = stats.Inconclusive, err.Error()
			return m
		}
		pWorse, pBetter = res.PGreater, res.PLess
		m.Method, m.Note = MethodPermute, fmt.Sprintf("%d random splits", res.Splits)
		if res.Exhaustive {
			m.Note = "exact, every split"
		}
	} else {
		res, err := stats.RankSum(cs, scaled)
		if err != nil {
			m.Verdict, m.Note = stats.Inconclusive, err.Error()
			return m
		}
		pWorse, pBetter = res.PGreater, res.PLess
		m.Method, m.Note = MethodRankSum, res.Method.String()
	}
	if higherBetter {
		pWorse, pBetter = pBetter, pWorse
	}
	switch {
	case pWorse <= alpha:
		m.Verdict, m.P = stats.Fail, pWorse
		m.Note += fmt.Sprintf(", α=%.2g", alpha)
	case pBetter <= alpha && m.Verdict != stats.Fail:
		m.Verdict, m.P = stats.Pass, pBetter
	default:
		m.Verdict, m.P = stats.Inconclusive, pWorse
		m.Note += fmt.Sprintf(", not significant at α=%.2g", alpha)
	}
	return m
}

// p99Window is the number of recent frames of each version the p99 test
// compares.
const p99Window = 64

// p99Test is the permutation test of the p99s. While both samples hold at
// most 100 values their p99 is their maximum, and the exact test takes
// microseconds (stats.MaxDiffTest); larger samples draw random splits, up
// to 20,000, which takes milliseconds.
func (a *analyzer) p99Test(c int, cs, bs []float64, alpha float64) (stats.PermutationResult, error) {
	isMax := func(n int) bool { return (n*99+99)/100-1 == n-1 }
	if isMax(len(cs)) && isMax(len(bs)) {
		return stats.MaxDiffTest(cs, bs)
	}
	rounds := int(math.Min(20000, math.Max(999, math.Ceil(20/alpha))))
	t := stats.PermutationTest{Rounds: rounds, Statistic: func(x, y []float64) float64 { return a.quantile99(x) - a.quantile99(y) }}
	rng := rand.New(rand.NewPCG(a.cfg.Seed, uint64(a.stepIdx)<<32|uint64(a.looks)<<16|uint64(c)))
	return t.Run(cs, bs, rng)
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// quantile99 is the 99th percentile of x (the ⌈0.99·n⌉-th smallest), by
// selection on a scratch copy: x is not modified.
func (a *analyzer) quantile99(x []float64) float64 {
	a.scratch = append(a.scratch[:0], x...)
	k := (len(x)*99+99)/100 - 1
	return selection.Nth(a.scratch, k)
}

// evaluate returns the analysis as of the last frame ingested. Its
// Metrics slice is reused by the next call: copy what must outlive it.
func (a *analyzer) evaluate() Result {
	cfg := &a.cfg
	var r Result
	r.Metrics = a.buf[:0]
	defer func() { a.buf = r.Metrics }()
	r.Looks = a.looks
	var bs *series
	if a.baseline != 0 {
		bs = a.series[a.baseline]
		r.BaselineSamples = bs.stepFrames
	}
	ready, first := true, true
	for _, c := range a.cands {
		if c == a.baseline {
			continue
		}
		s := a.series[c]
		if first || s.stepFrames < r.Samples {
			r.Samples, first = s.stepFrames, false
		}
		if s.stepEntitySteps == 0 {
			r.ZeroTraffic = true
		}
		if s.stepFrames < cfg.MinSamples || s.wEntitySteps < int64(cfg.MinEntitySteps) {
			ready = false
		}
		if s.state == versioning.StateFailed {
			r.Metrics = append(r.Metrics, MetricResult{Metric: MetricEngine, Version: c, P: math.NaN(), Method: MethodThreshold,
				Verdict: stats.Fail, Gating: true, Note: "the engine failed the version"})
		}
		// The circuit breaker.
		m := MetricResult{Metric: MetricErrorRate, Version: c, Value: s.errorRate(), Limit: cfg.MaxErrorRate, P: math.NaN(),
			Method: MethodThreshold, Samples: int(s.wEntitySteps), Gating: true}
		if bs != nil {
			m.Baseline, m.BaselineValue, m.BaselineSamples = a.baseline, bs.errorRate(), int(bs.wEntitySteps)
		}
		switch {
		case s.wEntitySteps >= int64(cfg.MinEntitySteps) && m.Value > cfg.MaxErrorRate:
			m.Verdict, m.Note, r.Breaker = stats.Fail, "circuit breaker", true
		case s.wEntitySteps >= int64(cfg.MinEntitySteps):
			m.Verdict = stats.Pass
		default:
			m.Note = "too few entity-steps in the window"
		}
		r.Metrics = append(r.Metrics, m)
		// The sequential test against the baseline.
		for i := range a.tests {
			t := &a.tests[i]
			if t.cand != c {
				continue
			}
			m := MetricResult{Metric: MetricErrors, Version: c, Baseline: a.baseline, Value: rate(s.events, s.entitySteps),
				BaselineValue: rate(bs.events, bs.entitySteps), P: t.t.pValue(), Method: MethodSequential,
				Samples: int(t.t.x), BaselineSamples: int(t.t.n - t.t.x), Gating: !a.compare}
			m.Limit = cfg.MaxErrorRatio * m.BaselineValue
			if m.BaselineValue > 0 {
				m.Ratio = m.Value / m.BaselineValue
			}
			switch {
			case t.t.rejected():
				m.Verdict, m.Note = stats.Fail, fmt.Sprintf("e-value reached 1/α at event %d", t.t.rejAt)
			case s.entitySteps >= int64(cfg.MinEntitySteps):
				m.Verdict, m.Note = stats.Pass, "no evidence of more errors"
			default:
				m.Note = "too few entity-steps"
			}
			r.Metrics = append(r.Metrics, m)
		}
		// Failure limits.
		m = MetricResult{Metric: MetricFailures, Version: c, Value: float64(s.wFailed), Limit: float64(cfg.FailureLimit),
			P: math.NaN(), Method: MethodThreshold, Verdict: stats.Pass, Gating: cfg.FailureLimit > 0}
		if cfg.FailureLimit > 0 && s.wFailed > int64(cfg.FailureLimit) {
			m.Verdict = stats.Fail
		}
		if cfg.FailureLimit == 0 {
			m.Method, m.Note = MethodReport, "no limit"
		}
		r.Metrics = append(r.Metrics, m)
		m = MetricResult{Metric: MetricConsecutive, Version: c, Value: float64(s.consecutive), Limit: float64(cfg.ConsecutiveLimit),
			P: math.NaN(), Method: MethodThreshold, Verdict: stats.Pass, Gating: true}
		if s.consecutive >= cfg.ConsecutiveLimit {
			m.Verdict = stats.Fail
		}
		r.Metrics = append(r.Metrics, m)
		// Continuous metrics, as of the latest look.
		if cont, ok := a.cont[c]; ok {
			r.Metrics = append(r.Metrics, cont...)
		} else {
			wait := func(name string, chk Check) {
				m := MetricResult{Metric: name, Version: c, Baseline: a.baseline, P: math.NaN(), Method: MethodReport,
					Samples: s.stepFrames, Gating: chk.gating(), Verdict: stats.Inconclusive,
					Note: "collecting samples"}
				if bs != nil {
					m.BaselineSamples = bs.stepFrames
				}
				r.Metrics = append(r.Metrics, m)
			}
			wait(MetricStepTime, cfg.StepTime)
			wait(MetricP99StepTime, cfg.P99StepTime)
			for _, cc := range cfg.Custom {
				wait("custom:"+cc.Name, cc.Check)
			}
		}
		// Memory per entity: a deterministic measurement, no test.
		m = MetricResult{Metric: MetricMemory, Version: c, Value: s.memPerEntity, P: math.NaN(), Method: MethodThreshold,
			Gating: cfg.Memory.gating(), Verdict: stats.Pass, Samples: s.entities}
		if bs != nil {
			m.Baseline, m.BaselineValue, m.BaselineSamples = a.baseline, bs.memPerEntity, bs.entities
			if bs.memPerEntity > 0 {
				m.Ratio = s.memPerEntity / bs.memPerEntity
			}
		}
		switch {
		case !cfg.Memory.gating():
			m.Method, m.Note = MethodReport, "report only"
		case s.entities == 0:
			m.Verdict, m.Note = stats.Inconclusive, "no entities"
		default:
			if cfg.Memory.Max > 0 {
				m.Limit = cfg.Memory.Max
			}
			if cfg.Memory.Ratio > 0 && bs != nil && bs.memPerEntity > 0 {
				if l := cfg.Memory.Ratio * bs.memPerEntity; m.Limit == 0 || l < m.Limit {
					m.Limit = l
				}
			}
			if m.Limit > 0 && m.Value > m.Limit {
				m.Verdict = stats.Fail
			}
		}
		r.Metrics = append(r.Metrics, m)
		r.Metrics = append(r.Metrics, MetricResult{Metric: MetricHealth, Version: c, Value: s.health(), P: math.NaN(),
			Method: MethodReport, Samples: int(s.wEntitySteps), Verdict: stats.Pass, Note: "seed's health score"})
	}
	if bs != nil && bs.stepFrames < cfg.MinSamples {
		ready = false
	}
	if a.gatingCont > 0 && a.looks == 0 {
		ready = false
	}
	r.Ready = ready
	gatingFirst := func(x, y MetricResult) int {
		switch {
		case x.Gating == y.Gating:
			return 0
		case x.Gating:
			return -1
		}
		return 1
	}
	if !slices.IsSortedFunc(r.Metrics, gatingFirst) {
		slices.SortStableFunc(r.Metrics, gatingFirst)
	}
	r.Verdict = stats.Inconclusive
	if _, failed := r.Failure(); failed {
		r.Verdict = stats.Fail
	} else if ready {
		r.Verdict = stats.Pass
		for _, m := range r.Metrics {
			if m.Gating && m.Verdict != stats.Pass {
				r.Verdict = stats.Inconclusive
			}
		}
	}
	return r
}

func rate(events, steps int64) float64 {
	if steps == 0 {
		return 0
	}
	return float64(events) / float64(steps)
}

// health returns a version's health score over the window, NaN if the
// version is not tracked.
func (a *analyzer) health(v int) float64 {
	if s := a.series[v]; s != nil {
		return s.health()
	}
	return math.NaN()
}

// events is the sample's error events: each soft error, and a failed step
// once (a failure is one event of the version, not one per entity).
func (x sample) events() int64 {
	ev := int64(x.soft)
	if x.failed {
		ev++
	}
	return ev
}

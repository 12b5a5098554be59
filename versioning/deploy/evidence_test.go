package deploy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// With a constant share, the varying-share test is stats.SeqBinomial.
func TestShareTestMatchesSeqBinomial(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, share := range []float64{0.05, 0.1, 0.3, 0.5, 0.8} {
		ref, err := stats.NewSeqBinomial(stats.SeqSettings{Share: share})
		require.NoError(t, err)
		mine := newShareTest(stats.DefaultAlpha)
		for range 200 {
			n := rng.IntN(20)
			x := 0
			for range n {
				if rng.Float64() < share*1.3 {
					x++
				}
			}
			require.NoError(t, ref.Observe(x, n))
			mine.observe(x, n, share)
			lr := ref.Result()
			assert.InDelta(t, lr.PValue, mine.pValue(), 1e-9*math.Max(1, lr.PValue))
			assert.Equal(t, lr.Rejected, mine.rejected())
		}
	}
}

func TestBinomialTails(t *testing.T) {
	brute := func(x, n int64, p float64) float64 {
		var s float64
		for k := x; k <= n; k++ {
			lc, _ := math.Lgamma(float64(n + 1))
			a, _ := math.Lgamma(float64(k + 1))
			b, _ := math.Lgamma(float64(n - k + 1))
			s += math.Exp(lc - a - b + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		}
		return s
	}
	for _, n := range []int64{1, 5, 20, 77} {
		for _, p := range []float64{0.01, 0.2, 0.5, 0.9} {
			for x := int64(0); x <= n+1; x++ {
				assert.InDelta(t, brute(x, n, p), binomialUpper(x, n, p), 1e-9, "P(X≥%d | %d, %v)", x, n, p)
				assert.InDelta(t, 1-brute(x+1, n, p), binomialLower(x, n, p), 1e-9, "P(X≤%d | %d, %v)", x, n, p)
			}
		}
	}
	assert.Less(t, binomialUpper(600, 1000, 0.5), 1e-9)
}

// synth feeds an analyzer synthetic frames of a canary (v2) and a baseline
// (v1): error events with a Poisson total split by the exact model, and
// step times per entity with log-normal noise.
type synth struct {
	rng          *rand.Rand
	n            int
	share        float64
	rateB, rateC float64
	costB, costC float64
	noise        float64
}

func poisson(rng *rand.Rand, lambda float64) int {
	if lambda > 50 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (s *synth) frame() []frameStat {
	ec := int(math.Round(s.share * float64(s.n)))
	eb := s.n - ec
	lc, lb := s.rateC*float64(ec), s.rateB*float64(eb)
	total := poisson(s.rng, lc+lb)
	x := 0
	for range total {
		if s.rng.Float64() < lc/(lc+lb) {
			x++
		}
	}
	cost := func(e int, c float64) float64 { return float64(e) * c * math.Exp(s.noise*s.rng.NormFloat64()) }
	return []frameStat{{1, eb, cost(eb, s.costB), total - x}, {2, ec, cost(ec, s.costC), x}}
}

// TestFalseAlarmRate runs many seeded canaries with no real difference
// through the analysis (errors and step time, four steps, every look) and
// counts those it would roll back: at most α.
func TestFalseAlarmRate(t *testing.T) {
	runs := 400
	if testing.Short() || raceDetector {
		runs = 100
	}
	alarms := 0
	for seed := range runs {
		s := &synth{rng: rand.New(rand.NewPCG(uint64(seed), 99)), n: 2000, rateB: 0.02, rateC: 0.02, costB: 50, costC: 50, noise: 0.1}
		cfg := Analysis{StepTime: Check{Ratio: 1}, Seed: uint64(seed)}.withDefaults()
		a := newAnalyzer(cfg, 1, []int{2}, 4)
		if s.runSteps(a, []float64{0.1, 0.3, 0.5, 0.8}, 300) >= 0 {
			alarms++
		}
	}
	rate := float64(alarms) / float64(runs)
	t.Logf("false alarms: %d of %d runs (%.2f%%), α = 5%%", alarms, runs, 100*rate)
	assert.LessOrEqual(t, rate, 0.05)
}

// runSteps runs the steps, frames each, and returns the frame (counted
// from the first) at which the analysis first failed, or -1.
func (s *synth) runSteps(a *analyzer, shares []float64, frames int) int {
	f := 0
	for i, sh := range shares {
		if i > 0 {
			a.newStep()
		}
		s.share = sh
		for range frames {
			f++
			looks := a.looks
			s.feed(a, f)
			if a.looks != looks || a.tests[0].t.rejected() {
				if r := a.evaluate(); r.Verdict == stats.Fail {
					return f
				}
			}
		}
	}
	return -1
}

func TestDetectsTwiceTheErrors(t *testing.T) {
	worst := 0
	for seed := range 50 {
		s := &synth{rng: rand.New(rand.NewPCG(uint64(seed), 3)), n: 10000, rateB: 0.01, rateC: 0.02, costB: 50, costC: 50, noise: 0.1}
		a := newAnalyzer(Analysis{Seed: uint64(seed)}.withDefaults(), 1, []int{2}, 5)
		f := s.runSteps(a, []float64{0.1}, 600)
		require.Positive(t, f, "seed %d: a 2× error rate was never detected", seed)
		r := a.evaluate()
		fm, _ := r.Failure()
		assert.Equal(t, MetricErrors, fm.Metric)
		worst = max(worst, f)
	}
	t.Logf("2× error rate at a 10%% canary of 10,000 entities (1%% → 2%%): detected within %d frames", worst)
	assert.LessOrEqual(t, worst, 60, "within one second at 60 fps")
}

func TestDetectsTwiceTheStepTime(t *testing.T) {
	for _, p99 := range []bool{false, true} {
		worst := 0
		for seed := range 30 {
			s := &synth{rng: rand.New(rand.NewPCG(uint64(seed), 4)), n: 10000, costB: 50, costC: 100, noise: 0.2}
			cfg := Analysis{Seed: uint64(seed)}
			if p99 {
				cfg.StepTime, cfg.P99StepTime = Check{Off: true}, Check{Ratio: 1.2}
			}
			a := newAnalyzer(cfg.withDefaults(), 1, []int{2}, 5)
			f := s.runSteps(a, []float64{0.1}, 600)
			require.Positive(t, f, "seed %d: a 2× slowdown was never detected", seed)
			worst = max(worst, f)
		}
		t.Logf("2× step time per entity (p99 test %v): detected within %d frames", p99, worst)
		assert.LessOrEqual(t, worst, 30, "at the first look, MinSamples frames in")
	}
}

// frameStat is a compact versioning.FrameStat for synth.
type frameStat struct {
	v, entities int
	stepNs      float64
	soft        int
}

func (s *synth) feed(a *analyzer, f int) {
	now := frame * time.Duration(f)
	var last []versioning.FrameStat
	var mm versioning.ModuleMetrics
	for _, x := range s.frame() {
		last = append(last, versioning.FrameStat{Version: x.v, Entities: x.entities, Step: time.Duration(x.stepNs), SoftErrors: x.soft})
		mm.Versions = append(mm.Versions, versioning.VersionMetrics{Version: x.v, Entities: x.entities, MemoryBytes: 100 * x.entities})
	}
	a.ingest(now, last, &mm, nil)
}

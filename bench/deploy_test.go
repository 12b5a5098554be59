package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
)

// BenchmarkDeploy measures what versioning/deploy adds to a frame: one
// orchestrator Step (sampling the frame, the analysis, the decision) after
// each Tick of an engine with n entities over three versions, v1, v2 and
// v3, with the real wall clock. Both are timed in the same loop, so
// overhead-% (Step over Tick, total time) and median-overhead-% (the
// medians per frame) are honest on a noisy machine. Target: ≤ 1%.
//
// The rollouts never end during the benchmark (long intervals, lenient
// thresholds), so every Step does the full work: the sequential error test
// and the breaker every frame, and the rank-sum and permutation tests at
// each look (30, 60, 120, ... frames), amortised over the frames.
//
//   - strategy=canary: v3 canary at 10% over v1 and v2 at 45% each, with
//     the mean (rank-sum) and the p99 (permutation) step time gating.
//   - strategy=ab-test: v1/v2/v3 at 20/30/50.
//   - strategy=shadow: v3 shadowing v1 and v2 on 256 entities; this also
//     steps the candidate's logic on the copies, which is the shadow's own
//     work rather than analysis.
func BenchmarkDeploy(b *testing.B) {
	analysis := deploy.Analysis{StepTime: deploy.Check{Ratio: 100}, P99StepTime: deploy.Check{Ratio: 100}}
	for _, n := range []int{100000} {
		for _, c := range []struct {
			name string
			spec deploy.Spec
		}{
			{"canary", deploy.Spec{Candidate: 3, Baseline: 2, Analysis: analysis,
				Strategy: deploy.Canary{Interval: time.Hour, ProgressDeadline: 2 * time.Hour}}},
			{"ab-test", deploy.Spec{Candidate: 3, Baseline: 2, Analysis: analysis,
				Strategy: deploy.ABTest{Weights: map[int]float64{1: 20, 2: 30, 3: 50}, Duration: time.Hour, ProgressDeadline: 2 * time.Hour}}},
			{"shadow", deploy.Spec{Candidate: 3, Baseline: 2, Analysis: analysis,
				Strategy: deploy.Shadow{Duration: time.Hour, ProgressDeadline: 2 * time.Hour}}},
		} {
			b.Run(fmt.Sprintf("strategy=%s/n=%d", c.name, n), func(b *testing.B) {
				e := engine(b, n, []int{1, 2, 3}, versioning.WithFrameBudget(0))
				must(b, e.SetSplit("game", map[int]float64{1: 0.5, 2: 0.5}))
				o, err := deploy.New(e)
				must(b, err)
				spec := c.spec
				spec.Module = "game"
				must(b, o.Deploy(spec))
				for range 3 { // the first decision and the moves it makes
					must(b, o.Tick(frame))
				}
				var tick, step time.Duration
				ticks, steps := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					must(b, e.Tick(frame))
					t1 := time.Now()
					must(b, o.Step())
					t2 := time.Now()
					tick += t1.Sub(t0)
					step += t2.Sub(t1)
					ticks, steps = append(ticks, t1.Sub(t0)), append(steps, t2.Sub(t1))
				}
				b.StopTimer()
				if s, _ := o.Status("game"); s.Phase.Terminal() {
					b.Fatalf("the rollout ended (%v: %s): the benchmark would measure nothing", s.Phase, s.Reason)
				}
				b.ReportMetric(float64(tick.Nanoseconds())/float64(b.N), "tick-ns/op")
				b.ReportMetric(float64(step.Nanoseconds())/float64(b.N), "step-ns/op")
				b.ReportMetric(100*float64(step)/float64(tick), "overhead-%")
				// The medians are robust to the scheduler's preemptions on a
				// loaded machine; the means above include the looks' tests.
				slices.Sort(ticks)
				slices.Sort(steps)
				b.ReportMetric(100*float64(steps[len(steps)/2])/float64(ticks[len(ticks)/2]), "median-overhead-%")
			})
		}
	}
}

package stats_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// A canary holds 10% of the entities. Each frame reports its new entity
// errors; one error in three lands on the canary, far above its share.
// The test may be checked after every frame.
func ExampleSeqBinomial() {
	test, err := stats.NewSeqBinomial(stats.SeqSettings{Share: 0.1})
	if err != nil {
		panic(err)
	}
	for frame := 0; test.Verdict() == stats.Inconclusive; frame++ {
		canary := 0
		if frame%3 == 0 {
			canary = 1
		}
		if err := test.Observe(canary, 1); err != nil { // one error per frame
			panic(err)
		}
	}
	r := test.Result()
	fmt.Printf("%v after %d errors, %d on the canary (share %.2f)\n", r.Verdict, r.TotalEvents, r.CanaryEvents, r.NullShare)
	fmt.Printf("e-value %.2f ≥ %.0f, always-valid p = %.4f\n", r.EValue, r.Threshold, r.PValue)
	// Output:
	// fail after 13 errors, 5 on the canary (share 0.10)
	// e-value 20.03 ≥ 20, always-valid p = 0.0499
}

// The relative case: the canary (10% of entities) against the version it
// replaces (30%), ignoring the other versions' events.
func ExampleSeqBinomial_ObservePair() {
	test, err := stats.NewSeqBinomial(stats.SeqSettings{Share: 0.1, BaselineShare: 0.3})
	if err != nil {
		panic(err)
	}
	// Per frame: canary errors, baseline errors. Equal rates would put a
	// quarter of them on the canary.
	for range 20 {
		if err := test.ObservePair(1, 3); err != nil {
			panic(err)
		}
	}
	fmt.Println(test.Verdict(), test.NullShare())
	// Output:
	// inconclusive 0.25
}

// The example of R's wilcox.test: is the canary's metric larger?
func ExampleRankSum() {
	canary := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	baseline := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r, err := stats.RankSum(canary, baseline)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v: U = %.0f, p(greater) = %.4f, shift %.3f\n", r.Method, r.U, r.PGreater, r.Shift)
	// Output:
	// exact: U = 35, p(greater) = 0.1272, shift 0.305
}

// A permutation test is reproducible with a seeded source.
func ExamplePermutationTest() {
	canary := []float64{16.9, 17.2, 18.8, 17.5, 19.1, 18.0, 17.7, 18.4}
	baseline := []float64{16.7, 16.4, 17.0, 16.9, 17.3, 16.1, 16.8, 17.4, 16.6, 17.1}
	rng := rand.New(rand.NewPCG(1, 2))
	r, err := stats.PermutationTest{}.Run(canary, baseline, rng)
	if err != nil {
		panic(err)
	}
	fmt.Printf("mean difference %.2f over %d random splits: p(greater) = %.4f\n", r.Observed, r.Splits, r.PGreater)
	// Output:
	// mean difference 1.12 over 9999 random splits: p(greater) = 0.0013
}

func ExampleHealthScore() {
	policy := stats.HealthPolicy{LatencyWarn: 8 * time.Millisecond, LatencyCrit: 16 * time.Millisecond}
	for _, in := range []stats.HealthInput{
		{Requests: 1000, Errors: 5, MeanLatency: 4 * time.Millisecond},
		{Requests: 1000, Errors: 30, MeanLatency: 4 * time.Millisecond},
		{Requests: 1000, Errors: 30, MeanLatency: 20 * time.Millisecond},
	} {
		score, err := stats.HealthScore(in, policy)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%.1f\n", score)
	}
	// Output:
	// 99.5
	// 77.6
	// 38.8
}

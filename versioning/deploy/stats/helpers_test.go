package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// newRand returns a PCG generator for seed. Every random test derives its
// generators from fixed seeds and logs them on failure, so a failure can be
// replayed exactly.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// logSeed logs seed if t has failed by the end of the test.
func logSeed(t testing.TB, seed uint64) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d", seed)
		}
	})
}

// binomial draws Binomial(n, p) as n Bernoulli trials.
func binomial(rng *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if rng.Float64() < p {
			k++
		}
	}
	return k
}

// parallelRuns calls f(run) for every run in [0, runs) from GOMAXPROCS
// goroutines. f must only write to its own run's slot of any shared slice.
func parallelRuns(runs int, f func(run int)) {
	workers := min(runs, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run := range next {
				f(run)
			}
		}()
	}
	for run := range runs {
		next <- run
	}
	close(next)
	wg.Wait()
}

// noiseBound is the largest rejection rate that a test of level alpha may
// show over runs independent runs before we call it too high: alpha plus
// three binomial standard errors.
func noiseBound(alpha float64, runs int) float64 {
	return alpha + 3*math.Sqrt(alpha*(1-alpha)/float64(runs))
}

// quantile returns the q-quantile of the sorted v (nearest rank).
func quantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// chunkBits is the resolution of simulated event probabilities: one 64-bit
// draw holds a frame of up to three events, each decided by a 20-bit chunk.
const chunkBits = 20

// dyadic rounds p to the nearest multiple of 2^-chunkBits, returning the
// chunk threshold and the exact probability it represents. Tests configure
// the statistic with the exact probability, so the simulated H0 is exact.
func dyadic(p float64) (thr uint64, exact float64) {
	thr = uint64(math.Round(p * (1 << chunkBits)))
	return thr, float64(thr) / (1 << chunkBits)
}

// frameEvents simulates one frame from the 64-bit draw u: 0 to 3 events
// (uniform, from the low two bits), each landing on the canary when its
// chunk is below thrC, on the baseline when below thrC+thrB, and elsewhere
// otherwise. It needs one random draw per frame, which keeps the many-run
// checks fast under the race detector.
func frameEvents(u, thrC, thrB uint64) (canary, baseline, total int) {
	total = int(u & 3)
	u >>= 2
	for range total {
		switch c := u & (1<<chunkBits - 1); {
		case c < thrC:
			canary++
		case c < thrC+thrB:
			baseline++
		}
		u >>= chunkBits
	}
	return canary, baseline, total
}

package stats

import (
	"strconv"
	"testing"
)

// BenchmarkPermutation measures a permutation test of the difference of
// means with the default 9,999 random splits; ns/split is the cost of one.
func BenchmarkPermutation(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		rng := newRand(uint64(n))
		x, y := sample(rng, n, 0.1, false), sample(rng, n, 0, false)
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (PermutationTest{}).Run(x, y, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/DefaultRounds, "ns/split")
		})
	}
}

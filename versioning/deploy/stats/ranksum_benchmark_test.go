package stats

import (
	"strconv"
	"testing"
)

// BenchmarkRankSum measures the whole test (sorting, ranks, p-values and the
// Hodges–Lehmann shift) on two continuous samples of n values each, with the
// method RankSumAuto picks and with each method forced where allowed.
func BenchmarkRankSum(b *testing.B) {
	for _, n := range []int{10, 50, 100, 1000, 10000, 100000} {
		rng := newRand(uint64(n))
		x, y := sample(rng, n, 0.2, false), sample(rng, n, 0, false)
		for _, m := range []RankSumMethod{RankSumAuto, RankSumExact, RankSumNormal} {
			if m == RankSumExact && n*n > MaxExactLimit {
				continue
			}
			b.Run("method="+m.String()+"/n="+strconv.Itoa(n), func(b *testing.B) {
				test := RankSumTest{Method: m}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := test.Run(x, y); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

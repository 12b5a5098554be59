package versioning

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomShares returns k shares over versions 1..k with random weights.
// Weights are either arbitrary positive reals summing to 1 or, every other
// time, whole numbers (quotas normalises by their sum); about one in five
// is zero, but never all of them.
func randomShares(rng *rand.Rand, k int) []share {
	s := make([]share, k)
	whole := rng.IntN(2) == 0
	var sum float64
	for i := range s {
		s[i].version = i + 1
		if rng.IntN(5) == 0 {
			continue
		}
		if whole {
			s[i].weight = float64(rng.IntN(1000))
		} else {
			s[i].weight = rng.Float64()
		}
		sum += s[i].weight
	}
	if sum == 0 {
		s[rng.IntN(k)].weight = 1
		return s
	}
	if !whole {
		for i := range s {
			s[i].weight /= sum
		}
	}
	return s
}

// randomCounts splits n into k random non-negative parts.
func randomCounts(rng *rand.Rand, k, n int) []int {
	c := make([]int, k)
	for range min(n, 64) {
		c[rng.IntN(k)]++
	}
	for left := n - min(n, 64); left > 0; {
		x := 1 + rng.IntN(left)
		c[rng.IntN(k)] += x
		left -= x
	}
	return c
}

// randomN is 0..10000, with the small and round values over-represented.
func randomN(rng *rand.Rand) int {
	switch rng.IntN(4) {
	case 0:
		return rng.IntN(10)
	case 1:
		return 100 * rng.IntN(101)
	}
	return rng.IntN(10001)
}

func weightSum(shares []share) float64 {
	var s float64
	for _, sh := range shares {
		s += sh.weight
	}
	return s
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// moves is how many entities change version to go from current to q.
func moves(current, q []int) int {
	m := 0
	for i := range q {
		if d := q[i] - current[i]; d > 0 {
			m += d
		}
	}
	return m
}

func TestQuotasSumAndRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		n := randomN(rng)
		current := randomCounts(rng, k, rng.IntN(n+1))
		q := quotas(shares, current, n)
		require.Len(t, q, k)
		require.Equal(t, n, sum(q), "shares %v n %d current %v", shares, n, current)
		total := weightSum(shares)
		for i, s := range shares {
			lo, hi := quotaBounds(s.weight/total*float64(n), n)
			require.True(t, q[i] >= lo && q[i] <= hi,
				"v%d: quota %d outside %d..%d (shares %v, n %d, current %v)", s.version, q[i], lo, hi, shares, n, current)
			if s.weight == 0 {
				require.Zero(t, q[i])
			}
		}
	}
}

func TestQuotasExactWhenWhole(t *testing.T) {
	cases := []struct {
		weights []float64
		n       int
		want    []int
	}{
		{[]float64{0.1, 0.9}, 100, []int{10, 90}},
		{[]float64{0.9, 0.1}, 100, []int{90, 10}},
		{[]float64{0.2, 0.3, 0.5}, 100, []int{20, 30, 50}},
		{[]float64{0.29, 0.71}, 100, []int{29, 71}},
		{[]float64{0.3, 0.3, 0.4}, 10, []int{3, 3, 4}},
		{[]float64{0.07, 0.13, 0.8}, 10000, []int{700, 1300, 8000}},
		{[]float64{0.001, 0.999}, 1000, []int{1, 999}},
		{[]float64{0.25, 0.25, 0.25, 0.25}, 4, []int{1, 1, 1, 1}},
		{[]float64{0.1, 0.2, 0.3, 0.15, 0.25}, 20, []int{2, 4, 6, 3, 5}},
		{[]float64{0, 1}, 7, []int{0, 7}},
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range cases {
		shares := make([]share, len(c.weights))
		for i, w := range c.weights {
			shares[i] = share{version: i + 1, weight: w}
		}
		// Whatever the versions hold now, whole products are met exactly.
		for range 200 {
			current := randomCounts(rng, len(shares), rng.IntN(2*c.n+1))
			assert.Equal(t, c.want, quotas(shares, current, c.n), "weights %v n %d current %v", c.weights, c.n, current)
		}
	}
}

func TestQuotasZeroN(t *testing.T) {
	assert.Equal(t, []int{0, 0, 0}, quotas([]share{{1, 0.2}, {2, 0.3}, {3, 0.5}}, []int{4, 0, 1}, 0))
	assert.Empty(t, quotas(nil, nil, 5))
}

func TestQuotasSticky(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for range 20000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		n := randomN(rng)
		q := quotas(shares, randomCounts(rng, k, n), n)
		again := quotas(shares, q, n)
		require.Equal(t, q, again, "shares %v n %d", shares, n)
	}
}

// TestQuotasMinimalMoves compares quotas with a brute force over every
// vector of floors and ceilings that sums to n: none needs fewer entities to
// move from current.
func TestQuotasMinimalMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for range 5000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		n := randomN(rng)
		current := randomCounts(rng, k, n)
		q := quotas(shares, current, n)
		total := weightSum(shares)
		lo, hi := make([]int, k), make([]int, k)
		for i, s := range shares {
			lo[i], hi[i] = quotaBounds(s.weight/total*float64(n), n)
		}
		best := math.MaxInt
		cand := make([]int, k)
		var walk func(i int)
		walk = func(i int) {
			if i == k {
				if sum(cand) == n {
					best = min(best, moves(current, cand))
				}
				return
			}
			for v := lo[i]; v <= hi[i]; v++ {
				cand[i] = v
				walk(i + 1)
			}
		}
		walk(0)
		require.Equal(t, best, moves(current, q), "shares %v n %d current %v quotas %v", shares, n, current, q)
	}
}

// TestQuotasMonotone raises one version's weight while lowering (or keeping)
// every other, starting from the quotas of the old weights: the raised
// version's quota never drops. Weights are whole numbers with a fixed total,
// so "not raised" holds exactly after quotas normalises them.
func TestQuotasMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const total = 1000
	for range 20000 {
		k := 2 + rng.IntN(4)
		units := randomCounts(rng, k, total)
		shares := make([]share, k)
		for i := range shares {
			shares[i] = share{version: i + 1, weight: float64(units[i])}
		}
		n := randomN(rng)
		q0 := quotas(shares, randomCounts(rng, k, n), n)

		up := rng.IntN(k)
		raised := make([]share, k)
		copy(raised, shares)
		room := total - units[up]
		if room == 0 {
			continue
		}
		d := 1 + rng.IntN(room)
		raised[up].weight += float64(d)
		for d > 0 {
			j := rng.IntN(k)
			if j == up || raised[j].weight == 0 {
				continue
			}
			take := min(d, 1+rng.IntN(int(raised[j].weight)))
			raised[j].weight -= float64(take)
			d -= take
		}
		q1 := quotas(raised, q0, n)
		require.GreaterOrEqual(t, q1[up], q0[up], "v%d raised: %v → %v, n %d, quotas %v → %v", up+1, shares, raised, n, q0, q1)
	}
}

func TestValidWeights(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, bad := range []map[int]float64{
		nil,
		{},
		{1: nan},
		{1: 0.5, 2: nan},
		{1: inf},
		{1: -inf, 2: 1},
		{1: 1.5, 2: -0.5},
		{1: -1e-9, 2: 1},
		{1: 0.5, 2: 0.4},
		{1: 0.5, 2: 0.6},
		{1: 1 + 1.1e-6},
		{1: 0.5, 2: 0.5 - 1.1e-6},
		{1: 0},
	} {
		assert.False(t, validWeights(bad), "%v", bad)
	}
	for _, good := range []map[int]float64{
		{1: 1},
		{1: 0.1, 2: 0.9},
		{1: 0.2, 2: 0.3, 3: 0.5},
		{1: 0.29, 2: 0.71},
		{1: 0, 2: 1},
		{1: 1 + 0.9e-6},
		{1: 0.5, 2: 0.5 - 0.9e-6},
		{1: 1.0 / 3, 2: 1.0 / 3, 3: 1.0 / 3},
	} {
		assert.True(t, validWeights(good), "%v", good)
	}
}

// TestQuotasStickyForLargeN: the snapping of "whole" products uses a
// tolerance of 1e-9·n, which for a million entities is 1e-3 — far above
// float64 rounding error — so products that are not whole are rounded to
// the nearest integer and the sticky rule is bypassed.
func TestQuotasStickyForLargeN(t *testing.T) {
	const n = 1_000_000
	shares := []share{{1, 0.2500000005}, {2, 0.7499999995}} // w·n = 250000.0005 and 749999.9995
	current := []int{250_001, 749_999}                      // ceil and floor: already a valid split
	assert.Equal(t, current, quotas(shares, current, n))
}

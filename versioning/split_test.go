package versioning

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomShares returns k shares over versions 1..k with random weights.
// Weights are either arbitrary positive reals summing to 1 or, every other
// time, whole numbers (quotas divides them by their sum); about one in five
// is zero, but never all of them. prev is left zero.
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

func total(xs []int) int {
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

// boundsOf is quotaBounds for every share.
func boundsOf(shares []share, n int) (lo, hi []int) {
	lo, hi = make([]int, len(shares)), make([]int, len(shares))
	sum := weightSum(shares)
	for i, s := range shares {
		lo[i], hi[i] = quotaBounds(s.weight, sum, n)
	}
	return lo, hi
}

// exactBounds is ⌊w·n⌋ and ⌈w·n⌉ of the exact product of the float64 w and
// n, computed with big rationals: the reference for "floor or ceil of w·N
// with w as given", independent of float rounding.
func exactBounds(w float64, n int) (lo, hi int) {
	x := new(big.Rat).SetFloat64(w)
	x.Mul(x, new(big.Rat).SetInt64(int64(n)))
	q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	lo = int(q.Int64())
	if r.Sign() != 0 {
		return lo, lo + 1
	}
	return lo, lo
}

func TestQuotasSumAndRounding(t *testing.T) {
	rng := newRand(t, 1)
	for range 20000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		n := randomN(rng)
		current := randomCounts(rng, k, rng.IntN(n+1))
		q := quotas(shares, current, n)
		require.Len(t, q, k)
		require.Equal(t, n, total(q), "shares %v n %d current %v", shares, n, current)
		lo, hi := boundsOf(shares, n)
		for i, s := range shares {
			require.True(t, q[i] >= lo[i] && q[i] <= hi[i],
				"v%d: quota %d outside %d..%d (shares %v, n %d, current %v)", s.version, q[i], lo[i], hi[i], shares, n, current)
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
		{[]float64{0.29, 0.71}, 1_000_000, []int{290_000, 710_000}},
	}
	rng := newRand(t, 2)
	for _, c := range cases {
		// Whatever the versions hold now and whatever the weights were,
		// whole products are met exactly.
		for range 200 {
			shares := make([]share, len(c.weights))
			for i, w := range c.weights {
				shares[i] = share{version: i + 1, weight: w, prev: rng.Float64()}
			}
			current := randomCounts(rng, len(shares), rng.IntN(2*c.n+1))
			assert.Equal(t, c.want, quotas(shares, current, c.n), "weights %v n %d current %v", c.weights, c.n, current)
		}
	}
}

func TestQuotasZeroN(t *testing.T) {
	shares := []share{{version: 1, weight: 0.2}, {version: 2, weight: 0.3}, {version: 3, weight: 0.5}}
	assert.Equal(t, []int{0, 0, 0}, quotas(shares, []int{4, 0, 1}, 0))
	assert.Empty(t, quotas(nil, nil, 5))
}

// TestQuotasSticky: quotas met already are kept, whether the weights are
// unchanged or all new.
func TestQuotasSticky(t *testing.T) {
	rng := newRand(t, 3)
	for range 20000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		n := randomN(rng)
		q := quotas(shares, randomCounts(rng, k, n), n)
		require.Equal(t, q, quotas(shares, q, n), "new weights: shares %v n %d", shares, n)
		for i := range shares {
			shares[i].prev = shares[i].weight
		}
		require.Equal(t, q, quotas(shares, q, n), "same weights: shares %v n %d", shares, n)
	}
}

// TestQuotasMinimalMoves compares quotas with a brute force over every
// vector of floors and ceilings that sums to n: when no weight changed (a
// split re-applied after entities came or went), none needs fewer entities
// to move from current. (When weights change, a version whose weight rose
// takes a seat before one whose weight fell even if that costs a move: see
// TestDefect5QuotasProperties.)
func TestQuotasMinimalMoves(t *testing.T) {
	rng := newRand(t, 4)
	for range 5000 {
		k := 2 + rng.IntN(4)
		shares := randomShares(rng, k)
		for i := range shares {
			shares[i].prev = shares[i].weight
		}
		n := randomN(rng)
		current := randomCounts(rng, k, n)
		q := quotas(shares, current, n)
		lo, hi := boundsOf(shares, n)
		best := math.MaxInt
		cand := make([]int, k)
		var walk func(i int)
		walk = func(i int) {
			if i == k {
				if total(cand) == n {
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
// so "not raised" holds exactly after quotas divides them by their sum.
func TestQuotasMonotone(t *testing.T) {
	rng := newRand(t, 5)
	const units = 1000
	for range 20000 {
		k := 2 + rng.IntN(4)
		u := randomCounts(rng, k, units)
		shares := make([]share, k)
		for i := range shares {
			shares[i] = share{version: i + 1, weight: float64(u[i])}
		}
		n := randomN(rng)
		q0 := quotas(shares, randomCounts(rng, k, n), n)

		up := rng.IntN(k)
		raised := make([]share, k)
		for i, s := range shares {
			raised[i] = share{version: s.version, weight: s.weight, prev: s.weight}
		}
		room := units - u[up]
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
		_, hiUp := quotaBounds(raised[up].weight, weightSum(raised), n)
		checkOneRose(t, up, q0, q1, hiUp, fmt.Sprintf("v%d raised: %v → %v, n %d, quotas %v → %v", up+1, shares, raised, n, q0, q1))
	}
}

// checkOneRose checks, for a step in which exactly one weight rose (index
// up) and the others fell or stayed, from counts current (valid for the old
// weights) to quotas q, what "entities move only into the version whose
// weight rose" can promise: that version loses nothing, and another version
// gains only when the raised one gets its ceiling hiUp (it can take no
// more), and then one entity at most. Rounding can leave no other choice:
// from {.498, .154, .033, .304, .011} at N = 6200 (counts 3087, 955, 204,
// 1885, 69) to {.498, .154, .033, .230, .085}, the raised product 527 and
// v4's 1426 are whole, so of the 459 entities v4 frees one must go to v1
// or v3, whose weights stayed.
func checkOneRose(t testing.TB, up int, current, q []int, hiUp int, msg string) {
	t.Helper()
	require.GreaterOrEqual(t, q[up], current[up], "(c) v%d rose and lost entities: %s", up+1, msg)
	for i := range q {
		if i == up || q[i] <= current[i] {
			continue
		}
		require.Equal(t, hiUp, q[up], "(c) v%d gained while v%d, whose weight rose, is below its ceiling: %s", i+1, up+1, msg)
		require.Equal(t, current[i]+1, q[i], "(c) v%d gained more than one: %s", i+1, msg)
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

// TestQuotasStickyForLargeN: products that are not whole numbers are not
// rounded to the nearest integer, even at a million entities, so a split
// that already holds a valid floor/ceil assignment keeps it.
func TestQuotasStickyForLargeN(t *testing.T) {
	const n = 1_000_000
	shares := []share{{version: 1, weight: 0.2500000005}, {version: 2, weight: 0.7499999995}} // w·n = 250000.0005 and 749999.9995
	current := []int{250_001, 749_999}                                                        // ceil and floor: already a valid split
	assert.Equal(t, current, quotas(shares, current, n))
	for i := range shares {
		shares[i].prev = shares[i].weight
	}
	assert.Equal(t, current, quotas(shares, current, n))
	current = []int{250_000, 750_000} // floor and ceil: valid too
	assert.Equal(t, current, quotas(shares, current, n))
}

// randomSplitWeights returns k weights summing to 1 within rounding,
// sometimes some zero, sometimes off 1 by up to 1e-7 (valid, and used as
// given for n below ten million).
func randomSplitWeights(rng *rand.Rand, k int) []float64 {
	w := make([]float64, k)
	var sum float64
	for sum == 0 {
		for i := range w {
			w[i] = 0
			if rng.IntN(4) != 0 {
				w[i] = rng.Float64()
				if rng.IntN(3) == 0 {
					w[i] = float64(rng.IntN(10)) / 10
				}
			}
			sum += w[i]
		}
	}
	for i := range w {
		w[i] /= sum
	}
	if rng.IntN(4) == 0 {
		i := rng.IntN(k)
		w[i] = max(0, w[i]+(rng.Float64()-0.5)*2e-7)
	}
	return w
}

// TestDefect5QuotasProperties runs quotas over random sequences of weights
// (seeded), each step starting from the previous step's quotas as the
// versions' counts and the previous weights as prev, and checks: (a) each
// quota is ⌊w·N⌋ or ⌈w·N⌉ of the exact product with w as given; (b) the
// quotas sum to N; (c) when exactly one weight rises and the others fall or
// stay, that one does not fall and no other rises unless rounding forces
// it (see checkOneRose), so entities move only into it; (d) the same
// weights again change nothing.
func TestDefect5QuotasProperties(t *testing.T) {
	rng := newRand(t, 305)
	for run := range 1200 {
		k := 2 + rng.IntN(4)
		n := randomN(rng)
		if run%50 == 0 {
			n = 1_000_000 + rng.IntN(1000)
		}
		// Start from a valid assignment of the first weights.
		prev := randomSplitWeights(rng, k)
		first := make([]share, k)
		for i := range first {
			first[i] = share{version: i + 1, weight: prev[i], prev: prev[i]}
		}
		current := quotas(first, randomCounts(rng, k, n), n)
		for step := range 12 {
			next := randomSplitWeights(rng, k)
			if step%2 == 1 {
				next = raiseOneOf(rng, prev)
			}
			if !validWeights(asMap(next)) {
				continue
			}
			shares := make([]share, k)
			for i := range shares {
				shares[i] = share{version: i + 1, weight: next[i], prev: prev[i]}
			}
			q := quotas(shares, current, n)
			msg := fmt.Sprintf("run %d step %d: n %d, weights %v → %v, counts %v → quotas %v", run, step, n, prev, next, current, q)
			require.Equal(t, n, total(q), "(b) %s", msg)
			for i := range q {
				lo, hi := exactBounds(next[i], n)
				require.True(t, q[i] >= lo && q[i] <= hi, "(a) v%d: %d outside %d..%d: %s", i+1, q[i], lo, hi, msg)
			}
			rose, up := 0, -1
			for i := range next {
				if next[i] > prev[i] {
					rose++
					up = i
				}
			}
			if rose == 1 {
				_, hiUp := exactBounds(next[up], n)
				checkOneRose(t, up, current, q, hiUp, msg)
			}
			// (d)
			again := make([]share, k)
			for i := range again {
				again[i] = share{version: i + 1, weight: next[i], prev: next[i]}
			}
			require.Equal(t, q, quotas(again, q, n), "(d) %s", msg)
			current, prev = q, next
		}
	}
}

// raiseOneOf is raiseOne for a weight slice.
func raiseOneOf(rng *rand.Rand, w []float64) []float64 {
	ws := asMap(w)
	versions := make([]int, len(w))
	for i := range versions {
		versions[i] = i + 1
	}
	out := raiseOne(rng, ws, versions)
	res := make([]float64, len(w))
	for i := range res {
		res[i] = out[i+1]
	}
	return res
}

func asMap(w []float64) map[int]float64 {
	m := map[int]float64{}
	for i, x := range w {
		if x > 0 {
			m[i+1] = x
		}
	}
	return m
}

// TestDefect6QuotasAsGiven: weights {0.5, 0.5−1e-7} sum to 1 within the
// allowed 1e-6 and are used as given: at N = 1,000, 100,000 and 1,000,000
// the first gets exactly N/2 (its product is whole) and the second the
// floor or ceiling of its own product.
func TestDefect6QuotasAsGiven(t *testing.T) {
	w := []float64{0.5, 0.5 - 1e-7}
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		for _, current := range [][]int{{n, 0}, {0, n}, {n / 2, n - n/2}, {n/2 + 1, n/2 - 1}} {
			shares := []share{{version: 1, weight: w[0]}, {version: 2, weight: w[1]}}
			q := quotas(shares, current, n)
			assert.Equal(t, n/2, q[0], "n %d current %v", n, current)
			lo, hi := exactBounds(w[1], n)
			assert.True(t, q[1] >= lo && q[1] <= hi, "n %d: %d outside %d..%d", n, q[1], lo, hi)
			assert.Equal(t, n, q[0]+q[1])
		}
	}
	// Beyond |Σw−1|·N ≥ 1 the weights are divided by their sum.
	const big = 20_000_000
	q := quotas([]share{{version: 1, weight: w[0]}, {version: 2, weight: w[1]}}, []int{big, 0}, big)
	x := w[0] / (w[0] + w[1]) * big
	assert.True(t, q[0] == int(math.Floor(x)) || q[0] == int(math.Ceil(x)), "%d, want ⌊%v⌉", q[0], x)
	assert.Equal(t, big, q[0]+q[1])
}

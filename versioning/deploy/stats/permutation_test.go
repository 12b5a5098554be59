package stats

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// intSample draws n small integers plus shift, so that every mean is exact
// in float64 and the reference comparisons need no tolerance.
func intSample(rng interface{ IntN(int) int }, n, shift int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(rng.IntN(10) + shift)
	}
	return v
}

// brutePermutation is an independent reference: it enumerates every subset
// of positions as the canary group by bitmask and returns the fractions of
// splits whose statistic is ≥ and ≤ the observed one.
func brutePermutation(canary, baseline []float64, stat func(a, b []float64) float64) (ge, le float64) {
	pool := append(slices.Clone(canary), baseline...)
	nn, n1 := len(pool), len(canary)
	obs := stat(canary, baseline)
	var all, cge, cle int
	for mask := uint32(0); mask < 1<<nn; mask++ {
		if bits.OnesCount32(mask) != n1 {
			continue
		}
		var a, b []float64
		for i, v := range pool {
			if mask&(1<<i) != 0 {
				a = append(a, v)
			} else {
				b = append(b, v)
			}
		}
		s := stat(a, b)
		all++
		if s >= obs {
			cge++
		}
		if s <= obs {
			cle++
		}
	}
	return float64(cge) / float64(all), float64(cle) / float64(all)
}

func medianDiff(a, b []float64) float64 {
	return median(slices.Sorted(slices.Values(a))) - median(slices.Sorted(slices.Values(b)))
}

func TestPermutationExhaustiveMatchesBruteForce(t *testing.T) {
	const seed = 51
	logSeed(t, seed)
	rng := newRand(seed)
	for _, stat := range []struct {
		name string
		f    func(a, b []float64) float64
	}{{"mean", nil}, {"median", medianDiff}} {
		for n1 := 1; n1 <= 6; n1++ {
			for n2 := 1; n2 <= 6; n2++ {
				x, y := intSample(rng, n1, rng.IntN(3)), intSample(rng, n2, 0)
				ref := stat.f
				if ref == nil {
					ref = MeanDiff
				}
				ge, le := brutePermutation(x, y, ref)
				r, err := PermutationTest{Statistic: stat.f}.Run(x, y, newRand(1))
				require.NoError(t, err)
				msg := []any{"%s n1=%d n2=%d canary %v baseline %v", stat.name, n1, n2, x, y}
				assert.True(t, r.Exhaustive, msg...)
				assert.Equal(t, binom(n1+n2, n1), r.Splits, msg...)
				assert.Equal(t, ref(x, y), r.Observed, msg...)
				assert.InDelta(t, ge, r.PGreater, 1e-15, msg...)
				assert.InDelta(t, le, r.PLess, 1e-15, msg...)
				assert.InDelta(t, min(1, 2*min(ge, le)), r.PTwoSided, 1e-15, msg...)
			}
		}
	}
}

// TestPermutationRandomMatchesExact: with random splits the p-value is
// (k+1)/(R+1) and agrees with the exact permutation p-value up to Monte-Carlo
// noise; it never falls below 1/(R+1).
func TestPermutationRandomMatchesExact(t *testing.T) {
	const (
		seed   = 52
		rounds = 4999
	)
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 6 {
		x, y := intSample(rng, 8, trial%3), intSample(rng, 8, 0) // C(16, 8) = 12870 > rounds
		ge, le := brutePermutation(x, y, MeanDiff)
		r, err := PermutationTest{Rounds: rounds}.Run(x, y, newRand(seed+uint64(trial)))
		require.NoError(t, err)
		require.False(t, r.Exhaustive)
		assert.Equal(t, rounds, r.Splits)
		for _, c := range [][2]float64{{ge, r.PGreater}, {le, r.PLess}} {
			exact, got := c[0], c[1]
			sd := math.Sqrt(exact*(1-exact)/rounds) + 1.0/rounds
			assert.InDelta(t, exact, got, 4*sd, "trial %d canary %v baseline %v", trial, x, y)
			assert.GreaterOrEqual(t, got, 1.0/(rounds+1))
			k := got*(rounds+1) - 1 // the count behind the p-value is an integer
			assert.InDelta(t, math.Round(k), k, 1e-6)
		}
	}
	// The canary entirely above the baseline: no random split of 20 values
	// is as extreme (1 in 184756), so p = 1/(R+1).
	x, y := []float64{11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	r, err := PermutationTest{Rounds: 99}.Run(x, y, newRand(seed))
	require.NoError(t, err)
	assert.Equal(t, 0.01, r.PGreater)
	assert.Equal(t, 1.0, r.PLess)
}

func TestPermutationDeterministic(t *testing.T) {
	const seed = 53
	logSeed(t, seed)
	rng := newRand(seed)
	x, y := intSample(rng, 20, 1), intSample(rng, 25, 0)
	x0, y0 := slices.Clone(x), slices.Clone(y)
	test := PermutationTest{Rounds: 999}
	a, err := test.Run(x, y, newRand(7))
	require.NoError(t, err)
	b, err := test.Run(x, y, newRand(7))
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same result")
	assert.Equal(t, x0, x, "canary sample modified")
	assert.Equal(t, y0, y, "baseline sample modified")
	// Another seed gives another draw, but a compatible p-value.
	c, err := test.Run(x, y, newRand(8))
	require.NoError(t, err)
	assert.NotEqual(t, a.PGreater, c.PGreater)
	assert.InDelta(t, a.PGreater, c.PGreater, 0.05)
}

// TestPermutationNullCalibrated: under H0 the (k+1)/(R+1) p-value is valid,
// P(p ≤ a) ≤ a up to Monte-Carlo noise, and not far below it.
func TestPermutationNullCalibrated(t *testing.T) {
	const (
		runs = 1000
		base = 60000
	)
	logSeed(t, base)
	ps := make([]float64, runs)
	parallelRuns(runs, func(run int) {
		rng := newRand(base + uint64(run))
		x, y := sample(rng, 15, 0, false), sample(rng, 15, 0, false)
		r, err := PermutationTest{Rounds: 99}.Run(x, y, rng)
		if err != nil {
			panic(err)
		}
		ps[run] = r.PGreater
	})
	for _, a := range []float64{0.05, 0.1, 0.5} {
		hits := 0
		for _, p := range ps {
			if p <= a {
				hits++
			}
		}
		rate := float64(hits) / runs
		assert.LessOrEqual(t, rate, noiseBound(a, runs), "level %v", a)
		assert.GreaterOrEqual(t, rate, a-2*(noiseBound(a, runs)-a), "level %v", a)
	}
}

func TestPermutationStatisticSees(t *testing.T) {
	var sizes [][2]int
	stat := func(a, b []float64) float64 {
		sizes = append(sizes, [2]int{len(a), len(b)})
		return a[0]
	}
	_, err := PermutationTest{Rounds: 50, Statistic: stat}.Run(make([]float64, 30), make([]float64, 7), newRand(1))
	require.NoError(t, err)
	require.Len(t, sizes, 51) // the observed split, then each round
	for _, s := range sizes {
		assert.Equal(t, [2]int{30, 7}, s)
	}
}

func TestPermutationBadInput(t *testing.T) {
	ok := []float64{1, 2, 3}
	nanStat := func(a, b []float64) float64 { return math.NaN() }
	// NaN only for some splits: detected while running.
	laterNaN := func(a, b []float64) float64 {
		if a[0] == 3 {
			return math.NaN()
		}
		return a[0]
	}
	for name, tc := range map[string]struct {
		test PermutationTest
		x, y []float64
		nilR bool
	}{
		"empty canary":      {PermutationTest{}, nil, ok, false},
		"empty baseline":    {PermutationTest{}, ok, []float64{}, false},
		"NaN":               {PermutationTest{}, []float64{math.NaN()}, ok, false},
		"Inf":               {PermutationTest{}, ok, []float64{math.Inf(-1)}, false},
		"nil rng":           {PermutationTest{}, ok, ok, true},
		"negative rounds":   {PermutationTest{Rounds: -1}, ok, ok, false},
		"NaN statistic":     {PermutationTest{Statistic: nanStat}, ok, ok, false},
		"later NaN, exact":  {PermutationTest{Statistic: laterNaN}, []float64{1}, ok, false},
		"later NaN, random": {PermutationTest{Statistic: laterNaN, Rounds: 30}, []float64{1, 1, 1}, []float64{2, 2, 3, 4}, false},
	} {
		t.Run(name, func(t *testing.T) {
			rng := newRand(1)
			if tc.nilR {
				rng = nil
			}
			r, err := tc.test.Run(tc.x, tc.y, rng)
			assert.ErrorIs(t, err, ErrBadInput)
			assert.Equal(t, PermutationResult{}, r)
		})
	}
}

func TestBinomialAtMost(t *testing.T) {
	for n := range 30 {
		for k := 0; k <= n; k++ {
			want := binom(n, k)
			c, ok := binomialAtMost(n, k, 1_000_000)
			assert.Equal(t, want <= 1_000_000, ok, "C(%d, %d)", n, k)
			if ok {
				assert.Equal(t, want, c, "C(%d, %d)", n, k)
			}
		}
	}
	// No overflow on huge arguments.
	_, ok := binomialAtMost(1_000_000, 500_000, math.MaxInt)
	assert.False(t, ok)
	_, ok = binomialAtMost(math.MaxInt32, 3, math.MaxInt)
	assert.False(t, ok)
}

func TestNextCombination(t *testing.T) {
	for n := 1; n <= 8; n++ {
		for k := 1; k <= n; k++ {
			idx := make([]int, k)
			for i := range idx {
				idx[i] = i
			}
			seen := map[uint32]bool{}
			for {
				var mask uint32
				for i, v := range idx {
					require.True(t, v >= 0 && v < n && (i == 0 || v > idx[i-1]))
					mask |= 1 << v
				}
				require.False(t, seen[mask], "repeated %v", idx)
				seen[mask] = true
				if !nextCombination(idx, n) {
					break
				}
			}
			assert.Len(t, seen, binom(n, k), "n=%d k=%d", n, k)
		}
	}
}

// TestMaxDiffTestIsTheExhaustivePermutationTest: the closed form gives the
// p-values of enumerating every split with MaxDiff, for random samples
// full of ties, of every size up to 8 against 8.
func TestMaxDiffTestIsTheExhaustivePermutationTest(t *testing.T) {
	const seed = 41
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 400 {
		n1, n2 := 1+rng.IntN(8), 1+rng.IntN(8)
		levels := 1 + rng.IntN(6)
		draw := func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(rng.IntN(levels)) * 1.5
			}
			return x
		}
		c, b := draw(n1), draw(n2)
		want, err := PermutationTest{Rounds: 20000, Statistic: MaxDiff}.Run(c, b, rng)
		require.NoError(t, err)
		require.True(t, want.Exhaustive)
		got, err := MaxDiffTest(c, b)
		require.NoError(t, err)
		msg := fmt.Sprintf("trial %d: %v vs %v", trial, c, b)
		assert.InDelta(t, want.PGreater, got.PGreater, 1e-12, msg)
		assert.InDelta(t, want.PLess, got.PLess, 1e-12, msg)
		assert.InDelta(t, want.PTwoSided, got.PTwoSided, 1e-12, msg)
		assert.Equal(t, want.Observed, got.Observed, msg)
		assert.Equal(t, want.Splits, got.Splits, msg)
	}
}

// TestMaxDiffTestAtScale: for samples of 64 (the analysis' p99 test) the
// exact p-values agree with 20,000 random splits within their sampling
// error, and the probabilities of all splits sum to one.
func TestMaxDiffTestAtScale(t *testing.T) {
	const seed = 42
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 5 {
		c, b := make([]float64, 64), make([]float64, 64)
		for i := range c {
			c[i] = rng.NormFloat64() + 0.2*float64(trial)
			b[i] = rng.NormFloat64()
		}
		exact, err := MaxDiffTest(c, b)
		require.NoError(t, err)
		mc, err := PermutationTest{Rounds: 20000, Statistic: MaxDiff}.Run(c, b, rng)
		require.NoError(t, err)
		assert.InDelta(t, mc.PGreater, exact.PGreater, 0.015, "trial %d", trial)
		assert.InDelta(t, mc.PLess, exact.PLess, 0.015, "trial %d", trial)
		assert.Equal(t, math.MaxInt, exact.Splits, "C(128, 64) does not fit an int")
		// Every split's statistic is ≥ obs or ≤ obs: the two tails cover 1.
		assert.GreaterOrEqual(t, exact.PGreater+exact.PLess, 1-1e-12)
	}
	_, err := MaxDiffTest(nil, []float64{1})
	assert.ErrorIs(t, err, ErrBadInput)
	_, err = MaxDiffTest([]float64{math.NaN()}, []float64{1})
	assert.ErrorIs(t, err, ErrBadInput)
}

package stats

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample draws n values: continuous normals shifted by shift, or, when tied
// is set, small integers so that ties are common.
func sample(rng *rand.Rand, n int, shift float64, tied bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		if tied {
			v[i] = float64(rng.IntN(4)) + math.Round(shift)
		} else {
			v[i] = rng.NormFloat64() + shift
		}
	}
	return v
}

// bruteRankSum is an independent reference for the exact test: it ranks
// the pooled sample naively (twice the midrank of v is 2·#{less} + #{equal}
// + 1) and enumerates every assignment of n1 of the N positions to the
// canary, returning the exact P(W ≥ w), P(W ≤ w), P(|W − EW| ≥ |w − EW|)
// and twice the observed rank sum.
func bruteRankSum(canary, baseline []float64) (ge, le, two float64, w2 int64) {
	pool := append(slices.Clone(canary), baseline...)
	nn, n1 := len(pool), len(canary)
	score := make([]int64, nn)
	for i, v := range pool {
		less, equal := 0, 0
		for _, u := range pool {
			if u < v {
				less++
			} else if u == v {
				equal++
			}
		}
		score[i] = int64(2*less + equal + 1)
	}
	for i := range n1 {
		w2 += score[i]
	}
	center := int64(n1 * (nn + 1))
	var all, cge, cle, ctwo int
	for mask := uint32(0); mask < 1<<nn; mask++ {
		if bits.OnesCount32(mask) != n1 {
			continue
		}
		var s int64
		for i := range nn {
			if mask&(1<<i) != 0 {
				s += score[i]
			}
		}
		all++
		if s >= w2 {
			cge++
		}
		if s <= w2 {
			cle++
		}
		if abs64(s-center) >= abs64(w2-center) {
			ctwo++
		}
	}
	return float64(cge) / float64(all), float64(cle) / float64(all), float64(ctwo) / float64(all), w2
}

func TestRankSumExactMatchesBruteForce(t *testing.T) {
	const seed = 31
	logSeed(t, seed)
	rng := newRand(seed)
	cases := 0
	for n1 := 1; n1 <= 7; n1++ {
		for n2 := 1; n2 <= 7; n2++ {
			for trial := range 6 {
				tied := trial%2 == 1
				shift := []float64{0, 0, 1, 1, -2, 3}[trial]
				x, y := sample(rng, n1, shift/2, tied), sample(rng, n2, 0, tied)
				ge, le, two, w2 := bruteRankSum(x, y)
				r, err := RankSumTest{Method: RankSumExact}.Run(x, y)
				require.NoError(t, err)
				msg := []any{"n1=%d n2=%d canary %v baseline %v", n1, n2, x, y}
				assert.Equal(t, RankSumExact, r.Method)
				assert.Equal(t, float64(w2)/2, r.RankSum, msg...)
				assert.Equal(t, float64(w2)/2-float64(n1*(n1+1))/2, r.U, msg...)
				assert.InDelta(t, ge, r.PGreater, 1e-12, msg...)
				assert.InDelta(t, le, r.PLess, 1e-12, msg...)
				assert.InDelta(t, two, r.PTwoSided, 1e-12, msg...)
				cases++
			}
		}
	}
	assert.Equal(t, 7*7*6, cases)
}

// TestRankSumKnownValue checks the example of R's wilcox.test
// (permeability constants of the human chorioamnion, Hollander & Wolfe):
// wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272.
// R's W is our U.
func TestRankSumKnownValue(t *testing.T) {
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r, err := RankSum(x, y)
	require.NoError(t, err)
	assert.Equal(t, RankSumExact, r.Method)
	assert.Equal(t, 35.0, r.U)
	assert.InDelta(t, 0.1272, r.PGreater, 5e-5)
	assert.InDelta(t, 35.0/50, r.AUC, 1e-15)
	assert.False(t, r.Ties)
}

// TestRankSumNormalMatchesExact: for moderate samples the normal
// approximation with continuity and tie corrections stays close to the
// exact p-value across the whole range of p. Ties make the rank sum's
// lattice coarser, and the approximation with it: with only four distinct
// values it is off by several hundredths, which is why small tied samples
// deserve the exact method.
func TestRankSumNormalMatchesExact(t *testing.T) {
	const seed = 32
	logSeed(t, seed)
	rng := newRand(seed)
	for _, kind := range []struct {
		name  string
		round func(float64) float64
		tol   float64
	}{
		{"continuous", func(v float64) float64 { return v }, 0.005},
		{"rounded to 0.1", func(v float64) float64 { return math.Round(v*10) / 10 }, 0.005},
		{"four values", func(v float64) float64 { return math.Round(max(-1.5, min(1.5, v)) + 0.5) }, 0.08},
	} {
		worst := 0.0
		for _, sz := range [][2]int{{20, 20}, {25, 30}, {15, 40}, {40, 40}, {30, 60}} {
			for trial := range 8 {
				shift := float64(trial%4) * 0.25
				x, y := sample(rng, sz[0], shift, false), sample(rng, sz[1], 0, false)
				for i := range x {
					x[i] = kind.round(x[i])
				}
				for i := range y {
					y[i] = kind.round(y[i])
				}
				ex, err := RankSumTest{Method: RankSumExact}.Run(x, y)
				require.NoError(t, err)
				no, err := RankSumTest{Method: RankSumNormal}.Run(x, y)
				require.NoError(t, err)
				require.Equal(t, RankSumNormal, no.Method)
				assert.Equal(t, ex.RankSum, no.RankSum)
				assert.Equal(t, ex.Z, no.Z)
				for _, d := range []float64{ex.PGreater - no.PGreater, ex.PLess - no.PLess, ex.PTwoSided - no.PTwoSided} {
					worst = max(worst, math.Abs(d))
					assert.LessOrEqual(t, math.Abs(d), kind.tol, "%s sizes %v trial %d: exact %+v normal %+v", kind.name, sz, trial, ex, no)
				}
			}
		}
		t.Logf("%s: largest |normal − exact| p-value difference %.5f", kind.name, worst)
	}
}

// TestRankSumNormalBeyondExact: where RankSumAuto switches to the normal
// approximation (n1·n2 > DefaultMaxExact), it is within 0.01 of the exact
// p-value on continuous data; the error grows as the smaller sample shrinks.
func TestRankSumNormalBeyondExact(t *testing.T) {
	const seed = 35
	logSeed(t, seed)
	rng := newRand(seed)
	worst := 0.0
	for _, sz := range [][2]int{{50, 51}, {20, 126}, {10, 251}} {
		for trial := range 4 {
			x, y := sample(rng, sz[0], float64(trial)*0.15, false), sample(rng, sz[1], 0, false)
			ex, err := RankSumTest{Method: RankSumExact}.Run(x, y)
			require.NoError(t, err)
			auto, err := RankSum(x, y)
			require.NoError(t, err)
			require.Equal(t, RankSumNormal, auto.Method)
			for _, d := range []float64{ex.PGreater - auto.PGreater, ex.PLess - auto.PLess, ex.PTwoSided - auto.PTwoSided} {
				worst = max(worst, math.Abs(d))
				assert.LessOrEqual(t, math.Abs(d), 0.01, "sizes %v trial %d: exact %+v normal %+v", sz, trial, ex, auto)
			}
		}
	}
	t.Logf("largest |normal − exact| p-value difference beyond the exact bound: %.5f", worst)
}

// TestRankSumNullCalibrated: with both samples from one distribution, the
// p-values are (conservatively) uniform: P(p ≤ a) ≤ a up to Monte-Carlo
// noise, and not far below it, so the test is neither liberal nor vacuous.
func TestRankSumNullCalibrated(t *testing.T) {
	const runs = 2000
	for ci, tc := range []struct {
		name   string
		n1, n2 int
		tied   bool
		method RankSumMethod
	}{
		{"exact/n=10x12", 10, 12, false, RankSumExact},
		{"exact-ties/n=10x14", 10, 14, true, RankSumExact},
		{"normal/n=40x60", 40, 60, false, RankSumNormal},
		{"normal-ties/n=50x50", 50, 50, true, RankSumNormal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := uint64(40000 + 10000*ci)
			logSeed(t, base)
			ps := make([][3]float64, runs)
			parallelRuns(runs, func(run int) {
				rng := newRand(base + uint64(run))
				r, err := RankSumTest{Method: tc.method}.Run(sample(rng, tc.n1, 0, tc.tied), sample(rng, tc.n2, 0, tc.tied))
				if err != nil {
					panic(err)
				}
				ps[run] = [3]float64{r.PGreater, r.PLess, r.PTwoSided}
			})
			for k, side := range []string{"greater", "less", "two-sided"} {
				for _, a := range []float64{0.01, 0.05, 0.1, 0.5} {
					hits := 0
					for _, p := range ps {
						if p[k] <= a {
							hits++
						}
					}
					rate := float64(hits) / runs
					if a == 0.05 {
						t.Logf("%s %s: P(p ≤ 0.05) = %.4f", tc.name, side, rate)
					}
					assert.LessOrEqual(t, rate, noiseBound(a, runs), "%s level %v", side, a)
					// Discreteness (and ties) make the test conservative,
					// but not by more than this at these sizes.
					assert.GreaterOrEqual(t, rate, 0.6*a-3*math.Sqrt(a*(1-a)/runs), "%s level %v", side, a)
				}
			}
		})
	}
}

func TestRankSumPower(t *testing.T) {
	const seed = 33
	logSeed(t, seed)
	rng := newRand(seed)
	detected := 0
	for range 100 {
		r, err := RankSum(sample(rng, 30, 1, false), sample(rng, 30, 0, false))
		require.NoError(t, err)
		assert.Greater(t, r.Shift, 0.0)
		if r.PGreater <= 0.05 {
			detected++
		}
	}
	// A one-standard-deviation shift with 30 per group: power ≈ 0.96.
	assert.GreaterOrEqual(t, detected, 88)
}

// bruteShift is the Hodges–Lehmann estimate by materialising every
// difference.
func bruteShift(x, y []float64) float64 {
	var d []float64
	for _, a := range x {
		for _, b := range y {
			d = append(d, a-b)
		}
	}
	slices.Sort(d)
	return median(d)
}

func TestRankSumShiftAndMedians(t *testing.T) {
	const seed = 34
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 300 {
		n1, n2 := 1+rng.IntN(40), 1+rng.IntN(40)
		if trial%10 == 0 {
			// Large enough that the bisection, not a plain sort, finds
			// the median.
			n1, n2 = 100+rng.IntN(150), 100+rng.IntN(150)
		}
		tied := trial%3 == 0
		x, y := sample(rng, n1, rng.NormFloat64()*3, tied), sample(rng, n2, 0, tied)
		if trial%7 == 0 {
			for i := range x {
				x[i] *= 1e-300 // subnormal territory
			}
		}
		r, err := RankSumTest{Method: RankSumNormal}.Run(x, y)
		require.NoError(t, err)
		sx, sy := slices.Sorted(slices.Values(x)), slices.Sorted(slices.Values(y))
		assert.Equal(t, bruteShift(x, y), r.Shift, "trial %d: canary %v baseline %v", trial, x, y)
		assert.Equal(t, median(sx), r.CanaryMedian)
		assert.Equal(t, median(sy), r.BaselineMedian)
		assert.InDelta(t, r.U/float64(n1*n2), r.AUC, 1e-15)
	}
}

func TestRankSumAllTied(t *testing.T) {
	for _, m := range []RankSumMethod{RankSumExact, RankSumNormal} {
		r, err := RankSumTest{Method: m}.Run([]float64{2, 2, 2}, []float64{2, 2})
		require.NoError(t, err)
		assert.Equal(t, 1.0, r.PGreater, "%v", m)
		assert.Equal(t, 1.0, r.PLess, "%v", m)
		assert.Equal(t, 1.0, r.PTwoSided, "%v", m)
		assert.Zero(t, r.Z)
		assert.Equal(t, 0.5, r.AUC)
		assert.Zero(t, r.Shift)
		assert.True(t, r.Ties)
	}
	// Single values on each side.
	r, err := RankSum([]float64{3}, []float64{1})
	require.NoError(t, err)
	assert.Equal(t, 0.5, r.PGreater)
	assert.Equal(t, 1.0, r.PLess)
	assert.Equal(t, 1.0, r.PTwoSided)
	assert.Equal(t, 2.0, r.Shift)
}

func TestRankSumMethodChoice(t *testing.T) {
	for _, tc := range []struct {
		test   RankSumTest
		n1, n2 int
		want   RankSumMethod
	}{
		{RankSumTest{}, 50, 50, RankSumExact},
		{RankSumTest{}, 50, 51, RankSumNormal},
		{RankSumTest{}, 10, 250, RankSumExact},
		{RankSumTest{MaxExact: 100}, 10, 10, RankSumExact},
		{RankSumTest{MaxExact: 100}, 10, 11, RankSumNormal},
		{RankSumTest{Method: RankSumNormal}, 2, 2, RankSumNormal},
		{RankSumTest{Method: RankSumExact}, 60, 60, RankSumExact},
	} {
		x, y := make([]float64, tc.n1), make([]float64, tc.n2)
		for i := range x {
			x[i] = float64(i)
		}
		for i := range y {
			y[i] = float64(i) + 0.5
		}
		r, err := tc.test.Run(x, y)
		require.NoError(t, err)
		assert.Equal(t, tc.want, r.Method, "%+v n1=%d n2=%d", tc.test, tc.n1, tc.n2)
	}
}

func TestRankSumBadInput(t *testing.T) {
	ok := []float64{1, 2, 3}
	nan, inf := math.NaN(), math.Inf(1)
	big := make([]float64, 101)
	for name, tc := range map[string]struct {
		test      RankSumTest
		x, y      []float64
		unchanged bool
	}{
		"empty canary":       {RankSumTest{}, nil, ok, true},
		"empty baseline":     {RankSumTest{}, ok, []float64{}, true},
		"NaN canary":         {RankSumTest{}, []float64{1, nan}, ok, true},
		"NaN baseline":       {RankSumTest{}, ok, []float64{nan}, true},
		"Inf baseline":       {RankSumTest{}, ok, []float64{2, inf}, true},
		"-Inf canary":        {RankSumTest{}, []float64{-inf}, ok, true},
		"unknown method":     {RankSumTest{Method: 9}, ok, ok, true},
		"negative MaxExact":  {RankSumTest{MaxExact: -1}, ok, ok, true},
		"MaxExact too large": {RankSumTest{MaxExact: MaxExactLimit + 1}, ok, ok, true},
		"exact too large":    {RankSumTest{Method: RankSumExact}, big, big, true},
	} {
		t.Run(name, func(t *testing.T) {
			x0, y0 := slices.Clone(tc.x), slices.Clone(tc.y)
			r, err := tc.test.Run(tc.x, tc.y)
			assert.ErrorIs(t, err, ErrBadInput)
			assert.Equal(t, RankSumResult{}, r)
			// NaN != NaN, so compare bit patterns.
			assert.Equal(t, floatBits(x0), floatBits(tc.x))
			assert.Equal(t, floatBits(y0), floatBits(tc.y))
		})
	}
}

func TestRankSumDoesNotModifyInput(t *testing.T) {
	x, y := []float64{5, 1, 3}, []float64{4, 2}
	_, err := RankSum(x, y)
	require.NoError(t, err)
	assert.Equal(t, []float64{5, 1, 3}, x)
	assert.Equal(t, []float64{4, 2}, y)
}

func floatBits(v []float64) []uint64 {
	b := make([]uint64, len(v))
	for i, f := range v {
		b[i] = math.Float64bits(f)
	}
	return b
}

// TestSubsetSumCounts checks the exact distribution's counting against the
// binomial coefficients and, without ties, the symmetry of the rank-sum
// distribution.
func TestSubsetSumCounts(t *testing.T) {
	tied := []int64{3, 3, 6, 10, 10, 10, 14} // twice the midranks, tie groups 2, 1, 3, 1
	plain := []int64{2, 4, 6, 8, 10, 12, 14, 16}
	for _, scores := range [][]int64{tied, plain} {
		for m := 0; m <= len(scores); m++ {
			lo, counts := subsetSumCounts(scores, m)
			var all float64
			for _, c := range counts {
				all += c
			}
			assert.Equal(t, float64(binom(len(scores), m)), all, "scores %v m=%d", scores, m)
			var low, high int64
			for i := range m {
				low += scores[i]
				high += scores[len(scores)-1-i]
			}
			assert.Equal(t, low, lo)
			assert.Len(t, counts, int(high-low)+1)
			if len(scores) == len(plain) {
				assert.True(t, equalReversed(counts), "m=%d not symmetric: %v", m, counts)
			}
		}
	}
}

func equalReversed(c []float64) bool {
	for i := range c {
		if c[i] != c[len(c)-1-i] {
			return false
		}
	}
	return true
}

func FuzzRankSum(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3), uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(2), uint8(1))
	f.Add([]byte{255, 0, 128, 7, 7, 7, 9}, uint8(1), uint8(2))
	f.Add([]byte{0x7f, 0xf8, 0, 0, 0, 0, 0, 1, 0xff, 0xf0, 0, 0, 0, 0, 0, 0}, uint8(1), uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, split uint8, mode uint8) {
		if len(data) > 160 {
			data = data[:160]
		}
		var vals []float64
		if mode&4 != 0 && len(data) >= 8 {
			// Raw float64 bit patterns: NaN, Inf, subnormals, huge values.
			for i := 0; i+8 <= len(data); i += 8 {
				var b uint64
				for _, c := range data[i : i+8] {
					b = b<<8 | uint64(c)
				}
				vals = append(vals, math.Float64frombits(b))
			}
		} else {
			for _, c := range data {
				vals = append(vals, float64(c%16)-4) // many ties
			}
		}
		k := min(int(split), len(vals))
		test := RankSumTest{Method: RankSumMethod(mode & 3)}
		r, err := test.Run(vals[:k], vals[k:])
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v does not wrap ErrBadInput", err)
			}
			return
		}
		for _, p := range []float64{r.PGreater, r.PLess, r.PTwoSided, r.AUC} {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("probability %v outside [0, 1]: %+v", p, r)
			}
		}
		if r.PGreater+r.PLess < 1-1e-9 {
			t.Fatalf("one-sided p-values sum below 1: %+v", r)
		}
	})
}

package stats

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// RankSumMethod selects how [RankSumTest] computes its p-values.
type RankSumMethod int

const (
	// RankSumAuto uses [RankSumExact] when n1·n2 ≤ RankSumTest.MaxExact and
	// [RankSumNormal] otherwise.
	RankSumAuto RankSumMethod = iota
	// RankSumExact computes the exact permutation distribution of the rank
	// sum, ties included. Allowed only for n1·n2 ≤ [MaxExactLimit].
	RankSumExact
	// RankSumNormal uses the normal approximation with tie and continuity
	// corrections.
	RankSumNormal
)

// String returns "auto", "exact" or "normal", and "RankSumMethod(n)" for
// any other value.
func (m RankSumMethod) String() string {
	switch m {
	case RankSumAuto:
		return "auto"
	case RankSumExact:
		return "exact"
	case RankSumNormal:
		return "normal"
	}
	return "RankSumMethod(" + strconv.Itoa(int(m)) + ")"
}

const (
	// DefaultMaxExact is the largest n1·n2 for which [RankSumAuto] computes
	// the exact distribution (50×50, 10×250, ...), which then takes at most
	// a few milliseconds. Beyond it the normal
	// approximation is within about 0.01 of the exact p-value on continuous
	// data (0.005 when both samples have 20 or more values); many ties make
	// it coarser.
	DefaultMaxExact = 2500
	// MaxExactLimit is the largest n1·n2 [RankSumExact] accepts, so that a
	// forced exact test stays around 0.1 s and 10 MB even with ties.
	MaxExactLimit = 10000
)

// RankSumTest is the Wilcoxon rank-sum (Mann–Whitney U) test of a
// continuous per-entity metric, such as step time per entity, on the canary
// against the baseline. The zero value is ready to use.
//
// H0 is that the two samples come from one distribution, so that every
// assignment of the pooled values to the two groups is equally likely. Tied
// values get their average rank (midrank). The exact method counts, by
// dynamic programming over the pooled values in order, how many of the
// C(n1+n2, n1) assignments give each possible rank sum; it is exact with or
// without ties because it permutes the actual midranks. The normal method
// uses mean n1(N+1)/2, variance n1·n2/12·(N+1 − Σ(t³−t)/(N(N−1))) over tie
// groups of size t, and a continuity correction of 1/2.
type RankSumTest struct {
	// Method selects exact or normal p-values; the zero value is
	// [RankSumAuto].
	Method RankSumMethod
	// MaxExact is the largest n1·n2 that [RankSumAuto] computes exactly; 0
	// means [DefaultMaxExact]. It must be in [0, MaxExactLimit].
	MaxExact int
}

// RankSumResult is the outcome of a [RankSumTest].
type RankSumResult struct {
	// Method is the method used, [RankSumExact] or [RankSumNormal].
	Method RankSumMethod
	// N1 and N2 are the canary's and the baseline's sample sizes.
	N1, N2 int
	// RankSum is W, the sum of the canary's (mid)ranks in the pooled sample;
	// U = W − N1(N1+1)/2 is the number of (canary, baseline) pairs with the
	// canary larger, ties counting one half.
	RankSum, U float64
	// Z is (W − E[W])/sd(W) under H0, with the tie correction and without
	// the continuity correction; 0 when every value is tied.
	Z float64
	// Ties reports whether the pooled sample has tied values.
	Ties bool
	// PGreater is the p-value against "the canary is larger" (for a cost
	// such as step time, the canary is worse); PLess against "the canary is
	// smaller"; PTwoSided against "they differ": exactly, the probability
	// of a rank sum at least as far from its mean as the observed one, and
	// in the normal approximation twice the smaller tail. Each is in
	// [0, 1].
	PGreater, PLess, PTwoSided float64
	// AUC is U/(N1·N2), the probability that a random canary value exceeds
	// a random baseline value (ties one half): 0.5 under H0.
	AUC float64
	// Shift is the Hodges–Lehmann estimate of the location shift, the
	// median of all N1·N2 differences canary − baseline.
	Shift float64
	// CanaryMedian and BaselineMedian are the sample medians; their ratio is
	// the relative effect for a positive metric.
	CanaryMedian, BaselineMedian float64
}

// RankSum runs the [RankSumTest] with default settings. See
// [RankSumTest.Run].
func RankSum(canary, baseline []float64) (RankSumResult, error) {
	return RankSumTest{}.Run(canary, baseline)
}

// Run tests the canary's sample against the baseline's. It does not modify
// or retain either slice, and is safe for concurrent use.
//
// It returns an error wrapping [ErrBadInput] if a sample is empty, holds a
// NaN or an infinity, or the settings are outside their domain (including
// [RankSumExact] with n1·n2 > [MaxExactLimit]).
//
// Time: O(N log N) for the ranks and the Hodges–Lehmann estimate (by
// bisection over the sorted samples, never materialising the N1·N2
// differences), plus O(N·m·n1·n2) with m = min(n1, n2) for the exact
// method.
func (t RankSumTest) Run(canary, baseline []float64) (RankSumResult, error) {
	var r RankSumResult
	maxExact := t.MaxExact
	if maxExact == 0 {
		maxExact = DefaultMaxExact
	}
	if maxExact < 0 || maxExact > MaxExactLimit {
		return r, fmt.Errorf("%w: MaxExact %d outside [0, %d]", ErrBadInput, t.MaxExact, MaxExactLimit)
	}
	if err := checkSample("canary", canary); err != nil {
		return r, err
	}
	if err := checkSample("baseline", baseline); err != nil {
		return r, err
	}
	n1, n2 := len(canary), len(baseline)
	small := n1 <= MaxExactLimit/n2 // n1·n2 ≤ MaxExactLimit without overflow
	method := t.Method
	switch method {
	case RankSumAuto:
		method = RankSumNormal
		if small && n1*n2 <= maxExact {
			method = RankSumExact
		}
	case RankSumExact:
		if !small {
			return r, fmt.Errorf("%w: exact rank-sum test with n1·n2 = %d·%d > %d", ErrBadInput, n1, n2, MaxExactLimit)
		}
	case RankSumNormal:
	default:
		return r, fmt.Errorf("%w: rank-sum method %v", ErrBadInput, t.Method)
	}

	x := slices.Clone(canary)
	y := slices.Clone(baseline)
	slices.Sort(x)
	slices.Sort(y)

	rk := rankSorted(x, y, method == RankSumExact)
	nn := n1 + n2
	r.Method, r.N1, r.N2 = method, n1, n2
	r.RankSum = float64(rk.w2) / 2
	r.U = r.RankSum - float64(n1)*float64(n1+1)/2
	r.AUC = r.U / (float64(n1) * float64(n2))
	r.Ties = rk.ties != 0

	// Normal approximation, always computed for Z.
	fn1, fn2, fN := float64(n1), float64(n2), float64(nn)
	mean := fn1 * (fN + 1) / 2
	v := fn1 * fn2 / 12 * (fN + 1)
	if nn > 1 {
		v -= fn1 * fn2 / 12 * rk.ties / (fN * (fN - 1))
	}
	d := r.RankSum - mean
	if v > 0 {
		sd := math.Sqrt(v)
		r.Z = d / sd
		if method == RankSumNormal {
			r.PGreater = upperTail((d - 0.5) / sd)
			r.PLess = upperTail((-d - 0.5) / sd)
			r.PTwoSided = 2 * upperTail((math.Abs(d)-0.5)/sd)
		}
	} else if method == RankSumNormal {
		// Every value tied: the data say nothing.
		r.PGreater, r.PLess, r.PTwoSided = 1, 1, 1
	}
	if method == RankSumExact {
		r.PGreater, r.PLess, r.PTwoSided = exactRankSumP(rk.scores, n1, rk.w2)
	}
	r.PGreater, r.PLess, r.PTwoSided = clamp01(r.PGreater), clamp01(r.PLess), clamp01(r.PTwoSided)

	r.Shift = hodgesLehmann(x, y)
	r.CanaryMedian, r.BaselineMedian = median(x), median(y)
	return r, nil
}

// checkSample returns an error wrapping ErrBadInput if v is empty or holds a
// value that is not finite.
func checkSample(name string, v []float64) error {
	if len(v) == 0 {
		return fmt.Errorf("%w: empty %s sample", ErrBadInput, name)
	}
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: %s[%d] = %v", ErrBadInput, name, i, f)
		}
	}
	return nil
}

// ranks is the ranking of a pooled sample.
type ranks struct {
	w2     int64   // twice the canary's rank sum
	ties   float64 // Σ(t³−t) over tie groups
	scores []int64 // twice the midrank of each pooled value, in order; nil unless asked
}

// rankSorted ranks the pooled sample of the sorted samples x (canary) and y
// (baseline) by merging them. Ranks are doubled so that midranks are
// integers: a tie group at positions a..b (from 1) scores a+b each.
func rankSorted(x, y []float64, withScores bool) ranks {
	var r ranks
	if withScores {
		r.scores = make([]int64, 0, len(x)+len(y))
	}
	i, j, pos := 0, 0, 0
	for i < len(x) || j < len(y) {
		var v float64
		switch {
		case j == len(y):
			v = x[i]
		case i == len(x):
			v = y[j]
		default:
			v = min(x[i], y[j])
		}
		ci, cj := 0, 0
		for i < len(x) && x[i] == v {
			i, ci = i+1, ci+1
		}
		for j < len(y) && y[j] == v {
			j, cj = j+1, cj+1
		}
		t := ci + cj
		score := int64(2*pos + t + 1) // (pos+1) + (pos+t)
		r.w2 += int64(ci) * score
		if t > 1 {
			ft := float64(t)
			r.ties += ft*ft*ft - ft
		}
		for range t {
			if withScores {
				r.scores = append(r.scores, score)
			}
		}
		pos += t
	}
	return r
}

// exactRankSumP returns the exact p-values of the doubled canary rank sum
// w2, n1 values among the pooled doubled scores (sorted ascending): P(W ≥ w),
// P(W ≤ w) and P(|W − E W| ≥ |w − E W|), under H0.
func exactRankSumP(scores []int64, n1 int, w2 int64) (greater, less, two float64) {
	nn := len(scores)
	// Count subsets of the smaller group's size; the canary's sum is then
	// either the subset sum or the total minus it.
	m, flip := n1, false
	if nn-n1 < n1 {
		m, flip = nn-n1, true
	}
	var total int64
	for _, s := range scores {
		total += s
	}
	lo, counts := subsetSumCounts(scores, m)
	center := int64(n1) * int64(nn+1) // 2·E[W]
	dev := abs64(w2 - center)
	var all, ge, le, far float64
	for k, c := range counts {
		if c <= 0 {
			continue
		}
		s := lo + int64(k)
		if flip {
			s = total - s
		}
		all += c
		if s >= w2 {
			ge += c
		}
		if s <= w2 {
			le += c
		}
		if abs64(s-center) >= dev {
			far += c
		}
	}
	return ge / all, le / all, far / all
}

// subsetSumCounts returns, for the m-element subsets of the ascending
// scores, the number of subsets with each sum: counts[k] subsets sum to
// lo+k. Counts are float64 (they reach C(N, m)) built by additions only, so
// their relative error stays within a few ulps per element.
//
// Row j of the table holds the sums of j-subsets of the elements seen so
// far, which lie between the sum of the j smallest scores (lowJ) and the sum
// of the j largest seen so far; adding element i with score v updates rows
// from the top down: row[j][s+v] += row[j−1][s].
func subsetSumCounts(scores []int64, m int) (int64, []float64) {
	nn := len(scores)
	low := make([]int64, m+1)  // low[j]: sum of the j smallest scores
	high := make([]int64, m+1) // high[j]: sum of the j largest scores
	for j := 1; j <= m; j++ {
		low[j] = low[j-1] + scores[j-1]
		high[j] = high[j-1] + scores[nn-j]
	}
	off := make([]int, m+2) // row j occupies table[off[j]:off[j+1]]
	for j := 0; j <= m; j++ {
		off[j+1] = off[j] + int(high[j]-low[j]) + 1
	}
	table := make([]float64, off[m+1])
	table[0] = 1 // the empty subset
	// reach[j]: the largest sum of a j-subset of the elements seen so far.
	reach := make([]int64, m+1)
	for i, v := range scores {
		// Row j can gain a subset only if m−j elements remain after i.
		jlo := max(1, m-(nn-1-i))
		for j := min(i+1, m); j >= jlo; j-- {
			src := table[off[j-1]:off[j]]
			dst := table[off[j]:off[j+1]]
			// Sums in row j−1 reachable so far run from low[j−1] to
			// reach[j−1]; each moves to s+v in row j.
			shift := int(low[j-1] + v - low[j])
			hiK := int(reach[j-1] - low[j-1])
			for k := 0; k <= hiK; k++ {
				dst[k+shift] += src[k]
			}
			reach[j] = max(reach[j], reach[j-1]+v)
		}
	}
	return low[m], table[off[m]:off[m+1]]
}

// hodgesLehmann returns the median of the differences x[i] − y[j] of the
// sorted, non-empty samples x and y.
func hodgesLehmann(x, y []float64) float64 {
	total := int64(len(x)) * int64(len(y))
	k := (total + 1) / 2
	if total%2 == 1 {
		a, _ := diffOrderStats(x, y, k, k)
		return a
	}
	a, b := diffOrderStats(x, y, k, k+1)
	return a/2 + b/2
}

// diffOrderStats returns the k1-th and k2-th smallest (from 1, with
// k1 ≤ k2 ≤ k1+1) of the computed differences x[i] − y[j] of the sorted
// samples x and y, without materialising them all.
//
// It bisects over float64 values in their bit order (so the scale of the
// data does not matter), keeping count(lo) < k1 ≤ k2 ≤ count(hi), where
// count(d), the number of differences ≤ d, takes one O(len(x)+len(y)) pass
// because floating-point subtraction is monotone in each argument. It stops
// when a pass lands between the two order statistics, when (lo, hi] holds
// a single value, or when it holds few enough differences to gather and
// sort. A float64 has 2^64 bit patterns, so there are at most 64 passes;
// on typical data about 30 suffice for 10^10 differences.
func diffOrderStats(x, y []float64, k1, k2 int64) (float64, float64) {
	n2 := len(y)
	// boundary calls f(i, j) for each i with j the first index whose
	// difference x[i] − y[j] is ≤ d (j = n2 if none).
	boundary := func(d float64, f func(i, j int)) {
		j := 0
		for i, xi := range x {
			for j < n2 && xi-y[j] > d {
				j++
			}
			f(i, j)
		}
	}
	count := func(d float64) int64 {
		var c int64
		boundary(d, func(_, j int) { c += int64(n2 - j) })
		return c
	}
	limit := int64(max(len(x)+n2, 256))
	lo := floatKey(x[0]-y[n2-1]) - 1 // below every difference: count 0
	hi := floatKey(x[len(x)-1] - y[0])
	cLo, cHi := int64(0), int64(len(x))*int64(n2)
	for cHi-cLo > limit && uint64(hi)-uint64(lo) > 1 {
		mid := (lo & hi) + (lo^hi)>>1 // floor((lo+hi)/2) without overflow
		d := keyFloat(mid)
		c := count(d)
		switch {
		case c >= k2:
			hi, cHi = mid, c
		case c < k1:
			lo, cLo = mid, c
		default:
			// c = k1 < k2: the k1-th difference is the largest ≤ d and
			// the k2-th the smallest above d.
			below, above := math.Inf(-1), math.Inf(1)
			boundary(d, func(i, j int) {
				if j < n2 {
					below = max(below, x[i]-y[j])
				}
				if j > 0 {
					above = min(above, x[i]-y[j-1])
				}
			})
			return below, above
		}
	}
	if uint64(hi)-uint64(lo) <= 1 {
		// Every difference in (lo, hi] equals hi.
		return keyFloat(hi), keyFloat(hi)
	}
	// At most limit differences lie in (lo, hi]: gather and sort them.
	cand := make([]float64, 0, cHi-cLo)
	boundary(keyFloat(hi), func(i, j int) {
		for ; j < n2; j++ {
			d := x[i] - y[j]
			if floatKey(d) <= lo {
				break
			}
			cand = append(cand, d)
		}
	})
	slices.Sort(cand)
	return cand[k1-cLo-1], cand[k2-cLo-1]
}

// floatKey maps a non-NaN float64 to an int64 with the same order; ±0 both
// map to 0.
func floatKey(f float64) int64 {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return -int64(b &^ (1 << 63))
	}
	return int64(b)
}

// keyFloat is the inverse of floatKey.
func keyFloat(k int64) float64 {
	if k < 0 {
		return -math.Float64frombits(uint64(-k))
	}
	return math.Float64frombits(uint64(k))
}

// median returns the median of the sorted, non-empty v.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return v[n/2-1]/2 + v[n/2]/2
}

// upperTail returns P(Z ≥ z) for a standard normal Z.
func upperTail(z float64) float64 { return math.Erfc(z/math.Sqrt2) / 2 }

// clamp01 clamps p to [0, 1].
func clamp01(p float64) float64 { return max(0, min(1, p)) }

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

package stats

import (
	"math"
	"slices"
)

// MaxDiff returns max(canary) − max(baseline): the statistic of
// [MaxDiffTest], and of a [PermutationTest] given it. Both slices must be
// non-empty.
func MaxDiff(canary, baseline []float64) float64 {
	return slices.Max(canary) - slices.Max(baseline)
}

// MaxDiffTest is the exact permutation test of [MaxDiff]: what a
// [PermutationTest] with that statistic would return after enumerating
// every split of the pooled values, computed in O(n log n) instead. (The
// 99th percentile of at most 100 values is their maximum, so this is the
// p99 test of small samples.)
//
// Sort the pooled values, z[0] ≤ … ≤ z[N−1]. Either the canary holds
// position N−1 and the baseline's maximum is at the highest position j it
// holds, all positions above j being the canary's; or the other way round.
// Counting the splits of the positions below j gives each value of the
// statistic its exact probability. Ties need no care: the statistic depends
// only on the values at those positions.
//
// The result has Exhaustive set and Splits = C(N, n1), or math.MaxInt when
// that does not fit in an int. It returns an error wrapping [ErrBadInput] if
// a sample is empty or holds a NaN or an infinity.
func MaxDiffTest(canary, baseline []float64) (PermutationResult, error) {
	var r PermutationResult
	if err := checkSample("canary", canary); err != nil {
		return r, err
	}
	if err := checkSample("baseline", baseline); err != nil {
		return r, err
	}
	n1, n2 := len(canary), len(baseline)
	n := n1 + n2
	z := make([]float64, 0, n)
	z = append(append(z, canary...), baseline...)
	slices.Sort(z)
	obs := MaxDiff(canary, baseline)
	tol := permTol * math.Abs(obs)
	total := lchoose(n, n1) // in logs: C(N, n1) overflows a float64 from N ≈ 1,030
	add := func(t, lcount float64) {
		p := math.Exp(lcount - total)
		if t >= obs-tol {
			r.PGreater += p
		}
		if t <= obs+tol {
			r.PLess += p
		}
	}
	top := z[n-1]
	for j := n - 2; j >= 0; j-- {
		above := n - 1 - j // positions j+1..n−1, all on the side holding n−1
		// The canary holds n−1 and the baseline's highest position is j.
		// The other j positions split k : n2−1 (k+n2−1 = j).
		if k := n1 - above; k >= 0 && k <= j {
			add(top-z[j], lchoose(j, k))
		}
		// The baseline holds n−1 and the canary's highest position is j.
		if k := n2 - above; k >= 0 && k <= j {
			add(z[j]-top, lchoose(j, k))
		}
	}
	r.Observed = obs
	r.PGreater, r.PLess = min(r.PGreater, 1), min(r.PLess, 1)
	r.PTwoSided = min(1, 2*min(r.PGreater, r.PLess))
	r.Exhaustive, r.Splits = true, math.MaxInt
	if c, ok := binomialAtMost(n, n1, math.MaxInt); ok {
		r.Splits = c
	}
	return r, nil
}

// lchoose is log C(n, k).
func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

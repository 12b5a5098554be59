package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultRounds is the number of random permutations [PermutationTest] draws
// when Rounds is 0.
const DefaultRounds = 9999

// permTol is the relative tolerance under which a permuted statistic counts
// as equal to the observed one: the same split summed in another order may
// differ in the last bits, and a tie must count as at least as extreme.
const permTol = 1e-10

// PermutationTest is a two-sample permutation test of the canary against the
// baseline for any statistic, by default the difference of means. The zero
// value is ready to use.
//
// H0 is that the group labels are exchangeable: every split of the pooled
// values into n1 canary and n2 baseline values is equally likely. When there
// are at most Rounds distinct splits, Run enumerates them all and returns
// the exact permutation p-value, the fraction of splits whose statistic is
// at least as extreme as the observed one (the observed split included).
// Otherwise it draws Rounds random splits from the caller's random source
// and returns (k+1)/(Rounds+1), where k of them were at least as extreme:
// counting the observed split among the draws keeps the p-value valid, never
// below the 1/(Rounds+1) the test can resolve.
type PermutationTest struct {
	// Rounds is the number of random splits to draw; 0 means
	// [DefaultRounds]. It must not be negative.
	Rounds int
	// Statistic computes the test statistic; large values are evidence that
	// the canary is larger. It receives slices that alias Run's scratch
	// space: it must not modify or retain them, and it must return a
	// non-NaN value. nil means [MeanDiff].
	Statistic func(canary, baseline []float64) float64
}

// PermutationResult is the outcome of a [PermutationTest].
type PermutationResult struct {
	// Observed is the statistic of the actual split.
	Observed float64
	// PGreater is the p-value against "the statistic is larger for the
	// actual split than by chance", PLess against "smaller", and PTwoSided
	// = min(1, 2·min(PGreater, PLess)).
	PGreater, PLess, PTwoSided float64
	// Exhaustive reports that every split was enumerated, Splits of them;
	// otherwise Splits random splits were drawn.
	Exhaustive bool
	Splits     int
}

// MeanDiff returns mean(canary) − mean(baseline), the default statistic of
// [PermutationTest]. Both slices must be non-empty.
func MeanDiff(canary, baseline []float64) float64 {
	var a, b float64
	for _, v := range canary {
		a += v
	}
	for _, v := range baseline {
		b += v
	}
	return a/float64(len(canary)) - b/float64(len(baseline))
}

// Run tests the canary's sample against the baseline's, drawing random
// splits from rng. The result depends only on the inputs and on rng's state,
// so a seeded rng makes it reproducible; Run advances rng. It does not
// modify or retain the samples. It is safe for concurrent use if rng and
// Statistic are.
//
// It returns an error wrapping [ErrBadInput] if a sample is empty or holds a
// NaN or an infinity, rng is nil, Rounds is negative, or Statistic returns
// NaN (rng may then have advanced). A panic in Statistic propagates.
func (t PermutationTest) Run(canary, baseline []float64, rng *rand.Rand) (PermutationResult, error) {
	var r PermutationResult
	if err := checkSample("canary", canary); err != nil {
		return r, err
	}
	if err := checkSample("baseline", baseline); err != nil {
		return r, err
	}
	if rng == nil {
		return r, fmt.Errorf("%w: nil random source", ErrBadInput)
	}
	if t.Rounds < 0 {
		return r, fmt.Errorf("%w: %d rounds", ErrBadInput, t.Rounds)
	}
	rounds := t.Rounds
	if rounds == 0 {
		rounds = DefaultRounds
	}
	stat := t.Statistic
	if stat == nil {
		stat = MeanDiff
	}
	n1, n2 := len(canary), len(baseline)
	nn := n1 + n2
	pool := make([]float64, nn, 2*nn)
	copy(pool, canary)
	copy(pool[n1:], baseline)

	obs := stat(pool[:n1], pool[n1:])
	if math.IsNaN(obs) {
		return r, fmt.Errorf("%w: statistic is NaN", ErrBadInput)
	}
	tol := permTol * math.Abs(obs)
	var ge, le int
	tally := func(s float64) bool {
		if math.IsNaN(s) {
			return false
		}
		if s >= obs-tol {
			ge++
		}
		if s <= obs+tol {
			le++
		}
		return true
	}

	r.Observed = obs
	if splits, ok := binomialAtMost(nn, n1, rounds); ok {
		// Exhaustive: walk every n1-subset of pool positions in
		// lexicographic order, gathering each split into scratch.
		scratch := pool[nn : 2*nn]
		idx := make([]int, n1)
		for i := range idx {
			idx[i] = i
		}
		for {
			c, b := scratch[:0:n1], scratch[n1:n1]
			next := 0
			for p, v := range pool {
				if next < n1 && idx[next] == p {
					c = append(c, v)
					next++
				} else {
					b = append(b, v)
				}
			}
			if !tally(stat(c, b)) {
				return PermutationResult{}, fmt.Errorf("%w: statistic is NaN", ErrBadInput)
			}
			if !nextCombination(idx, nn) {
				break
			}
		}
		r.Exhaustive, r.Splits = true, splits
		r.PGreater = float64(ge) / float64(splits)
		r.PLess = float64(le) / float64(splits)
	} else {
		for range rounds {
			shuffleSplit(pool, n1, rng)
			if !tally(stat(pool[:n1], pool[n1:])) {
				return PermutationResult{}, fmt.Errorf("%w: statistic is NaN", ErrBadInput)
			}
		}
		r.Splits = rounds
		r.PGreater = float64(ge+1) / float64(rounds+1)
		r.PLess = float64(le+1) / float64(rounds+1)
	}
	r.PTwoSided = min(1, 2*min(r.PGreater, r.PLess))
	return r, nil
}

// shuffleSplit puts a uniformly random n1-subset of pool in pool[:n1] (and
// the rest in pool[n1:]) by a partial Fisher–Yates shuffle of the smaller
// side.
func shuffleSplit(pool []float64, n1 int, rng *rand.Rand) {
	nn := len(pool)
	if n1 <= nn-n1 {
		for i := range n1 {
			j := i + rng.IntN(nn-i)
			pool[i], pool[j] = pool[j], pool[i]
		}
		return
	}
	for i := nn - 1; i >= n1; i-- {
		j := rng.IntN(i + 1)
		pool[i], pool[j] = pool[j], pool[i]
	}
}

// binomialAtMost returns C(n, k) and true if it is at most limit, or false.
func binomialAtMost(n, k, limit int) (int, bool) {
	k = min(k, n-k)
	c := 1
	for i := 1; i <= k; i++ {
		// c·(n−k+i)/i is exact at every step; stop before it can overflow.
		if c > limit || c > math.MaxInt/(n-k+i) {
			return 0, false
		}
		c = c * (n - k + i) / i
	}
	return c, c <= limit
}

// nextCombination advances idx, a strictly increasing k-subset of [0, n),
// to the next one in lexicographic order, reporting false after the last.
func nextCombination(idx []int, n int) bool {
	k := len(idx)
	i := k - 1
	for i >= 0 && idx[i] == n-k+i {
		i--
	}
	if i < 0 {
		return false
	}
	idx[i]++
	for j := i + 1; j < k; j++ {
		idx[j] = idx[j-1] + 1
	}
	return true
}

package deploy

import (
	"math"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// shareTest is the anytime-valid sequential test of error events against the
// exact split, for a share that may change between batches.
//
// It is [stats.SeqBinomial] in the Greater direction with the default grid
// (rate ratios from [stats.DefaultMinRatio] to [stats.DefaultMaxRatio],
// [stats.SeqGridSize] of them, geometrically spaced), generalised in one
// respect that a rollout needs: each batch of events carries its own null
// share p0. The canary's share changes at every step of a rollout, and with
// every spawn or despawn; SeqBinomial fixes p0 when it is built. Per grid
// ratio r the log likelihood ratio of a batch of x canary events among n is
// x·log r − n·log(1 + (r−1)·p0); summing these over batches with the p0 of
// each batch (known before the batch is drawn) keeps every term a
// nonnegative martingale with mean 1 under H0, so the equal-weight mixture
// E is one too and Ville's inequality bounds P(sup E ≥ 1/α) by α, however
// the share moved. With a constant share it equals SeqBinomial's e-value
// (a test checks that).
type shareTest struct {
	logR  [stats.SeqGridSize]float64
	logL  [stats.SeqGridSize]float64 // per grid point, the log likelihood ratio so far
	logK  float64
	thr   float64 // log(1/alpha)
	maxE  float64 // log of the running maximum of E (≥ 0)
	x, n  int64
	rejAt int64 // n when it first rejected, 0 before
}

func newShareTest(alpha float64) shareTest {
	t := shareTest{logK: math.Log(stats.SeqGridSize), thr: -math.Log(alpha)}
	lo, hi := stats.DefaultMinRatio, stats.DefaultMaxRatio
	step := math.Log(hi/lo) / (stats.SeqGridSize - 1)
	for i := range t.logR {
		t.logR[i] = math.Log(lo) + float64(i)*step
	}
	return t
}

// observe adds a batch of n events, x of them on the canary, whose null
// probability of landing on the canary is p0 (0 < p0 < 1; batches with p0
// outside that carry no evidence and are skipped).
func (t *shareTest) observe(x, n int, p0 float64) {
	if n <= 0 || !(p0 > 0 && p0 < 1) {
		return
	}
	t.x += int64(x)
	t.n += int64(n)
	m := math.Inf(-1)
	for i, lr := range t.logR {
		t.logL[i] += float64(x)*lr - float64(n)*math.Log1p(math.Expm1(lr)*p0)
		m = max(m, t.logL[i])
	}
	var sum float64
	for _, l := range t.logL {
		if d := l - m; d > -40 {
			sum += math.Exp(d)
		}
	}
	logE := m + math.Log(sum) - t.logK
	if logE > t.maxE {
		t.maxE = logE
	}
	if t.rejAt == 0 && logE >= t.thr {
		t.rejAt = t.n
	}
}

// rejected reports whether E has reached 1/α.
func (t *shareTest) rejected() bool { return t.rejAt > 0 }

// pValue is the always-valid p-value min(1, 1/sup E).
func (t *shareTest) pValue() float64 { return math.Exp(-t.maxE) }

// binomialUpper returns P(X ≥ x) for X ~ Binomial(n, p): the exact one-sided
// p-value of x successes when p is the null probability. It sums the
// terms in log space away from the mode, where they shrink, stopping once
// they no longer matter.
func binomialUpper(x, n int64, p float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x > n || p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	lgn, _ := math.Lgamma(float64(n) + 1)
	term := func(k int64) float64 {
		a, _ := math.Lgamma(float64(k) + 1)
		b, _ := math.Lgamma(float64(n-k) + 1)
		return lgn - a - b + float64(k)*lp + float64(n-k)*lq
	}
	// tail sums term(k) for k from 'from' by 'step' within [0, n].
	tail := func(from, step int64) float64 {
		first := term(from)
		sum := 0.0
		for k := from; k >= 0 && k <= n; k += step {
			d := term(k) - first
			if d < -40 {
				break
			}
			sum += math.Exp(d)
		}
		return math.Exp(first + math.Log(sum))
	}
	if mode := int64(float64(n+1) * p); x > mode {
		return math.Min(1, tail(x, 1))
	}
	return math.Max(0, 1-tail(x-1, -1))
}

// binomialLower returns P(X ≤ x) for X ~ Binomial(n, p).
func binomialLower(x, n int64, p float64) float64 {
	switch {
	case x < 0:
		return 0
	case x >= n:
		return 1
	}
	return binomialUpper(n-x, n, 1-p)
}

package stats

import (
	"fmt"
	"math"
)

// Defaults of [SeqSettings].
const (
	// DefaultAlpha is the false-alarm level used when SeqSettings.Alpha is 0.
	DefaultAlpha = 0.05
	// DefaultMinRatio is the smallest rate ratio of the mixture grid.
	DefaultMinRatio = 1.1
	// DefaultMaxRatio is the largest rate ratio of the mixture grid.
	DefaultMaxRatio = 16.0
	// SeqGridSize is the number of alternatives per side in the mixture.
	SeqGridSize = 16
)

// pruneBelow is where a mixture term stops mattering: a term e^-40 times the
// largest is below half an ulp of the sum even when all 32 such terms add up,
// so skipping its exp changes nothing a float64 can represent.
const pruneBelow = -40

// SeqSettings configures a [SeqBinomial]. Zero fields mean the documented
// defaults; [NewSeqBinomial] rejects anything else outside its domain.
type SeqSettings struct {
	// Share is the canary's share s of the entities, 0 < s < 1. Required.
	Share float64

	// BaselineShare, when not zero, makes the test relative: only events on
	// the canary and on one baseline version are counted (see
	// [SeqBinomial.ObservePair]), and under H0 an event lands on the canary
	// with probability Share/(Share+BaselineShare). It must be in (0, 1)
	// with Share+BaselineShare ≤ 1. Zero compares the canary with everything
	// else, at null probability Share.
	BaselineShare float64

	// Alpha is the false-alarm level, in (0, 1); 0 means [DefaultAlpha].
	// The test rejects when the e-value reaches 1/Alpha.
	Alpha float64

	// Alternative is the direction tested; the zero value [Greater] is "the
	// canary has more events than its share", i.e. the canary is worse.
	Alternative Alternative

	// MinRatio and MaxRatio bound the grid of rate ratios the mixture
	// averages over (see [SeqBinomial]); 0 means [DefaultMinRatio] and
	// [DefaultMaxRatio]. They need 1 < MinRatio ≤ MaxRatio < +Inf. Effects
	// far below MinRatio are detected slowly or never; effects above
	// MaxRatio are detected about as fast as MaxRatio itself.
	MinRatio, MaxRatio float64
}

// SeqBinomial is an anytime-valid sequential test that a canary's events
// (errors, failures, crashes) land on it at its fair share.
//
// Model: every event, independently of the others and of the past, lands on
// the canary with probability p. Under H0, p = p0, the canary's share of the
// entities (or Share/(Share+BaselineShare) in the relative case). Because
// Grove's split is exact, H0 is exactly "the canary's per-entity event rate
// equals the rest's". The alternatives are rate ratios r = (canary rate) /
// (other rate) ≠ 1, which map to p = r·p0 / (r·p0 + 1 − p0); the rate ratio
// is also the odds ratio of p against p0. The model needs each counted
// event to be an independent draw of the version: count an entity's event
// once, not once per frame it persists (a stuck entity that fails every
// frame for a second is one event, not 60), because one entity's frames all
// land on the same version.
//
// Statistic: after x canary events among n events, the e-value is the
// mixture likelihood ratio
//
//	E = (1/K) · Σ_k (p_k/p0)^x · ((1−p_k)/(1−p0))^(n−x)
//	  = (1/K) · Σ_k r_k^x / (1 + (r_k−1)·p0)^n
//
// over a fixed grid of K = [SeqGridSize] rate ratios r_k, geometrically
// spaced from MinRatio to MaxRatio (their inverses for [Less], both sides
// with K = 2·[SeqGridSize] for [TwoSided]), with equal weights. Each term is
// a likelihood ratio, a nonnegative martingale with mean 1 under H0 in the
// event index; a convex combination with weights fixed in advance is one
// too. Ville's inequality then bounds the probability that E ever reaches
// 1/α, over the whole unbounded future, by α: the test may be checked after
// every frame, or stopped at any data-dependent time, without inflating its
// false-alarm rate. Observing events in batches only samples the martingale
// at fewer times, which keeps the bound.
//
// Why this mixture: a grid mixture is exact arithmetic on sufficient
// statistics (x, n), needs no special functions (a one-sided beta mixture
// needs the incomplete beta function), has a bounded cost per update, and
// puts its mass where canary regressions live, on ratios from about 1.1× to
// 16×; its price against knowing the true ratio in advance is at most
// log K (2.8 nats for K = 16) of evidence plus the grid spacing.
//
// Decision: the test rejects H0 the first time E ≥ 1/α and stays rejected
// (later data can not un-ring it); [SeqBinomial.PValue] is the always-valid
// p-value min(1, 1/sup E). With no events E = 1 and the verdict is
// [Inconclusive]. Rejection in the [Greater] direction is a [Fail], in the
// [Less] direction a [Pass]; a [TwoSided] rejection fails when the canary's
// observed share is above p0 at the moment of rejection and passes
// otherwise. The test never passes a canary merely for lack of evidence.
//
// The zero value is not usable; build one with [NewSeqBinomial]. A
// SeqBinomial is a plain value: copying it forks the test. It is not safe
// for concurrent use; updates need a pointer.
type SeqBinomial struct {
	alt    Alternative
	p0     float64
	alpha  float64
	logThr float64 // log(1/alpha)
	k      int     // number of mixture components; 0 when not configured

	logR [2 * SeqGridSize]float64 // log r_k, increasing
	c    [2 * SeqGridSize]float64 // log(1 + (r_k−1)·p0)
	logK float64                  // log k
	best int                      // index of the largest term at the last update

	x, n    int64   // canary events, events
	logMaxE float64 // log of the e-value's running maximum (≥ 0)

	rejected  bool
	rejectN   int64 // n when first rejected
	rejectVer Verdict
}

// NewSeqBinomial returns a test with no events observed. It returns an error
// wrapping [ErrBadInput] if a setting is outside its domain.
func NewSeqBinomial(st SeqSettings) (SeqBinomial, error) {
	var s SeqBinomial
	if !(st.Share > 0 && st.Share < 1) {
		return s, fmt.Errorf("%w: share %v outside (0, 1)", ErrBadInput, st.Share)
	}
	p0 := st.Share
	if st.BaselineShare != 0 {
		if !(st.BaselineShare > 0 && st.BaselineShare < 1) {
			return s, fmt.Errorf("%w: baseline share %v outside (0, 1)", ErrBadInput, st.BaselineShare)
		}
		// Shares of an exact split may sum to 1 up to rounding.
		if st.Share+st.BaselineShare > 1+1e-9 {
			return s, fmt.Errorf("%w: shares %v + %v exceed 1", ErrBadInput, st.Share, st.BaselineShare)
		}
		p0 = st.Share / (st.Share + st.BaselineShare)
	}
	alpha := st.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if !(alpha > 0 && alpha < 1) {
		return s, fmt.Errorf("%w: alpha %v outside (0, 1)", ErrBadInput, st.Alpha)
	}
	if !st.Alternative.valid() {
		return s, fmt.Errorf("%w: alternative %v", ErrBadInput, st.Alternative)
	}
	lo, hi := st.MinRatio, st.MaxRatio
	if lo == 0 {
		lo = DefaultMinRatio
	}
	if hi == 0 {
		hi = DefaultMaxRatio
	}
	if !(lo > 1 && lo <= hi && hi < math.Inf(1)) {
		return s, fmt.Errorf("%w: ratio grid [%v, %v] needs 1 < min ≤ max < +Inf", ErrBadInput, st.MinRatio, st.MaxRatio)
	}

	s.alt, s.p0, s.alpha, s.logThr = st.Alternative, p0, alpha, -math.Log(alpha)
	add := func(logr float64) {
		s.logR[s.k] = logr
		s.c[s.k] = math.Log1p(math.Expm1(logr) * p0)
		s.k++
	}
	// The grid is kept in increasing order of log r; see update.
	step := math.Log(hi/lo) / (SeqGridSize - 1)
	logr := func(i int) float64 { return math.Log(lo) + float64(i)*step }
	if s.alt != Greater {
		for i := SeqGridSize - 1; i >= 0; i-- {
			add(-logr(i))
		}
	}
	if s.alt != Less {
		for i := range SeqGridSize {
			add(logr(i))
		}
	}
	s.logK = math.Log(float64(s.k))
	return s, nil
}

// Observe adds a batch of events, canaryEvents of them on the canary, to the
// test and updates its e-value. In the relative case totalEvents counts the
// events on the canary and the baseline only ([SeqBinomial.ObservePair] is
// the same with the baseline's count). A batch is typically one frame's new
// events; an empty batch changes nothing.
//
// It returns an error wrapping [ErrBadInput], and changes nothing, if a count
// is negative, canaryEvents > totalEvents, or the running total would
// overflow; [ErrNotConfigured] on a zero SeqBinomial. It takes O(K) time for
// the fixed K of the mixture, and usually O(1): a few multiply-adds to find
// the largest term, plus K exponentials only when the e-value may reach a
// new maximum. It does not allocate.
func (s *SeqBinomial) Observe(canaryEvents, totalEvents int) error {
	if s.k == 0 {
		return ErrNotConfigured
	}
	if canaryEvents < 0 || totalEvents < 0 || canaryEvents > totalEvents {
		return fmt.Errorf("%w: %d canary events of %d", ErrBadInput, canaryEvents, totalEvents)
	}
	if int64(totalEvents) > math.MaxInt64-s.n {
		return fmt.Errorf("%w: event count overflows", ErrBadInput)
	}
	if totalEvents == 0 {
		return nil
	}
	s.x += int64(canaryEvents)
	s.n += int64(totalEvents)
	s.update()
	return nil
}

// ObservePair is [SeqBinomial.Observe] for the relative case: it adds
// canaryEvents events on the canary and baselineEvents on the baseline.
// Errors are as for Observe.
func (s *SeqBinomial) ObservePair(canaryEvents, baselineEvents int) error {
	if s.k == 0 {
		return ErrNotConfigured
	}
	if canaryEvents < 0 || baselineEvents < 0 {
		return fmt.Errorf("%w: %d canary and %d baseline events", ErrBadInput, canaryEvents, baselineEvents)
	}
	if canaryEvents > math.MaxInt-baselineEvents {
		return fmt.Errorf("%w: event count overflows", ErrBadInput)
	}
	return s.Observe(canaryEvents, canaryEvents+baselineEvents)
}

// update applies the stopping rule after (x, n) changed.
//
// The e-value, an average of the mixture terms, is at most their largest
// term; while that term stays at or below the running maximum, neither the
// maximum nor the decision can change and update skips the exponentials.
// The largest term is found by hill climbing from the last one: the log
// likelihood ratio x·θ − n·log(1 − p0 + p0·e^θ) is strictly concave in
// θ = log r for n > 0, so along the increasing grid the terms are unimodal
// and a local maximum is the global one. Data move it slowly, so under H0 a
// frame usually costs three terms.
func (s *SeqBinomial) update() {
	x, n, k := float64(s.x), float64(s.n), s.k
	i := s.best
	v := x*s.logR[i] - n*s.c[i]
	moved := false
	for i+1 < k {
		w := x*s.logR[i+1] - n*s.c[i+1]
		if w <= v {
			break
		}
		i, v, moved = i+1, w, true
	}
	for !moved && i > 0 {
		w := x*s.logR[i-1] - n*s.c[i-1]
		if w <= v {
			break
		}
		i, v = i-1, w
	}
	if i != s.best {
		s.best = i
	}
	if v <= s.logMaxE {
		return
	}
	logE := s.logMean(v)
	if logE <= s.logMaxE {
		return
	}
	s.logMaxE = logE
	if !s.rejected && logE >= s.logThr {
		s.rejected, s.rejectN = true, s.n
		switch {
		case s.alt == Greater:
			s.rejectVer = Fail
		case s.alt == Less:
			s.rejectVer = Pass
		case x > s.p0*n:
			s.rejectVer = Fail
		default:
			s.rejectVer = Pass
		}
	}
}

// The log likelihood ratio of mixture component i at (x, n) is
// x·logR[i] − n·c[i]. Recomputing it from the sufficient statistics, rather
// than multiplying in each batch, keeps rounding from drifting over millions
// of updates; it is cheap enough to compute twice rather than store.

// maxTerm returns the largest log likelihood ratio of the components.
func (s *SeqBinomial) maxTerm() float64 {
	x, n := float64(s.x), float64(s.n)
	m := math.Inf(-1)
	for i := range s.k {
		if v := x*s.logR[i] - n*s.c[i]; v > m {
			m = v
		}
	}
	return m
}

// logMean returns the log of the equally weighted average of the
// components' likelihood ratios, given the largest log ratio m.
func (s *SeqBinomial) logMean(m float64) float64 {
	x, n := float64(s.x), float64(s.n)
	var sum float64
	for i := range s.k {
		if d := x*s.logR[i] - n*s.c[i] - m; d > pruneBelow {
			sum += math.Exp(d)
		}
	}
	return m + math.Log(sum) - s.logK
}

// Reset forgets every observation, keeping the settings.
func (s *SeqBinomial) Reset() {
	s.x, s.n, s.logMaxE, s.best = 0, 0, 0, 0
	s.rejected, s.rejectN, s.rejectVer = false, 0, Inconclusive
}

// EValue returns the current e-value E (1 before any event). It may be
// +Inf once the evidence exceeds the float64 range, or 0 once it falls
// below it; see [SeqBinomial.LogEValue]. It takes O(K) time.
func (s *SeqBinomial) EValue() float64 { return math.Exp(s.LogEValue()) }

// LogEValue returns the natural logarithm of the current e-value (0 before
// any event). It takes O(K) time.
func (s *SeqBinomial) LogEValue() float64 {
	if s.n == 0 {
		return 0
	}
	return s.logMean(s.maxTerm())
}

// PValue returns the always-valid p-value min(1, 1/sup E), the supremum over
// every observation so far. Under H0 the probability that it ever falls to
// a or below is at most a, for every a in (0, 1].
func (s *SeqBinomial) PValue() float64 { return math.Exp(-s.logMaxE) }

// Rejected reports whether the e-value has reached 1/α at some observation.
func (s *SeqBinomial) Rejected() bool { return s.rejected }

// Verdict returns [Inconclusive] until the test rejects, then [Fail] or
// [Pass] as described on [SeqBinomial], for good.
func (s *SeqBinomial) Verdict() Verdict { return s.rejectVer }

// Counts returns the canary's events and all counted events so far.
func (s *SeqBinomial) Counts() (canary, total int64) { return s.x, s.n }

// NullShare returns p0, the probability under H0 that an event lands on the
// canary.
func (s *SeqBinomial) NullShare() float64 { return s.p0 }

// SeqResult is a snapshot of a [SeqBinomial]: the verdict and the numbers
// behind it.
type SeqResult struct {
	Verdict     Verdict
	Alternative Alternative
	Rejected    bool
	// EValue is the current e-value, MaxEValue its running maximum, and
	// Threshold = 1/α the level that rejects.
	EValue, MaxEValue, Threshold float64
	// PValue is the always-valid p-value min(1, 1/MaxEValue).
	PValue float64
	// CanaryEvents of TotalEvents landed on the canary.
	CanaryEvents, TotalEvents int64
	// NullShare is p0; ObservedShare is CanaryEvents/TotalEvents, 0 when
	// there are no events.
	NullShare, ObservedShare float64
	// RejectedAt is TotalEvents at the observation that first rejected, 0
	// if the test has not rejected.
	RejectedAt int64
}

// Result returns a snapshot of the test.
func (s *SeqBinomial) Result() SeqResult {
	r := SeqResult{
		Verdict:      s.rejectVer,
		Alternative:  s.alt,
		Rejected:     s.rejected,
		EValue:       s.EValue(),
		MaxEValue:    math.Exp(s.logMaxE),
		PValue:       s.PValue(),
		CanaryEvents: s.x,
		TotalEvents:  s.n,
		NullShare:    s.p0,
		RejectedAt:   s.rejectN,
	}
	if s.alpha > 0 {
		r.Threshold = 1 / s.alpha
	}
	if s.n > 0 {
		r.ObservedShare = float64(s.x) / float64(s.n)
	}
	return r
}

package stats

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newSeq(t testing.TB, st SeqSettings) SeqBinomial {
	t.Helper()
	s, err := NewSeqBinomial(st)
	require.NoError(t, err)
	return s
}

func TestSeqBinomialBadSettings(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for name, st := range map[string]SeqSettings{
		"share 0":                {Share: 0},
		"share 1":                {Share: 1},
		"share negative":         {Share: -0.1},
		"share NaN":              {Share: nan},
		"share Inf":              {Share: inf},
		"baseline negative":      {Share: 0.1, BaselineShare: -0.2},
		"baseline 1":             {Share: 0.1, BaselineShare: 1},
		"baseline NaN":           {Share: 0.1, BaselineShare: nan},
		"shares above 1":         {Share: 0.6, BaselineShare: 0.5},
		"alpha negative":         {Share: 0.1, Alpha: -0.05},
		"alpha 1":                {Share: 0.1, Alpha: 1},
		"alpha NaN":              {Share: 0.1, Alpha: nan},
		"alternative unknown":    {Share: 0.1, Alternative: 7},
		"min ratio 1":            {Share: 0.1, MinRatio: 1},
		"min ratio below 1":      {Share: 0.1, MinRatio: 0.5},
		"min above max":          {Share: 0.1, MinRatio: 3, MaxRatio: 2},
		"min above default max":  {Share: 0.1, MinRatio: 20},
		"max ratio Inf":          {Share: 0.1, MaxRatio: inf},
		"max ratio NaN":          {Share: 0.1, MaxRatio: nan},
		"max below default min":  {Share: 0.1, MaxRatio: 1.05},
		"min ratio NaN":          {Share: 0.1, MinRatio: nan},
		"negative ratio min/max": {Share: 0.1, MinRatio: -2, MaxRatio: -1},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := NewSeqBinomial(st)
			assert.ErrorIs(t, err, ErrBadInput)
			assert.Equal(t, SeqBinomial{}, s)
		})
	}

	// Shares of an exact split that sum to 1 are fine.
	_, err := NewSeqBinomial(SeqSettings{Share: 0.3, BaselineShare: 0.7})
	assert.NoError(t, err)
}

func TestSeqBinomialZeroValue(t *testing.T) {
	var s SeqBinomial
	assert.ErrorIs(t, s.Observe(1, 2), ErrNotConfigured)
	assert.ErrorIs(t, s.ObservePair(1, 2), ErrNotConfigured)
	assert.Equal(t, SeqBinomial{}, s)
	assert.Equal(t, Inconclusive, s.Verdict())
	assert.Equal(t, 1.0, s.PValue())
}

func TestSeqBinomialBadObserveChangesNothing(t *testing.T) {
	for _, alt := range []Alternative{Greater, Less, TwoSided} {
		s := newSeq(t, SeqSettings{Share: 0.2, Alternative: alt})
		require.NoError(t, s.Observe(3, 10))
		before := s
		for _, c := range [][2]int{{-1, 5}, {1, -5}, {6, 5}, {-1, -1}, {1, 0}, {math.MaxInt, math.MaxInt}} {
			assert.ErrorIs(t, s.Observe(c[0], c[1]), ErrBadInput, "Observe(%d, %d)", c[0], c[1])
		}
		for _, c := range [][2]int{{-1, 5}, {1, -5}, {math.MaxInt, 1}, {math.MaxInt - 3, math.MaxInt - 3}} {
			assert.ErrorIs(t, s.ObservePair(c[0], c[1]), ErrBadInput, "ObservePair(%d, %d)", c[0], c[1])
		}
		assert.Equal(t, before, s, "alternative %v", alt)
		// A valid empty batch changes nothing either.
		require.NoError(t, s.Observe(0, 0))
		require.NoError(t, s.ObservePair(0, 0))
		assert.Equal(t, before, s)
	}
}

func TestSeqBinomialNoEventsNoDecision(t *testing.T) {
	// Even at a huge alpha, no events means E = 1 < 1/alpha.
	for _, alpha := range []float64{0.05, 0.5, 0.99} {
		for _, alt := range []Alternative{Greater, Less, TwoSided} {
			s := newSeq(t, SeqSettings{Share: 0.5, Alpha: alpha, Alternative: alt})
			for range 1000 {
				require.NoError(t, s.Observe(0, 0))
			}
			r := s.Result()
			assert.Equal(t, Inconclusive, r.Verdict)
			assert.False(t, r.Rejected)
			assert.Equal(t, 1.0, r.EValue)
			assert.Equal(t, 1.0, r.PValue)
			assert.Zero(t, r.TotalEvents)
			assert.Zero(t, r.ObservedShare)
			assert.InDelta(t, 1/alpha, r.Threshold, 1e-12)
		}
	}
}

// refLogE is an independent computation of the mixture e-value: it
// rebuilds the grid, multiplies each component's likelihood ratio event by
// event as Bernoulli probabilities, and averages.
func refLogE(st SeqSettings, events []bool) float64 {
	p0 := st.Share
	if st.BaselineShare != 0 {
		p0 = st.Share / (st.Share + st.BaselineShare)
	}
	lo, hi := st.MinRatio, st.MaxRatio
	if lo == 0 {
		lo = 1.1
	}
	if hi == 0 {
		hi = 16
	}
	var ratios []float64
	for i := range 16 {
		r := lo * math.Pow(hi/lo, float64(i)/15)
		if st.Alternative != Less {
			ratios = append(ratios, r)
		}
		if st.Alternative != Greater {
			ratios = append(ratios, 1/r)
		}
	}
	logs := make([]float64, len(ratios))
	for k, r := range ratios {
		p := r * p0 / (r*p0 + 1 - p0)
		for _, canary := range events {
			if canary {
				logs[k] += math.Log(p / p0)
			} else {
				logs[k] += math.Log((1 - p) / (1 - p0))
			}
		}
	}
	m := slices.Max(logs)
	var sum float64
	for _, l := range logs {
		sum += math.Exp(l - m)
	}
	return m + math.Log(sum/float64(len(logs)))
}

func TestSeqBinomialMatchesReference(t *testing.T) {
	const seed = 11
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 60 {
		st := SeqSettings{
			Share:       0.05 + 0.9*rng.Float64(),
			Alternative: Alternative(rng.IntN(3)),
		}
		if trial%3 == 0 {
			st.BaselineShare = (1 - st.Share) * rng.Float64()
			if st.BaselineShare == 0 {
				st.BaselineShare = 0.01
			}
		}
		if trial%4 == 1 {
			st.MinRatio = 1 + rng.Float64()
			st.MaxRatio = st.MinRatio * (1 + 10*rng.Float64())
		}
		s := newSeq(t, st)
		pair := s
		tilt := 0.3 + 0.6*rng.Float64() // how often an event is on the canary
		var events []bool
		maxRef := 0.0 // log of the running maximum, starting from E = 1
		for range rng.IntN(80) {
			total := rng.IntN(6)
			c := binomial(rng, total, tilt)
			require.NoError(t, s.Observe(c, total))
			require.NoError(t, pair.ObservePair(c, total-c))
			for i := range total {
				events = append(events, i < c)
			}
			want := refLogE(st, events)
			require.InDelta(t, want, s.LogEValue(), 1e-9*max(1, math.Abs(want)), "trial %d settings %+v after %d events", trial, st, len(events))
			// The running maximum behind the p-value and the decision is
			// kept without computing every e-value; it must match.
			maxRef = max(maxRef, want)
			require.InDelta(t, maxRef, -math.Log(s.PValue()), 1e-9*max(1, maxRef), "trial %d settings %+v after %d events", trial, st, len(events))
			require.Equal(t, maxRef >= -math.Log(s.alpha), s.Rejected())
		}
		assert.Equal(t, s, pair, "ObservePair(c, b) must equal Observe(c, c+b)")
	}
}

// TestSeqBinomialMartingale checks the property that makes the test
// anytime-valid: under H0 the expected e-value after the next batch of t
// events equals the current e-value, E[E(x+C, n+t)] = E(x, n) for
// C ~ Binomial(t, p0), from states reached by arbitrary data.
func TestSeqBinomialMartingale(t *testing.T) {
	const seed = 12
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 200 {
		st := SeqSettings{Share: 0.02 + 0.96*rng.Float64(), Alternative: Alternative(trial % 3)}
		if trial%2 == 1 {
			st.BaselineShare = (1 - st.Share) / 2
		}
		s := newSeq(t, st)
		n := rng.IntN(300)
		require.NoError(t, s.Observe(binomial(rng, n, rng.Float64()), n))
		p0 := s.NullShare()
		for _, batch := range []int{1, 2, 5} {
			var mean float64
			for c := 0; c <= batch; c++ {
				next := s // a value: forks the test
				require.NoError(t, next.Observe(c, batch))
				prob := float64(binom(batch, c)) * math.Pow(p0, float64(c)) * math.Pow(1-p0, float64(batch-c))
				mean += prob * math.Exp(next.LogEValue()-s.LogEValue())
			}
			assert.InDelta(t, 1, mean, 1e-9, "trial %d settings %+v state %v batch %d", trial, st, s.Result(), batch)
		}
	}
}

func binom(n, k int) int {
	c := 1
	for i := 1; i <= k; i++ {
		c = c * (n - k + i) / i
	}
	return c
}

// TestSeqBinomialFalseAlarm measures the probability that the test ever
// rejects over 5,000 frames checked after every frame, under H0. Ville's
// inequality bounds it by alpha. As a control, a naive one-sided z-test
// peeked at after every frame must exceed alpha on the same data, so the
// harness can tell a valid test from an invalid one.
func TestSeqBinomialFalseAlarm(t *testing.T) {
	const (
		runs   = 2000
		frames = 5000
		alpha  = DefaultAlpha
		zCrit  = 1.6448536269514722 // upper 5% point of N(0, 1)
	)
	for si, nominal := range []float64{0.1, 0.3, 0.5} {
		t.Run("share="+ftoa(nominal), func(t *testing.T) {
			t.Parallel()
			thr, share := dyadic(nominal)
			base := uint64(1000 * (si + 1))
			logSeed(t, base)
			rejected := make([]bool, runs)
			naive := make([]bool, runs)
			minP := make([]float64, runs)
			sd := math.Sqrt(share * (1 - share))
			parallelRuns(runs, func(run int) {
				rng := newRand(base + uint64(run))
				s, _ := NewSeqBinomial(SeqSettings{Share: share})
				var x, n int
				peeked := false
				for range frames {
					c, _, total := frameEvents(rng.Uint64(), thr, 0)
					if total == 0 {
						continue
					}
					if s.Observe(c, total) != nil {
						panic("observe")
					}
					x, n = x+c, n+total
					if n >= 30 && !peeked {
						peeked = float64(x)-share*float64(n) > zCrit*sd*math.Sqrt(float64(n))
					}
				}
				rejected[run], naive[run], minP[run] = s.Rejected(), peeked, s.PValue()
			})
			rate := fraction(rejected)
			naiveRate := fraction(naive)
			t.Logf("share %v: false-alarm rate %.4f (bound %.4f) over %d runs × %d frames; naive peeking z-test %.3f",
				nominal, rate, noiseBound(alpha, runs), runs, frames, naiveRate)
			assert.LessOrEqual(t, rate, noiseBound(alpha, runs), "runs seeded %d..%d", base, base+runs-1)
			assert.Greater(t, naiveRate, 2*alpha, "control: peeking at a fixed-sample test must inflate its level")
			// The always-valid p-value: P(ever ≤ a) ≤ a at every level.
			for _, a := range []float64{0.01, 0.05, 0.2, 0.5} {
				k := 0
				for _, p := range minP {
					if p <= a {
						k++
					}
				}
				assert.LessOrEqual(t, float64(k)/runs, noiseBound(a, runs), "p-value level %v", a)
			}
		})
	}
}

// TestSeqBinomialFalseAlarmVariants repeats the false-alarm check, with
// fewer runs, for the relative case and the other directions.
func TestSeqBinomialFalseAlarmVariants(t *testing.T) {
	const (
		runs   = 800
		frames = 1500
	)
	for vi, st := range []SeqSettings{
		{Share: 0.1, BaselineShare: 0.2},
		{Share: 0.3, Alternative: Less},
		{Share: 0.3, Alternative: TwoSided},
		{Share: 0.2, BaselineShare: 0.8, Alternative: TwoSided, Alpha: 0.1},
	} {
		t.Run(st.Alternative.String()+"/baseline="+ftoa(st.BaselineShare), func(t *testing.T) {
			t.Parallel()
			base := uint64(5000 + 1000*vi)
			logSeed(t, base)
			// Events land on the canary, the baseline or (in the relative
			// case) some third version, by share.
			thrC, share := dyadic(st.Share)
			st.Share = share
			thrB := 1<<chunkBits - thrC
			if st.BaselineShare != 0 {
				thrB, st.BaselineShare = dyadic(st.BaselineShare)
			}
			alpha := st.Alpha
			if alpha == 0 {
				alpha = DefaultAlpha
			}
			rejected := make([]bool, runs)
			parallelRuns(runs, func(run int) {
				rng := newRand(base + uint64(run))
				s, _ := NewSeqBinomial(st)
				for range frames {
					c, b, _ := frameEvents(rng.Uint64(), thrC, thrB)
					if s.ObservePair(c, b) != nil {
						panic("observe")
					}
				}
				rejected[run] = s.Rejected()
			})
			rate := fraction(rejected)
			t.Logf("%+v: false-alarm rate %.4f (bound %.4f)", st, rate, noiseBound(alpha, runs))
			assert.LessOrEqual(t, rate, noiseBound(alpha, runs), "runs seeded %d..%d", base, base+runs-1)
		})
	}
}

// detection runs the test on events that land on the canary with
// probability p, one to three per frame, and returns the number of events
// at rejection (0 if it never rejects within maxEvents) and the verdict.
func detection(st SeqSettings, p float64, seed uint64, maxEvents int64) (int64, Verdict) {
	rng := newRand(seed)
	s, _ := NewSeqBinomial(st)
	for {
		_, n := s.Counts()
		if s.Rejected() || n >= maxEvents {
			return s.Result().RejectedAt, s.Verdict()
		}
		total := 1 + rng.IntN(3)
		if s.Observe(binomial(rng, total, p), total) != nil {
			panic("observe")
		}
	}
}

// TestSeqBinomialPower: a canary with twice the event rate on a 10% share
// (events land on it with probability 2s/(1+s) ≈ 0.18) must be caught
// within 1,000 events in at least 95% of runs. The expected evidence per
// event is KL(0.18 ‖ 0.1) ≈ 0.031 nats and rejection needs about
// log(20) + log(16) ≈ 5.8, so about 190 events in the median.
func TestSeqBinomialPower(t *testing.T) {
	const (
		runs  = 1000
		bound = 1000
		base  = 20000
	)
	logSeed(t, base)
	for _, tc := range []struct {
		name string
		st   SeqSettings
		p    float64 // probability an event lands on the canary
		want Verdict
	}{
		{"greater/share=0.1/ratio=2", SeqSettings{Share: 0.1}, 2 * 0.1 / 1.1, Fail},
		{"two-sided/share=0.1/ratio=2", SeqSettings{Share: 0.1, Alternative: TwoSided}, 2 * 0.1 / 1.1, Fail},
		// Relative: canary 10%, baseline 20%; twice the rate on the canary
		// makes p = 0.2/(0.2+0.2).
		{"relative/ratio=2", SeqSettings{Share: 0.1, BaselineShare: 0.2}, 0.5, Fail},
		// A canary with half the event rate: Less passes it, TwoSided too.
		{"less/share=0.5/ratio=0.5", SeqSettings{Share: 0.5, Alternative: Less}, 0.5 / 1.5, Pass},
		{"two-sided/share=0.5/ratio=0.5", SeqSettings{Share: 0.5, Alternative: TwoSided}, 0.5 / 1.5, Pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := make([]int64, runs)
			verdicts := make([]Verdict, runs)
			parallelRuns(runs, func(run int) {
				at[run], verdicts[run] = detection(tc.st, tc.p, base+uint64(run), 20*bound)
			})
			detected, wrong := 0, 0
			for i, n := range at {
				if n > 0 && n <= bound {
					detected++
				}
				if n > 0 && verdicts[i] != tc.want {
					wrong++
				}
			}
			slices.Sort(at)
			t.Logf("%s: detected within %d events in %.1f%% of %d runs; events to detection median %d, p95 %d, max %d",
				tc.name, bound, 100*float64(detected)/runs, runs, quantile(at, 0.5), quantile(at, 0.95), at[runs-1])
			assert.GreaterOrEqual(t, float64(detected)/runs, 0.95, "runs seeded %d..%d", base, base+runs-1)
			assert.LessOrEqual(t, wrong, runs/100, "verdicts other than %v", tc.want)
		})
	}
}

func TestSeqBinomialLatchesAndResets(t *testing.T) {
	s := newSeq(t, SeqSettings{Share: 0.1})
	require.NoError(t, s.Observe(0, 50))
	assert.Less(t, s.EValue(), 1.0, "events off the canary are evidence for H0")
	require.NoError(t, s.Observe(30, 40))
	require.True(t, s.Rejected())
	r := s.Result()
	assert.Equal(t, Fail, r.Verdict)
	assert.Equal(t, int64(90), r.RejectedAt)
	assert.GreaterOrEqual(t, r.EValue, r.Threshold)
	assert.InDelta(t, 1/r.MaxEValue, r.PValue, 1e-15)
	assert.LessOrEqual(t, r.PValue, DefaultAlpha)
	assert.InDelta(t, 30.0/90, r.ObservedShare, 1e-15)

	// Overwhelming later evidence for H0 lowers E but not the decision.
	require.NoError(t, s.Observe(0, 100000))
	assert.Less(t, s.EValue(), 1e-6)
	assert.True(t, s.Rejected())
	assert.Equal(t, Fail, s.Verdict())
	assert.Equal(t, r.PValue, s.PValue())
	assert.Equal(t, r.RejectedAt, s.Result().RejectedAt)

	s.Reset()
	fresh := newSeq(t, SeqSettings{Share: 0.1})
	assert.Equal(t, fresh, s)
}

func TestSeqBinomialHugeCounts(t *testing.T) {
	s := newSeq(t, SeqSettings{Share: 0.5, Alternative: TwoSided})
	require.NoError(t, s.Observe(math.MaxInt/2, math.MaxInt-1))
	assert.False(t, math.IsNaN(s.LogEValue()))
	assert.ErrorIs(t, s.Observe(1, 2), ErrBadInput, "overflow")
	require.NoError(t, s.Observe(1, 1))
	p := s.PValue()
	assert.True(t, p >= 0 && p <= 1)
}

func TestSeqBinomialObserveDoesNotAllocate(t *testing.T) {
	s := newSeq(t, SeqSettings{Share: 0.1, Alternative: TwoSided})
	allocs := testing.AllocsPerRun(1000, func() {
		_ = s.Observe(1, 3)
		_ = s.ObservePair(1, 2)
		_ = s.Result()
	})
	assert.Zero(t, allocs)
}

func FuzzSeqBinomial(f *testing.F) {
	f.Add(0.1, 0.05, uint8(0), 0.0, []byte{1, 3, 0, 0, 5, 5})
	f.Add(0.5, 0.5, uint8(2), 0.3, []byte{0, 200, 200, 255})
	f.Add(0.999, 0.0, uint8(1), 0.0, []byte{})
	f.Add(-1.0, 2.0, uint8(9), -1.0, []byte{7})
	f.Fuzz(func(t *testing.T, share, alpha float64, alt uint8, baseline float64, ops []byte) {
		s, err := NewSeqBinomial(SeqSettings{Share: share, Alpha: alpha, Alternative: Alternative(alt), BaselineShare: baseline})
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v does not wrap ErrBadInput", err)
			}
			return
		}
		for i := 0; i+1 < len(ops); i += 2 {
			c, n := int(int8(ops[i])), int(int8(ops[i+1]))
			before := s
			var err error
			if i%4 == 0 {
				err = s.Observe(c, n)
			} else {
				err = s.ObservePair(c, n)
			}
			if err != nil {
				if !errors.Is(err, ErrBadInput) || s != before {
					t.Fatalf("bad Observe(%d, %d): %v, state changed %v", c, n, err, s != before)
				}
			}
			r := s.Result()
			if !(r.PValue >= 0 && r.PValue <= 1) || math.IsNaN(r.EValue) || r.EValue < 0 {
				t.Fatalf("result %+v", r)
			}
			if (r.Rejected && r.MaxEValue < r.Threshold*(1-1e-9)) ||
				(!r.Rejected && r.MaxEValue > r.Threshold*(1+1e-9)) ||
				(r.Verdict == Inconclusive) == r.Rejected {
				t.Fatalf("decision inconsistent: %+v", r)
			}
			if r.TotalEvents == 0 && r.Rejected {
				t.Fatalf("rejected with no events: %+v", r)
			}
		}
	})
}

func fraction(v []bool) float64 {
	k := 0
	for _, b := range v {
		if b {
			k++
		}
	}
	return float64(k) / float64(len(v))
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

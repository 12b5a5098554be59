package stats

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedMetrics and seedHealthScore transcribe the seed's CanaryMetrics and
// calculateHealthScore (seed 002, "Health Scoring"), as the reference.
type seedMetrics struct {
	CanaryRequests    int64
	CanaryErrorRate   float64
	CanarySuccessRate float64
}

func seedHealthScore(metrics *seedMetrics) float64 {
	if metrics.CanaryRequests == 0 {
		return 100.0 // No data, assume healthy
	}
	score := metrics.CanarySuccessRate * 100
	if metrics.CanaryErrorRate > 0.05 {
		score *= 0.5
	} else if metrics.CanaryErrorRate > 0.01 {
		score *= 0.8
	}
	return math.Max(0, math.Min(100, score))
}

func TestHealthScoreMatchesSeed(t *testing.T) {
	const seed = 71
	logSeed(t, seed)
	rng := newRand(seed)
	for trial := range 5000 {
		req := int64(rng.IntN(3000))
		if trial%10 == 0 {
			req = 0
		}
		var errs int64
		if req > 0 {
			// Error rates around the thresholds, and the thresholds
			// themselves.
			switch trial % 4 {
			case 0:
				errs = req / 100
			case 1:
				errs = req / 20
			default:
				errs = int64(rng.Float64() * 0.1 * float64(req))
			}
		}
		in := HealthInput{Requests: req, Errors: errs, MeanLatency: time.Duration(rng.IntN(1e9))}
		got, err := HealthScore(in, HealthPolicy{})
		require.NoError(t, err)
		m := &seedMetrics{CanaryRequests: req}
		if req > 0 {
			m.CanaryErrorRate = float64(errs) / float64(req)
			m.CanarySuccessRate = float64(req-errs) / float64(req)
		}
		assert.InDelta(t, seedHealthScore(m), got, 1e-9, "input %+v", in)
		assert.True(t, got >= 0 && got <= 100)
	}
}

func TestHealthScoreTable(t *testing.T) {
	ms := time.Millisecond
	lat := HealthPolicy{LatencyWarn: 10 * ms, LatencyCrit: 50 * ms}
	for _, tc := range []struct {
		name string
		in   HealthInput
		p    HealthPolicy
		want float64
	}{
		{"no data", HealthInput{}, HealthPolicy{}, 100},
		{"perfect", HealthInput{Requests: 1000}, HealthPolicy{}, 100},
		{"1% errors is not above the warning", HealthInput{Requests: 1000, Errors: 10}, HealthPolicy{}, 99},
		{"2% errors", HealthInput{Requests: 1000, Errors: 20}, HealthPolicy{}, 98 * 0.8},
		{"5% errors is not above critical", HealthInput{Requests: 1000, Errors: 50}, HealthPolicy{}, 95 * 0.8},
		{"6% errors", HealthInput{Requests: 1000, Errors: 60}, HealthPolicy{}, 94 * 0.5},
		{"all errors", HealthInput{Requests: 7, Errors: 7}, HealthPolicy{}, 0},
		{"latency ignored by default", HealthInput{Requests: 100, MeanLatency: time.Hour}, HealthPolicy{}, 100},
		{"latency at warning", HealthInput{Requests: 100, MeanLatency: 10 * ms}, lat, 100},
		{"latency above warning", HealthInput{Requests: 100, MeanLatency: 11 * ms}, lat, 80},
		{"latency above critical", HealthInput{Requests: 100, MeanLatency: 51 * ms}, lat, 50},
		{"penalties compound", HealthInput{Requests: 100, Errors: 6, MeanLatency: 51 * ms}, lat, 94 * 0.5 * 0.5},
		{"critical latency only", HealthInput{Requests: 100, MeanLatency: 20 * ms}, HealthPolicy{LatencyCrit: 15 * ms}, 50},
		{"warning latency only", HealthInput{Requests: 100, MeanLatency: 20 * ms}, HealthPolicy{LatencyWarn: 15 * ms}, 80},
		{"custom error thresholds", HealthInput{Requests: 100, Errors: 3}, HealthPolicy{ErrorWarn: 0.001, ErrorCrit: 0.02}, 97 * 0.5},
	} {
		got, err := HealthScore(tc.in, tc.p)
		require.NoError(t, err, tc.name)
		assert.InDelta(t, tc.want, got, 1e-9, tc.name)
	}
}

func TestHealthScoreBadInput(t *testing.T) {
	ok := HealthInput{Requests: 10, Errors: 1}
	for name, tc := range map[string]struct {
		in HealthInput
		p  HealthPolicy
	}{
		"negative requests":        {HealthInput{Requests: -1}, HealthPolicy{}},
		"negative errors":          {HealthInput{Requests: 1, Errors: -1}, HealthPolicy{}},
		"errors above requests":    {HealthInput{Requests: 1, Errors: 2}, HealthPolicy{}},
		"negative latency":         {HealthInput{Requests: 1, MeanLatency: -1}, HealthPolicy{}},
		"negative warn":            {ok, HealthPolicy{ErrorWarn: -0.1}},
		"crit above 1":             {ok, HealthPolicy{ErrorCrit: 1.5}},
		"NaN warn":                 {ok, HealthPolicy{ErrorWarn: math.NaN()}},
		"warn above crit":          {ok, HealthPolicy{ErrorWarn: 0.2, ErrorCrit: 0.1}},
		"warn above default crit":  {ok, HealthPolicy{ErrorWarn: 0.1}},
		"negative latency warn":    {ok, HealthPolicy{LatencyWarn: -time.Second}},
		"latency warn above crit":  {ok, HealthPolicy{LatencyWarn: 2 * time.Second, LatencyCrit: time.Second}},
		"negative latency crit":    {ok, HealthPolicy{LatencyCrit: -1}},
		"no data, bad thresholds":  {HealthInput{}, HealthPolicy{ErrorCrit: 2}},
		"no data, negative errors": {HealthInput{Errors: -1}, HealthPolicy{}},
	} {
		got, err := HealthScore(tc.in, tc.p)
		assert.ErrorIs(t, err, ErrBadInput, name)
		assert.Zero(t, got, name)
	}
}

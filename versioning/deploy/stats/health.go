package stats

import (
	"fmt"
	"math"
	"time"
)

// Defaults of [HealthPolicy], the thresholds of the seed's
// calculateHealthScore.
const (
	// DefaultErrorWarn is the error rate above which the score is
	// multiplied by 0.8.
	DefaultErrorWarn = 0.01
	// DefaultErrorCrit is the error rate above which the score is
	// multiplied by 0.5 instead.
	DefaultErrorCrit = 0.05
)

// HealthInput is what [HealthScore] scores: a version's requests (entity
// updates, calls, whatever the caller counts), how many of them failed, and
// their mean latency.
type HealthInput struct {
	Requests    int64
	Errors      int64
	MeanLatency time.Duration
}

// HealthPolicy holds the thresholds of [HealthScore]. Zero fields mean the
// documented defaults; the zero HealthPolicy reproduces the seed's
// calculateHealthScore exactly, with no latency penalty.
type HealthPolicy struct {
	// ErrorWarn and ErrorCrit are error-rate thresholds in (0, 1] with
	// ErrorWarn ≤ ErrorCrit; 0 means [DefaultErrorWarn] and
	// [DefaultErrorCrit].
	ErrorWarn, ErrorCrit float64
	// LatencyWarn and LatencyCrit are mean-latency thresholds; 0 disables
	// each. When both are set, LatencyWarn ≤ LatencyCrit.
	LatencyWarn, LatencyCrit time.Duration
}

// HealthScore returns a version's health on a 0..100 scale, the intent of
// the seed's calculateHealthScore:
//
//	score := 100 · (Requests − Errors) / Requests     // success rate × 100
//	if errRate > ErrorCrit { score *= 0.5 } else if errRate > ErrorWarn { score *= 0.8 }
//	if latency > LatencyCrit { score *= 0.5 } else if latency > LatencyWarn { score *= 0.8 }
//	return clamp(score, 0, 100)
//
// where errRate = Errors/Requests and a disabled latency threshold never
// applies. The penalties compound: a version with a 6% error rate already
// scores 94 · 0.5 = 47. With no requests the score is 100, as in the seed:
// no data is not evidence of harm. The score is a summary for dashboards and
// thresholds, not a test; use [SeqBinomial] to decide whether a canary's
// errors exceed its share.
//
// It returns an error wrapping [ErrBadInput] if a count or the latency is
// negative, Errors > Requests, or a threshold is outside its domain.
func HealthScore(in HealthInput, p HealthPolicy) (float64, error) {
	warn, crit := p.ErrorWarn, p.ErrorCrit
	if warn == 0 {
		warn = DefaultErrorWarn
	}
	if crit == 0 {
		crit = DefaultErrorCrit
	}
	if !(warn > 0 && warn <= 1 && crit > 0 && crit <= 1 && warn <= crit) {
		return 0, fmt.Errorf("%w: error thresholds %v, %v", ErrBadInput, p.ErrorWarn, p.ErrorCrit)
	}
	if p.LatencyWarn < 0 || p.LatencyCrit < 0 ||
		(p.LatencyWarn > 0 && p.LatencyCrit > 0 && p.LatencyWarn > p.LatencyCrit) {
		return 0, fmt.Errorf("%w: latency thresholds %v, %v", ErrBadInput, p.LatencyWarn, p.LatencyCrit)
	}
	if in.Requests < 0 || in.Errors < 0 || in.Errors > in.Requests || in.MeanLatency < 0 {
		return 0, fmt.Errorf("%w: %d errors of %d requests, latency %v", ErrBadInput, in.Errors, in.Requests, in.MeanLatency)
	}
	if in.Requests == 0 {
		return 100, nil
	}
	errRate := float64(in.Errors) / float64(in.Requests)
	score := float64(in.Requests-in.Errors) / float64(in.Requests) * 100
	switch {
	case errRate > crit:
		score *= 0.5
	case errRate > warn:
		score *= 0.8
	}
	switch {
	case p.LatencyCrit > 0 && in.MeanLatency > p.LatencyCrit:
		score *= 0.5
	case p.LatencyWarn > 0 && in.MeanLatency > p.LatencyWarn:
		score *= 0.8
	}
	return math.Max(0, math.Min(100, score)), nil
}

package deploy

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// The metrics a rollout's analysis reports, by name. Logic metrics are
// "custom:" followed by the name the logic reports.
const (
	// MetricErrorRate is the circuit breaker: the canary's error rate over
	// the window against Analysis.MaxErrorRate.
	MetricErrorRate = "error-rate"
	// MetricErrors is the sequential binomial test of the canary's error
	// events against its exact share of the baseline's and its own.
	MetricErrors = "errors-vs-baseline"
	// MetricFailures is the canary's failed steps in the window against
	// Analysis.FailureLimit.
	MetricFailures = "failed-steps"
	// MetricConsecutive is the canary's failed steps in a row against
	// Analysis.ConsecutiveLimit.
	MetricConsecutive = "consecutive-failures"
	// MetricEngine fails when the engine has failed the canary for good.
	MetricEngine = "engine-state"
	// MetricStepTime is the mean step time per entity (ns), rank-sum test.
	MetricStepTime = "step-time-mean"
	// MetricP99StepTime is the p99 over frames of the step time per entity
	// (ns), permutation test.
	MetricP99StepTime = "step-time-p99"
	// MetricMemory is the memory per entity (bytes), a threshold.
	MetricMemory = "memory-per-entity"
	// MetricHealth is the seed's health score (0..100) over the window,
	// report only.
	MetricHealth = "health-score"
	// MetricDivergence is a shadow run's fraction of differing values.
	MetricDivergence = "shadow-divergence"
)

// The methods behind a [MetricResult].
const (
	MethodThreshold  = "threshold"
	MethodSequential = "sequential-binomial"
	MethodRankSum    = "rank-sum"
	MethodPermute    = "permutation"
	MethodBinomial   = "exact-binomial"
	MethodReport     = "report"
)

// MetricResult is one metric's measurement and verdict: the numbers a
// decision rests on.
type MetricResult struct {
	Metric string
	// Version is the version measured (the canary), Baseline the version it
	// is compared with (0 for an absolute check).
	Version, Baseline int
	// Value is the canary's value, BaselineValue the baseline's (in the
	// metric's unit: a rate, ns per entity, bytes per entity, a count).
	Value, BaselineValue float64
	// Limit is the threshold Value was held to (an absolute Max, or Ratio ×
	// BaselineValue, whichever is lower); 0 when there is none.
	Limit float64
	// Ratio is Value / BaselineValue (0 when there is no baseline value).
	Ratio float64
	// P is the p-value of the test behind the verdict (for a pass, of the
	// test that the canary is below its limit); NaN when no test applies
	// (a plain threshold). JSON encodes NaN and infinities as null.
	P float64
	// Method is how the verdict was reached: threshold, sequential-binomial,
	// rank-sum (exact or normal, see Note), permutation, exact-binomial,
	// report.
	Method string
	// Samples and BaselineSamples are the sample sizes (frames, entity-steps
	// or events, per metric).
	Samples, BaselineSamples int
	Verdict                  stats.Verdict
	// Gating reports whether the verdict can hold, pause or roll back the
	// rollout; report-only metrics never do.
	Gating bool
	// Note adds detail: the test variant, the reason for an inconclusive
	// verdict.
	Note string
}

// String is a one-line summary, for reasons and logs.
func (m MetricResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d=%s", m.Metric, m.Version, num(m.Value))
	if m.Baseline != 0 {
		fmt.Fprintf(&b, " vs v%d=%s", m.Baseline, num(m.BaselineValue))
		if m.Ratio != 0 {
			fmt.Fprintf(&b, " (×%.2f)", m.Ratio)
		}
	}
	if m.Limit != 0 {
		fmt.Fprintf(&b, " limit %s", num(m.Limit))
	}
	if !math.IsNaN(m.P) {
		fmt.Fprintf(&b, " p=%.3g", m.P)
	}
	fmt.Fprintf(&b, " [%s", m.Method)
	if m.Note != "" {
		fmt.Fprintf(&b, ", %s", m.Note)
	}
	fmt.Fprintf(&b, "] %s", m.Verdict)
	return b.String()
}

func num(x float64) string {
	switch {
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) < 0.01:
		return fmt.Sprintf("%.3g", x)
	}
	return fmt.Sprintf("%.4g", x)
}

// finite returns x, or nil for NaN and infinities (which JSON cannot hold).
func finite(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// MarshalJSON encodes the result with its verdict as a string and
// non-finite numbers as null.
func (m MetricResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Metric          string `json:"metric"`
		Version         int    `json:"version"`
		Baseline        int    `json:"baseline,omitempty"`
		Value           any    `json:"value"`
		BaselineValue   any    `json:"baseline_value,omitempty"`
		Limit           any    `json:"limit,omitempty"`
		Ratio           any    `json:"ratio,omitempty"`
		P               any    `json:"p"`
		Method          string `json:"method"`
		Samples         int    `json:"samples"`
		BaselineSamples int    `json:"baseline_samples,omitempty"`
		Verdict         string `json:"verdict"`
		Gating          bool   `json:"gating"`
		Note            string `json:"note,omitempty"`
	}{m.Metric, m.Version, m.Baseline, finite(m.Value), omitZero(m.BaselineValue), omitZero(m.Limit), omitZero(m.Ratio),
		finite(m.P), m.Method, m.Samples, m.BaselineSamples, m.Verdict.String(), m.Gating, m.Note})
}

func omitZero(x float64) any {
	if x == 0 {
		return nil
	}
	return finite(x)
}

// Result is the analysis of one frame: every metric's verdict and the
// overall one. It is what a [Strategy] sees in [Observation].Analysis.
type Result struct {
	// Verdict is Fail if a gating metric failed, Pass if every gating
	// metric passed and the sample is complete (Ready), else Inconclusive.
	Verdict stats.Verdict
	// Ready reports that every compared version has MinSamples frames in
	// this step and the canary has MinEntitySteps entity-steps in the
	// window, and the continuous metrics have been tested at least once.
	Ready bool
	// ZeroTraffic reports that a compared version stepped no entity in this
	// step: no evidence can come, so a gate must not wait for it.
	ZeroTraffic bool
	// Breaker reports that the circuit breaker tripped.
	Breaker bool
	// Looks is how many times the continuous metrics were tested in this
	// step; Samples and BaselineSamples the frames sampled in this step.
	Looks, Samples, BaselineSamples int
	// Metrics holds every metric, gating ones first.
	Metrics []MetricResult
	// Shadow is the shadow run's report so far (Shadow strategy only).
	Shadow *ShadowReport
}

// Failure returns the first gating metric that failed.
func (r Result) Failure() (MetricResult, bool) {
	for _, m := range r.Metrics {
		if m.Gating && m.Verdict == stats.Fail {
			return m, true
		}
	}
	return MetricResult{}, false
}

// Metric returns the named metric.
func (r Result) Metric(name string) (MetricResult, bool) {
	for _, m := range r.Metrics {
		if m.Metric == name {
			return m, true
		}
	}
	return MetricResult{}, false
}

// pending lists the gating metrics that are not passing, for a reason.
func (r Result) pending() string {
	var out []string
	for _, m := range r.Metrics {
		if m.Gating && m.Verdict != stats.Pass {
			s := m.Metric
			if m.Note != "" {
				s += " (" + m.Note + ")"
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

package deploy

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// ABVerdict is an A/B test's outcome: for each metric, every arm's value
// and the best arm, with the tests comparing the best with each other arm.
type ABVerdict struct {
	Versions []int      `json:"versions"`
	Alpha    float64    `json:"alpha"`
	Metrics  []ABMetric `json:"metrics"`
}

// ABMetric is one metric of an [ABVerdict].
type ABMetric struct {
	Metric string `json:"metric"`
	// Values is each arm's value (error events per entity-step, ns per
	// entity, bytes per entity, the logic's unit).
	Values map[int]float64 `json:"values"`
	// Best is the arm with the best value (lowest, unless the metric is
	// higher-is-better); 0 if no arm has a value.
	Best int `json:"best"`
	// Evidence compares the best arm with each other one.
	Evidence []Comparison `json:"evidence"`
	// Significant reports that the best arm is significantly better than
	// every other at the test's α (Holm-adjusted p-values); a measurement
	// without noise (memory) is significant whenever it is strictly best.
	Significant bool   `json:"significant"`
	Method      string `json:"method"`
}

// Comparison is the best arm against another on one metric.
type Comparison struct {
	Other int `json:"other"`
	// Ratio is the other arm's value over the best's.
	Ratio float64 `json:"ratio"`
	// P is the Holm-adjusted one-sided p-value that the best arm is better
	// (NaN, null in JSON, for a measurement without a test).
	P float64 `json:"-"`
}

// MarshalJSON encodes P as null when it is not a number.
func (c Comparison) MarshalJSON() ([]byte, error) {
	return fmtJSON(`{"other":%d,"ratio":%s,"p":%s}`, c.Other, jnum(c.Ratio), jnum(c.P)), nil
}

func fmtJSON(f string, args ...any) []byte { return []byte(fmt.Sprintf(f, args...)) }

func jnum(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "null"
	}
	return fmt.Sprintf("%g", x)
}

// String names the best arm per metric with its evidence.
func (v ABVerdict) String() string {
	var parts []string
	for _, m := range v.Metrics {
		if m.Best == 0 {
			parts = append(parts, m.Metric+": no data")
			continue
		}
		var ev []string
		for _, c := range m.Evidence {
			s := fmt.Sprintf("v%d ×%.2f", c.Other, c.Ratio)
			if !math.IsNaN(c.P) {
				s += fmt.Sprintf(" p=%.2g", c.P)
			}
			ev = append(ev, s)
		}
		sig := "best"
		if !m.Significant {
			sig = "best, not significant"
		}
		parts = append(parts, fmt.Sprintf("%s: v%d %s (%s; vs %s)", m.Metric, m.Best, sig, num(m.Values[m.Best]), strings.Join(ev, ", ")))
	}
	return strings.Join(parts, "; ")
}

// verdict compares the arms over the current step (the test's whole split).
func (a *analyzer) verdict(arms []int) ABVerdict {
	v := ABVerdict{Versions: slices.Clone(arms), Alpha: a.cfg.Alpha}
	// Error events per entity-step: given the events of two arms, under
	// "equal rates" those of the best land on it with probability equal to
	// its share of their entity-steps (the exact split): an exact binomial
	// test, conditional on the total.
	errs := ABMetric{Metric: MetricErrorRate, Values: map[int]float64{}, Method: MethodBinomial}
	for _, x := range arms {
		if s := a.series[x]; s != nil && s.stepEntitySteps > 0 {
			errs.Values[x] = float64(s.stepEvents) / float64(s.stepEntitySteps)
		}
	}
	a.compareArms(&errs, arms, false, func(best, other int) float64 {
		b, o := a.series[best], a.series[other]
		n := b.stepEvents + o.stepEvents
		p0 := float64(b.stepEntitySteps) / float64(b.stepEntitySteps+o.stepEntitySteps)
		return binomialLower(b.stepEvents, n, p0)
	})
	v.Metrics = append(v.Metrics, errs)
	step := ABMetric{Metric: MetricStepTime, Values: map[int]float64{}, Method: MethodRankSum}
	p99 := ABMetric{Metric: MetricP99StepTime, Values: map[int]float64{}, Method: MethodReport}
	for _, x := range arms {
		if s := a.series[x]; s != nil && len(s.stepNs.values()) > 0 {
			step.Values[x] = mean(s.stepNs.values())
			p99.Values[x] = a.quantile99(s.stepNs.values())
		}
	}
	a.compareArms(&step, arms, false, func(best, other int) float64 {
		r, err := stats.RankSum(a.series[best].stepNs.values(), a.series[other].stepNs.values())
		if err != nil {
			return math.NaN()
		}
		return r.PLess
	})
	a.compareArms(&p99, arms, false, nil)
	p99.Significant = false // reported, not tested
	v.Metrics = append(v.Metrics, step, p99)
	mem := ABMetric{Metric: MetricMemory, Values: map[int]float64{}, Method: MethodThreshold}
	for _, x := range arms {
		if s := a.series[x]; s != nil && s.memPerEntity > 0 {
			mem.Values[x] = s.memPerEntity
		}
	}
	a.compareArms(&mem, arms, false, nil)
	v.Metrics = append(v.Metrics, mem)
	for _, cc := range a.cfg.Custom {
		m := ABMetric{Metric: "custom:" + cc.Name, Values: map[int]float64{}, Method: MethodRankSum}
		vals := map[int][]float64{}
		for _, x := range arms {
			if s := a.series[x]; s != nil && s.custom[cc.Name] != nil && len(s.custom[cc.Name].values()) > 0 {
				vals[x] = s.custom[cc.Name].values()
				m.Values[x] = mean(vals[x])
			}
		}
		a.compareArms(&m, arms, cc.HigherIsBetter, func(best, other int) float64 {
			r, err := stats.RankSum(vals[best], vals[other])
			if err != nil {
				return math.NaN()
			}
			if cc.HigherIsBetter {
				return r.PGreater
			}
			return r.PLess
		})
		v.Metrics = append(v.Metrics, m)
	}
	return v
}

// compareArms names the best arm of m and fills its evidence: p(best,
// other) is the one-sided p-value that best is better, Holm-adjusted over
// the comparisons; nil means a measurement without noise.
func (a *analyzer) compareArms(m *ABMetric, arms []int, higherBetter bool, p func(best, other int) float64) {
	for _, x := range arms {
		val, ok := m.Values[x]
		if !ok {
			continue
		}
		if b, have := m.Values[m.Best]; m.Best == 0 || (!have) || (higherBetter && val > b) || (!higherBetter && val < b) {
			m.Best = x
		}
	}
	if m.Best == 0 {
		return
	}
	best := m.Values[m.Best]
	for _, x := range arms {
		val, ok := m.Values[x]
		if !ok || x == m.Best {
			continue
		}
		c := Comparison{Other: x, P: math.NaN()}
		if best != 0 {
			c.Ratio = val / best
		}
		if p != nil {
			c.P = p(m.Best, x)
		}
		m.Evidence = append(m.Evidence, c)
	}
	// Holm: sort by p, multiply the i-th smallest by (k−i), keep monotone.
	idx := make([]int, len(m.Evidence))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		pi, pj := m.Evidence[i].P, m.Evidence[j].P
		switch {
		case pi < pj || (!math.IsNaN(pi) && math.IsNaN(pj)):
			return -1
		case pi > pj || (math.IsNaN(pi) && !math.IsNaN(pj)):
			return 1
		}
		return 0
	})
	k := len(idx)
	run := 0.0
	m.Significant = len(m.Evidence) > 0
	for rank, i := range idx {
		c := &m.Evidence[i]
		if math.IsNaN(c.P) {
			if p != nil {
				m.Significant = false
			} else if c.Ratio == 1 {
				m.Significant = false
			}
			continue
		}
		run = math.Max(run, math.Min(1, float64(k-rank)*c.P))
		c.P = run
		if run > a.cfg.Alpha {
			m.Significant = false
		}
	}
}

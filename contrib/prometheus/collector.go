package prometheus

import (
	"github.com/grove-engine/grove/internal/telemetry"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector of a [Recorder]'s latest snapshot.
// Collect never blocks on the engine: before the recorder's first Observe
// it collects nothing. It is safe for concurrent use.
type Collector struct {
	rec   *Recorder
	descs map[string]*prometheus.Desc
	order []*prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector of rec's snapshots. It panics if rec is
// nil.
func NewCollector(rec *Recorder) *Collector {
	if rec == nil {
		panic("prometheus: NewCollector of a nil Recorder")
	}
	c := &Collector{rec: rec, descs: make(map[string]*prometheus.Desc, len(telemetry.Defs))}
	for _, d := range telemetry.Defs {
		desc := prometheus.NewDesc(d.Name, d.Help, d.Labels, nil)
		c.descs[d.Name] = desc
		c.order = append(c.order, desc)
	}
	return c
}

// Describe sends the description of every metric family the collector can
// expose.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.order {
		ch <- d
	}
}

// Collect sends the metrics of the recorder's latest snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range telemetry.Families(c.rec.r.Snapshot()) {
		desc := c.descs[f.Name]
		for _, s := range f.Samples {
			var m prometheus.Metric
			var err error
			switch f.Type {
			case telemetry.Counter:
				m, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, s.Value, s.Labels...)
			case telemetry.Histogram:
				h := s.Hist
				buckets := make(map[float64]uint64, len(h.Bounds))
				for i, b := range h.Bounds {
					buckets[b] = h.Cumulative[i]
				}
				m, err = prometheus.NewConstHistogram(desc, h.Count, h.Sum, buckets, s.Labels...)
			default:
				m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, s.Value, s.Labels...)
			}
			if err != nil {
				m = prometheus.NewInvalidMetric(desc, err)
			}
			ch <- m
		}
	}
}

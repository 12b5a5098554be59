package prometheus_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	groveprom "github.com/grove-engine/grove/contrib/prometheus"
	"github.com/grove-engine/grove/internal/telemetry"
	"github.com/grove-engine/grove/internal/telemetry/telemetrytest"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

const frame = time.Second / 60

// newEngine returns an engine whose wall clock advances 1µs at every
// reading (so every step takes exactly 1µs), with module "game", v1 and v2
// loaded and 100 entities split 70/30.
func newEngine(t testing.TB) *versioning.Engine {
	t.Helper()
	var now atomic.Int64
	clock := func() time.Duration { return time.Duration(now.Add(int64(time.Microsecond))) }
	pos := make([]scenario.Vec2, 100)
	for i := range pos {
		pos[i] = scenario.Vec2{X: float32(10 * i), Y: float32(5 * i)}
	}
	return telemetrytest.NewEngine(t, pos, versioning.WithClock(clock), versioning.WithWorkers(1)) // the fake clock counts calls: one step at a time
}

// canary is a deployment source with one canary rollout in progress.
type canary struct{}

func (canary) Statuses() []deploy.Status {
	return []deploy.Status{telemetrytest.Canary(stats.Inconclusive, 97.5,
		deploy.MetricResult{Metric: deploy.MetricErrors, Version: 2, Baseline: 1, Verdict: stats.Pass})}
}

// run ticks n frames, observing each.
func run(t testing.TB, e *versioning.Engine, rec *groveprom.Recorder, n int) {
	t.Helper()
	for range n {
		require.NoError(t, e.Tick(frame))
		rec.Observe()
	}
}

func newCollector(t testing.TB, opts ...groveprom.Option) (*versioning.Engine, *groveprom.Recorder, *groveprom.Collector) {
	t.Helper()
	e := newEngine(t)
	rec, err := groveprom.NewRecorder(e, append([]groveprom.Option{groveprom.WithDeployments(canary{}), groveprom.WithInterval(0)}, opts...)...)
	require.NoError(t, err)
	return e, rec, groveprom.NewCollector(rec)
}

func TestCollectorLint(t *testing.T) {
	e, rec, c := newCollector(t)
	run(t, e, rec, 5)
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
	assert.Equal(t, len(telemetry.Defs)-1, countFamilies(t, c), "every family but grove_version_custom has series")
}

// familyNames lists every family's name (without grove_version_custom when
// skipCustom).
func familyNames(skipCustom bool) []string {
	var out []string
	for _, d := range telemetry.Defs {
		if skipCustom && d.Name == telemetry.VersionCustom.Name {
			continue
		}
		out = append(out, d.Name)
	}
	return out
}

// countFamilies gathers c and counts the families with series.
func countFamilies(t testing.TB, c prometheus.Collector) int {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	return len(mfs)
}

// TestCollectorCompare checks the exposition of three frames against the
// expected text: the module's, some versions' and the rollout's series, and
// the step histogram (every step takes exactly 1µs of the fake clock: 1/70
// µs per entity for v1, 1/30 µs for v2).
func TestCollectorCompare(t *testing.T) {
	e, rec, c := newCollector(t)
	run(t, e, rec, 3)
	sum := func(n int) string {
		x := time.Microsecond.Seconds() / float64(n)
		return strconv.FormatFloat(x+x+x, 'g', -1, 64)
	}
	buckets := func(v, at int) string {
		var b strings.Builder
		for i, bound := range telemetry.DefaultBuckets {
			n := 0
			if i >= at {
				n = 3
			}
			fmt.Fprintf(&b, "grove_version_step_per_entity_seconds_bucket{module=\"game\",version=\"%d\",le=\"%s\"} %d\n",
				v, strconv.FormatFloat(bound, 'g', -1, 64), n)
		}
		fmt.Fprintf(&b, "grove_version_step_per_entity_seconds_bucket{module=\"game\",version=\"%d\",le=\"+Inf\"} 3\n", v)
		return b.String()
	}
	want := `# HELP grove_module_entities Live entities of the module.
# TYPE grove_module_entities gauge
grove_module_entities{module="game"} 100
# HELP grove_module_frames_total Frames in which the module was stepped.
# TYPE grove_module_frames_total counter
grove_module_frames_total{module="game"} 3
# HELP grove_version_entities Entities the version holds.
# TYPE grove_version_entities gauge
grove_version_entities{module="game",version="1"} 70
grove_version_entities{module="game",version="2"} 30
# HELP grove_version_traffic_ratio Weight of the version in the traffic split, 0..1.
# TYPE grove_version_traffic_ratio gauge
grove_version_traffic_ratio{module="game",version="1"} 0.7
grove_version_traffic_ratio{module="game",version="2"} 0.3
# HELP grove_version_step_mean_seconds Mean wall time of one step of the version.
# TYPE grove_version_step_mean_seconds gauge
grove_version_step_mean_seconds{module="game",version="1"} 1e-06
grove_version_step_mean_seconds{module="game",version="2"} 1e-06
# HELP grove_version_entity_steps_total Entity-steps the version served: the denominator of a per-entity error rate.
# TYPE grove_version_entity_steps_total counter
grove_version_entity_steps_total{module="game",version="1"} 210
grove_version_entity_steps_total{module="game",version="2"} 90
# HELP grove_version_state State of the version (a state set: 1 for its state, 0 for the others).
# TYPE grove_version_state gauge
grove_version_state{module="game",state="active",version="1"} 1
grove_version_state{module="game",state="draining",version="1"} 0
grove_version_state{module="game",state="failed",version="1"} 0
grove_version_state{module="game",state="idle",version="1"} 0
grove_version_state{module="game",state="loading",version="1"} 0
grove_version_state{module="game",state="unloaded",version="1"} 0
grove_version_state{module="game",state="active",version="2"} 1
grove_version_state{module="game",state="draining",version="2"} 0
grove_version_state{module="game",state="failed",version="2"} 0
grove_version_state{module="game",state="idle",version="2"} 0
grove_version_state{module="game",state="loading",version="2"} 0
grove_version_state{module="game",state="unloaded",version="2"} 0
# HELP grove_version_step_per_entity_seconds Wall time of one step of the version divided by the entities it stepped, one observation per frame.
# TYPE grove_version_step_per_entity_seconds histogram
` + buckets(1, 4) + `grove_version_step_per_entity_seconds_sum{module="game",version="1"} ` + sum(70) + `
grove_version_step_per_entity_seconds_count{module="game",version="1"} 3
` + buckets(2, 5) + `grove_version_step_per_entity_seconds_sum{module="game",version="2"} ` + sum(30) + `
grove_version_step_per_entity_seconds_count{module="game",version="2"} 3
# HELP grove_deployment_phase Phase of the rollout (a state set: 1 for its phase, 0 for the others).
# TYPE grove_deployment_phase gauge
grove_deployment_phase{module="game",phase="aborted",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="completed",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="failed",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="paused",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="pending",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="progressing",rollout="canary-v2"} 1
grove_deployment_phase{module="game",phase="promoting",rollout="canary-v2"} 0
grove_deployment_phase{module="game",phase="rolling back",rollout="canary-v2"} 0
# HELP grove_deployment_weight_ratio Weight of a version involved in the rollout, 0..1.
# TYPE grove_deployment_weight_ratio gauge
grove_deployment_weight_ratio{module="game",rollout="canary-v2",version="1"} 0.7
grove_deployment_weight_ratio{module="game",rollout="canary-v2",version="2"} 0.3
# HELP grove_deployment_verdict Overall verdict of the rollout's analysis (a state set).
# TYPE grove_deployment_verdict gauge
grove_deployment_verdict{module="game",rollout="canary-v2",verdict="fail"} 0
grove_deployment_verdict{module="game",rollout="canary-v2",verdict="inconclusive"} 1
grove_deployment_verdict{module="game",rollout="canary-v2",verdict="pass"} 0
# HELP grove_deployment_metric_verdict Verdict of one metric of the rollout's analysis for one version (a state set).
# TYPE grove_deployment_metric_verdict gauge
grove_deployment_metric_verdict{metric="errors-vs-baseline",module="game",rollout="canary-v2",verdict="fail",version="2"} 0
grove_deployment_metric_verdict{metric="errors-vs-baseline",module="game",rollout="canary-v2",verdict="inconclusive",version="2"} 0
grove_deployment_metric_verdict{metric="errors-vs-baseline",module="game",rollout="canary-v2",verdict="pass",version="2"} 1
# HELP grove_deployment_health_score Health score of the candidate over the analysis window, 0..100.
# TYPE grove_deployment_health_score gauge
grove_deployment_health_score{module="game",rollout="canary-v2"} 97.5
`
	err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"grove_module_entities", "grove_module_frames_total", "grove_version_entities", "grove_version_traffic_ratio",
		"grove_version_step_mean_seconds", "grove_version_entity_steps_total", "grove_version_state",
		"grove_version_step_per_entity_seconds", "grove_deployment_phase", "grove_deployment_weight_ratio",
		"grove_deployment_verdict", "grove_deployment_metric_verdict", "grove_deployment_health_score")
	assert.NoError(t, err)
}

// TestCollectorMatchesTextWriter: the core module's hand-written exposition
// (the demo's /metrics) parses with expfmt into exactly the families the
// collector gathers.
func TestCollectorMatchesTextWriter(t *testing.T) {
	e := newEngine(t)
	// The same snapshots for both: one internal recorder, wrapped.
	rec, err := groveprom.NewRecorder(e, groveprom.WithDeployments(canary{}), groveprom.WithInterval(0))
	require.NoError(t, err)
	run(t, e, rec, 4)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(groveprom.NewCollector(rec)))
	gathered, err := reg.Gather()
	require.NoError(t, err)

	text := scrapeText(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	p := expfmt.NewTextParser(model.UTF8Validation)
	byClient, err := p.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err)

	var hand bytes.Buffer
	require.NoError(t, telemetry.WriteText(&hand, telemetry.Families(groveprom.SnapshotOf(rec))))
	p2 := expfmt.NewTextParser(model.UTF8Validation)
	byHand, err := p2.TextToMetricFamilies(&hand)
	require.NoError(t, err)

	require.Len(t, byHand, len(gathered))
	for _, mf := range gathered {
		got := byHand[mf.GetName()]
		require.NotNil(t, got, mf.GetName())
		normalize(got)
		normalize(byClient[mf.GetName()])
		assert.True(t, proto.Equal(byClient[mf.GetName()], got), "%s:\nclient %v\nhand   %v", mf.GetName(), byClient[mf.GetName()], got)
	}
}

// normalize sorts each metric's labels and the family's metrics, as the
// client does, so that families parsed from two texts compare equal.
func normalize(mf *dto.MetricFamily) {
	if mf == nil {
		return
	}
	for _, m := range mf.Metric {
		ls := m.Label
		for i := range ls {
			for j := i + 1; j < len(ls); j++ {
				if ls[j].GetName() < ls[i].GetName() {
					ls[i], ls[j] = ls[j], ls[i]
				}
			}
		}
	}
	key := func(m *dto.Metric) string {
		var b strings.Builder
		for _, l := range m.Label {
			b.WriteString(l.GetName() + "=" + l.GetValue() + ",")
		}
		return b.String()
	}
	ms := mf.Metric
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			if key(ms[j]) < key(ms[i]) {
				ms[i], ms[j] = ms[j], ms[i]
			}
		}
	}
}

// scrapeText serves h over a real HTTP connection and returns GET /metrics.
func scrapeText(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// TestScrapeOverHTTP scrapes a promhttp handler over httptest while the game
// loop ticks (run with -race): every scrape parses, and the frame counter
// only grows.
func TestScrapeOverHTTP(t *testing.T) {
	e, rec, c := newCollector(t)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()

	rec.Observe()
	var wg sync.WaitGroup
	done := make(chan struct{})
	var scrapes atomic.Int32
	var failed atomic.Bool
	var errs []error
	wg.Go(func() {
		last := -1.0
		for {
			select {
			case <-done:
				return
			default:
			}
			mfs, err := scrape(srv.URL)
			if err != nil {
				errs = append(errs, err)
				failed.Store(true)
				return
			}
			f := mfs["grove_frames_total"].GetMetric()[0].GetCounter().GetValue()
			if f < last {
				errs = append(errs, fmt.Errorf("frames went back from %v to %v", last, f))
				failed.Store(true)
			}
			last = f
			scrapes.Add(1)
		}
	})
	// At least 60 frames, and until a few scrapes overlapped them.
	for e.Frame() < 60 || (scrapes.Load() < 5 && !failed.Load() && e.Frame() < 1_000_000) {
		require.NoError(t, e.Tick(frame))
		rec.Observe()
	}
	close(done)
	wg.Wait()
	require.Empty(t, errs)
	assert.GreaterOrEqual(t, scrapes.Load(), int32(5))

	mfs, err := scrape(srv.URL)
	require.NoError(t, err)
	for _, name := range familyNames(true) {
		assert.Contains(t, mfs, name)
	}
	assert.Equal(t, float64(e.Frame()), mfs["grove_frames_total"].GetMetric()[0].GetCounter().GetValue())
}

// scrape GETs url/metrics and parses it.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func TestCollectorBeforeFirstObserve(t *testing.T) {
	_, _, c := newCollector(t)
	assert.Zero(t, testutil.CollectAndCount(c))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestNewRecorderRejectsBadOptions(t *testing.T) {
	e := newEngine(t)
	for _, opts := range [][]groveprom.Option{
		{nil},
		{groveprom.WithModules()},
		{groveprom.WithBuckets()},
		{groveprom.WithBuckets(1, 0.5)},
		{groveprom.WithBuckets(-1)},
		{groveprom.WithInterval(-time.Second)},
		{groveprom.WithDeployments(nil)},
	} {
		_, err := groveprom.NewRecorder(e, opts...)
		assert.ErrorIs(t, err, groveprom.ErrBadOption)
	}
	_, err := groveprom.NewRecorder(nil)
	assert.ErrorIs(t, err, groveprom.ErrBadOption)
}

// TestCustomBucketsAndModules: the options reach the exposition.
func TestCustomBucketsAndModules(t *testing.T) {
	e, rec, c := newCollector(t, groveprom.WithBuckets(1e-8, 1e-7), groveprom.WithModules("game"))
	run(t, e, rec, 2)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "grove_version_step_per_entity_seconds" {
			for _, m := range mf.Metric {
				require.Len(t, m.GetHistogram().GetBucket(), 2)
				assert.Equal(t, uint64(2), m.GetHistogram().GetSampleCount())
			}
			return
		}
	}
	t.Fatal("no histogram")
}

// TestDeploymentStatusFromOrchestrator: with a real orchestrator as the
// deployment source, a canary's phase, info and weights are exposed.
func TestDeploymentStatusFromOrchestrator(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.SetSplit("game", map[int]float64{1: 1}))
	o, err := deploy.New(e)
	require.NoError(t, err)
	defer o.Close()
	rec, err := groveprom.NewRecorder(e, groveprom.WithDeployments(o), groveprom.WithInterval(0))
	require.NoError(t, err)
	require.NoError(t, o.Deploy(deploy.Spec{Name: "canary-v2", Module: "game", Candidate: 2, Strategy: deploy.Canary{}}))
	for range 10 {
		require.NoError(t, o.Tick(frame))
		rec.Observe()
	}
	st, err := o.Status("game")
	require.NoError(t, err)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(groveprom.NewCollector(rec)))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	phase := byName["grove_deployment_phase"]
	require.NotNil(t, phase)
	on := 0
	for _, m := range phase.Metric {
		if m.GetGauge().GetValue() == 1 {
			on++
			assert.Contains(t, m.String(), st.Phase.String())
		}
	}
	assert.Equal(t, 1, on, "one phase at a time")
	require.NotNil(t, byName["grove_deployment_info"])
	assert.Contains(t, byName["grove_deployment_info"].Metric[0].String(), "canary")
	require.NotNil(t, byName["grove_deployment_weight_ratio"])
	problems, err := testutil.CollectAndLint(groveprom.NewCollector(rec))
	require.NoError(t, err)
	assert.Empty(t, problems)
}

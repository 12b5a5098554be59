package telemetry

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grove-engine/grove/internal/telemetry/telemetrytest"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
	"github.com/grove-engine/grove/versioning/deploy/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const frame = time.Second / 60

// newEngine returns an engine with module "game", v1 and v2 loaded and n
// entities at random positions in a 1000×1000 square, split 70/30.
func newEngine(t testing.TB, n int) *versioning.Engine {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	pos := make([]scenario.Vec2, n)
	for i := range pos {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
	}
	return telemetrytest.NewEngine(t, pos, versioning.WithFrameBudget(0))
}

// fakeDeployments is a deployment source with one canary rollout.
type fakeDeployments struct{}

func (fakeDeployments) Statuses() []deploy.Status {
	return []deploy.Status{telemetrytest.Canary(stats.Pass, 97,
		deploy.MetricResult{Metric: deploy.MetricStepTime, Version: 2, Baseline: 1, Verdict: stats.Inconclusive},
		deploy.MetricResult{Metric: deploy.MetricErrors, Version: 2, Baseline: 1, Verdict: stats.Pass},
	)}
}

func TestRecorderHistogramCountsObservedFrames(t *testing.T) {
	e := newEngine(t, 1000)
	r, err := NewRecorder(e, Config{})
	require.NoError(t, err)
	r.Observe() // before the first frame: a snapshot, no observation
	require.NotNil(t, r.Snapshot())
	assert.Empty(t, r.Snapshot().Steps)
	for range 30 {
		require.NoError(t, e.Tick(frame))
		r.Observe()
		r.Observe() // the same frame again: not counted twice
	}
	s := r.Snapshot()
	require.Len(t, s.Steps, 2)
	for i, h := range s.Steps {
		assert.Equal(t, "game", h.Module)
		assert.Equal(t, i+1, h.Version)
		assert.Equal(t, uint64(30), h.Count)
		assert.True(t, slices.IsSorted(h.Cumulative))
		assert.LessOrEqual(t, h.Cumulative[len(h.Cumulative)-1], h.Count)
		assert.Positive(t, h.Sum)
	}
	assert.Equal(t, uint64(30), s.Frame)
	assert.Equal(t, 30*frame, s.SimTime)
	require.Len(t, s.Modules, 1)
	assert.Equal(t, 1000, s.Modules[0].Entities)
}

func TestRecorderEvery(t *testing.T) {
	e := newEngine(t, 100)
	r, err := NewRecorder(e, Config{Every: 60 * frame, Modules: []string{"game"}})
	require.NoError(t, err)
	r.Observe()
	first := r.Snapshot()
	for range 59 {
		require.NoError(t, e.Tick(frame))
		r.Observe()
	}
	assert.Same(t, first, r.Snapshot(), "not 60 frames old yet")
	require.NoError(t, e.Tick(frame))
	r.Observe()
	assert.NotSame(t, first, r.Snapshot())
	assert.Equal(t, uint64(60), r.Snapshot().Frame)
	require.NoError(t, e.Tick(frame))
	r.Observe()
	assert.Equal(t, uint64(60), r.Snapshot().Frame)
	r.Refresh()
	assert.Equal(t, uint64(61), r.Snapshot().Frame)
	assert.Equal(t, uint64(61), r.Snapshot().Steps[0].Count, "every frame was observed")
}

func TestNewRecorderRejectsBadConfig(t *testing.T) {
	e := newEngine(t, 10)
	for _, cfg := range []Config{
		{Every: -1},
		{Buckets: []float64{}},
		{Buckets: []float64{1, 1}},
		{Buckets: []float64{2, 1}},
		{Buckets: []float64{0, 1}},
		{Buckets: []float64{1, math.Inf(1)}},
		{Buckets: []float64{math.NaN()}},
	} {
		_, err := NewRecorder(e, cfg)
		assert.ErrorIs(t, err, ErrBadConfig, "%+v", cfg)
	}
	_, err := NewRecorder(nil, Config{})
	assert.ErrorIs(t, err, ErrBadConfig)
}

// TestFamiliesCoverEveryDef: with a module, its versions' custom-free
// metrics, the histogram and a rollout, every family has samples except
// grove_version_custom (v1 and v2 report none).
func TestFamiliesCoverEveryDef(t *testing.T) {
	e := newEngine(t, 100)
	r, err := NewRecorder(e, Config{Deployments: fakeDeployments{}})
	require.NoError(t, err)
	require.NoError(t, e.Tick(frame))
	r.Observe()
	fams := Families(r.Snapshot())
	require.Len(t, fams, len(Defs))
	for i, f := range fams {
		assert.Equal(t, Defs[i].Name, f.Name)
		if f.Name == VersionCustom.Name {
			assert.Empty(t, f.Samples)
			continue
		}
		assert.NotEmpty(t, f.Samples, f.Name)
		for _, s := range f.Samples {
			assert.Len(t, s.Labels, len(f.Labels), f.Name)
		}
	}
	for _, f := range Families(nil) {
		assert.Empty(t, f.Samples)
	}
}

// TestDefsFollowConventions checks the names: a grove_ prefix, snake case,
// _total exactly on counters, base units only, unique names.
func TestDefsFollowConventions(t *testing.T) {
	name := regexp.MustCompile(`^grove(_[a-z0-9]+)+$`)
	seen := map[string]bool{}
	for _, d := range Defs {
		assert.Regexp(t, name, d.Name)
		assert.False(t, seen[d.Name], d.Name)
		seen[d.Name] = true
		assert.Equal(t, d.Type == Counter, strings.HasSuffix(d.Name, "_total"), d.Name)
		for _, bad := range []string{"_ms", "milli", "micro", "nano", "_ns", "kilo", "_kb", "_mb", "percent"} {
			assert.NotContains(t, d.Name, bad)
		}
		assert.NotEmpty(t, d.Help)
		assert.True(t, strings.HasSuffix(d.Help, "."), d.Name)
	}
}

// parsed is what parseText found: sample values by series ("name{k=v,...}").
type parsed struct {
	types  map[string]string
	values map[string]float64
}

var (
	metricName = `[a-zA-Z_:][a-zA-Z0-9_:]*`
	labelPair  = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`
	sampleLine = regexp.MustCompile(`^(` + metricName + `)(\{(?:` + labelPair + `(?:,` + labelPair + `)*)?\})? (\S+)$`)
	helpLine   = regexp.MustCompile(`^# HELP (` + metricName + `) (.*)$`)
	typeLine   = regexp.MustCompile(`^# TYPE (` + metricName + `) (counter|gauge|histogram|summary|untyped)$`)
)

// parseText is a strict parser of the text exposition format 0.0.4 as
// WriteText writes it: every sample belongs to the family whose TYPE line
// came last (with the _bucket, _sum and _count suffixes for a histogram),
// every line matches the grammar, values parse, no series repeats, and
// histogram buckets are cumulative with +Inf equal to _count.
func parseText(t *testing.T, text string) parsed {
	t.Helper()
	p := parsed{types: map[string]string{}, values: map[string]float64{}}
	var family, typ string
	sc := bufio.NewScanner(strings.NewReader(text))
	require.True(t, strings.HasSuffix(text, "\n"))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if m := helpLine.FindStringSubmatch(l); m != nil {
			require.NotContains(t, p.types, m[1], "line %d: family %s twice", n, m[1])
			family = m[1]
			continue
		}
		if m := typeLine.FindStringSubmatch(l); m != nil {
			require.Equal(t, family, m[1], "line %d: TYPE follows its HELP", n)
			typ = m[2]
			p.types[family] = typ
			continue
		}
		m := sampleLine.FindStringSubmatch(l)
		require.NotNil(t, m, "line %d does not parse: %q", n, l)
		base := m[1]
		if typ == "histogram" {
			base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_bucket"), "_sum"), "_count")
		}
		require.Equal(t, family, base, "line %d: sample of another family", n)
		v, err := strconv.ParseFloat(m[3], 64)
		require.NoError(t, err, "line %d", n)
		key := m[1] + m[2]
		require.NotContains(t, p.values, key, "line %d: series repeated", n)
		p.values[key] = v
	}
	require.NoError(t, sc.Err())
	return p
}

func TestWriteTextParses(t *testing.T) {
	e := newEngine(t, 500)
	r, err := NewRecorder(e, Config{Deployments: fakeDeployments{}})
	require.NoError(t, err)
	for range 10 {
		require.NoError(t, e.Tick(frame))
		r.Observe()
	}
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, Families(r.Snapshot())))
	p := parseText(t, buf.String())
	for _, d := range Defs {
		if d.Name != VersionCustom.Name {
			assert.Equal(t, d.Type.String(), p.types[d.Name], d.Name)
		}
	}
	assert.Equal(t, 500.0, p.values[`grove_module_entities{module="game"}`])
	assert.Equal(t, 0.3, p.values[`grove_version_traffic_ratio{module="game",version="2"}`])
	assert.Equal(t, 1.0, p.values[`grove_version_state{module="game",version="2",state="active"}`])
	assert.Equal(t, 0.0, p.values[`grove_version_state{module="game",version="2",state="failed"}`])
	assert.Equal(t, 1.0, p.values[`grove_deployment_phase{module="game",rollout="canary-v2",phase="progressing"}`])
	assert.Equal(t, 0.3, p.values[`grove_deployment_max_weight_ratio{module="game",rollout="canary-v2"}`])
	assert.Equal(t, 10.0, p.values[`grove_version_step_per_entity_seconds_count{module="game",version="1"}`])
	assert.Equal(t, 10.0, p.values[`grove_version_step_per_entity_seconds_bucket{module="game",version="1",le="+Inf"}`])
	prev := 0.0
	for _, b := range DefaultBuckets {
		c := p.values[fmt.Sprintf(`grove_version_step_per_entity_seconds_bucket{module="game",version="1",le="%s"}`, formatFloat(b))]
		assert.GreaterOrEqual(t, c, prev)
		prev = c
	}
	assert.Equal(t, 10.0, prev)
}

func TestWriteTextEscapes(t *testing.T) {
	fams := []Family{{Def: Def{Name: "grove_x", Help: "a \\ b\nc", Type: Gauge, Labels: []string{"module"}},
		Samples: []Sample{{Labels: []string{"q\"\\\n"}, Value: math.Inf(1)}, {Labels: []string{"nan"}, Value: math.NaN()}}},
		{Def: Def{Name: "grove_empty", Help: "nothing.", Type: Gauge}}}
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, fams))
	assert.Equal(t, "# HELP grove_x a \\\\ b\\nc\n# TYPE grove_x gauge\ngrove_x{module=\"q\\\"\\\\\\n\"} +Inf\ngrove_x{module=\"nan\"} NaN\n", buf.String())
	parseText(t, buf.String())
}

// TestScrapeWhileTicking reads and writes snapshots on another goroutine
// while the game loop ticks and observes (run with -race).
func TestScrapeWhileTicking(t *testing.T) {
	e := newEngine(t, 200)
	r, err := NewRecorder(e, Config{Deployments: fakeDeployments{}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	done := make(chan struct{})
	var scrapes atomic.Int32
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			var buf bytes.Buffer
			_ = WriteText(&buf, Families(r.Snapshot()))
			scrapes.Add(1)
		}
	})
	// At least 100 frames, and until a few scrapes overlapped them.
	frames := 0
	for ; frames < 100 || (scrapes.Load() < 3 && frames < 1_000_000); frames++ {
		require.NoError(t, e.Tick(frame))
		r.Observe()
	}
	close(done)
	wg.Wait()
	assert.GreaterOrEqual(t, scrapes.Load(), int32(3))
	assert.Equal(t, uint64(frames), r.Snapshot().Steps[0].Count)
}

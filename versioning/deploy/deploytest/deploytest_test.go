package deploytest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/deploytest"
)

func TestClock(t *testing.T) {
	var c deploytest.Clock
	assert.Zero(t, c.Now())
	c.Advance(5)
	c.Advance(-3)
	assert.Equal(t, time.Duration(5), c.Now())
}

func TestVersionRenumbers(t *testing.T) {
	v := deploytest.Version{Inner: v2.Version{}, Num: 7}
	assert.Equal(t, 7, v.Number())
	assert.Same(t, v2.Layout, v.Components())
	var edges [][2]int
	for _, m := range v.Migrations() {
		edges = append(edges, [2]int{m.From, m.To})
	}
	assert.ElementsMatch(t, [][2]int{{1, 7}, {7, 1}, {2, 7}, {7, 2}}, edges)
	assert.Equal(t, 2, deploytest.Version{Inner: v2.Version{}}.Number())
}

// TestModelledBehaviour runs a wrapped v2 in an engine that measures with
// the deterministic clock: the step time is the modelled cost, the soft
// errors and failures come at their rates.
func TestModelledBehaviour(t *testing.T) {
	clock := &deploytest.Clock{}
	e, err := versioning.New(versioning.WithClock(clock.Now), versioning.WithWorkers(1))
	require.NoError(t, err)
	require.NoError(t, e.AddModule("m", versioning.Tolerate(versioning.FailurePolicy{MaxRate: 1, MaxConsecutive: 1000})))
	v := deploytest.Version{Inner: v2.Version{}, Clock: clock, CostNs: 100, Jitter: 0.1, SoftRate: 0.05, FailRate: 0.2, Seed: 3}
	require.NoError(t, e.Register("m", v))
	require.NoError(t, e.Register("m", v3.Version{})) // the fallback of a failed step
	require.NoError(t, e.Load("m", 2))
	require.NoError(t, e.Load("m", 3))
	require.NoError(t, e.SetSplit("m", map[int]float64{2: 1}))
	c := ecs.MakeColumns(v2.Layout, 1000)
	_, err = e.Spawn("m", 2, &c)
	require.NoError(t, err)
	var soft, steps, failed int
	for range 500 {
		require.NoError(t, e.Tick(time.Second/60))
		last, err := e.LastFrame("m")
		require.NoError(t, err)
		for _, fs := range last {
			if fs.Version != 2 {
				continue
			}
			steps++
			soft += fs.SoftErrors
			if fs.Failed {
				failed++
				continue
			}
			assert.InDelta(t, 100*1000, float64(fs.Step.Nanoseconds()), 0.1*100*1000+1)
		}
	}
	assert.InDelta(t, 0.05, float64(soft)/float64(steps*1000), 0.005)
	assert.InDelta(t, 0.2, float64(failed)/float64(steps), 0.05)

	// The failure is the modelled one.
	l, err := v.NewLogic()
	require.NoError(t, err)
	sched := l.Schedule()
	assert.Equal(t, "model", sched[len(sched)-1].Name)
	w, err := ecs.NewWorld(v2.Layout, 0)
	require.NoError(t, err)
	var got error
	for range 100 {
		if err := sched[len(sched)-1].Run(w.View(), 0); err != nil {
			got = err
		}
	}
	assert.True(t, errors.Is(got, deploytest.ErrModelled))
}

func TestForwardsOptionalInterfaces(t *testing.T) {
	three, err := v3.New()
	require.NoError(t, err)
	l, err := deploytest.Version{Inner: three}.NewLogic()
	require.NoError(t, err)
	m := map[string]float64{}
	l.(versioning.MetricsReporter).ReportMetrics(m)
	assert.Contains(t, m, "pairs")
	c := l.(versioning.Configurable)
	assert.Error(t, c.ValidateConfig("nope"))
	require.NoError(t, c.ValidateConfig(v3.Config{Radius: 1}))
	l2, err := deploytest.Version{Inner: v2.Version{}}.NewLogic()
	require.NoError(t, err)
	assert.ErrorIs(t, l2.(versioning.Configurable).ValidateConfig(v3.Config{}), versioning.ErrNotConfigurable)
}

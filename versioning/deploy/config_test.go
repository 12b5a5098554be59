package deploy

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/deploytest"
)

// island is a version whose layout shares no component with the others and
// that declares no migration: nothing can be converted into it.
type island struct{}

var hp = ecs.MustRegister[float32]("deploytest-hp")

func (island) Number() int                  { return 9 }
func (island) Components() *ecs.Layout      { return ecs.MustLayout(hp) }
func (island) Migrations() []ecs.Migration  { return nil }
func (island) NewLogic() (ecs.Logic, error) { return islandLogic{}, nil }

type islandLogic struct{}

func (islandLogic) Schedule() ecs.Schedule { return nil }

func TestBadConfigStartsNothing(t *testing.T) {
	neg := -time.Second
	cases := []struct {
		name string
		spec Spec
		want error
	}{
		{"steps not increasing", Spec{Candidate: 4, Strategy: Canary{Weights: []float64{10, 30, 30, 80}}}, ErrBadConfig},
		{"steps decreasing", Spec{Candidate: 4, Strategy: Canary{Steps: []Step{{Weight: 50}, {Weight: 20}}}}, ErrBadConfig},
		{"weight above 100", Spec{Candidate: 4, Strategy: Canary{Weights: []float64{10, 120}}}, ErrBadConfig},
		{"weight zero", Spec{Candidate: 4, Strategy: Canary{Weights: []float64{0, 50}}}, ErrBadConfig},
		{"weight negative", Spec{Candidate: 4, Strategy: Canary{Weights: []float64{-10, 50}}}, ErrBadConfig},
		{"two step styles", Spec{Candidate: 4, Strategy: Canary{Weights: []float64{10}, Initial: 10, Increment: 10, Max: 50}}, ErrBadConfig},
		{"bad linear steps", Spec{Candidate: 4, Strategy: Canary{Initial: 10, Increment: 0, Max: 50}}, ErrBadConfig},
		{"negative interval", Spec{Candidate: 4, Strategy: Canary{Interval: neg}}, ErrBadConfig},
		{"negative step pause", Spec{Candidate: 4, Strategy: Canary{Steps: []Step{{Weight: 10, Pause: neg}}}}, ErrBadConfig},
		{"negative deadline", Spec{Candidate: 4, Strategy: Canary{ProgressDeadline: neg}}, ErrBadConfig},
		{"negative scale-down delay", Spec{Candidate: 4, Strategy: BlueGreen{ScaleDownDelay: neg}}, ErrBadConfig},
		{"negative test duration", Spec{Candidate: 4, Strategy: ABTest{Weights: map[int]float64{2: 50, 4: 50}, Duration: neg}}, ErrBadConfig},
		{"test weights not 100", Spec{Candidate: 4, Strategy: ABTest{Weights: map[int]float64{2: 50, 4: 40}}}, ErrBadConfig},
		{"test weight above 100", Spec{Candidate: 4, Strategy: ABTest{Weights: map[int]float64{2: -20, 4: 120}}}, ErrBadConfig},
		{"test of one version", Spec{Candidate: 4, Strategy: ABTest{Weights: map[int]float64{4: 100}}}, ErrBadConfig},
		{"negative shadow duration", Spec{Candidate: 4, Strategy: Shadow{Duration: neg}}, ErrBadConfig},
		{"negative rolling interval", Spec{Candidate: 4, Strategy: Rolling{Interval: neg}}, ErrBadConfig},
		{"negative analysis window", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{Window: neg}}, ErrBadConfig},
		{"alpha out of range", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{Alpha: 1.5}}, ErrBadConfig},
		{"error rate out of range", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{MaxErrorRate: 2}}, ErrBadConfig},
		{"error ratio below 1", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{MaxErrorRatio: 0.5}}, ErrBadConfig},
		{"negative threshold", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{StepTime: Check{Ratio: -1}}}, ErrBadConfig},
		{"duplicate custom metric", Spec{Candidate: 4, Strategy: Canary{}, Analysis: Analysis{Custom: []CustomCheck{{Name: "a"}, {Name: "a"}}}}, ErrBadConfig},
		{"negative gate retry", Spec{Candidate: 4, Strategy: Canary{}, Gates: Gates{Retry: neg}}, ErrBadConfig},
		{"candidate is the baseline", Spec{Candidate: 2, Strategy: Canary{}}, ErrBadConfig},
		{"unknown candidate", Spec{Candidate: 42, Strategy: Canary{}}, ErrUnknownVersion},
		{"unknown baseline", Spec{Candidate: 4, Baseline: 42, Strategy: Canary{}}, ErrUnknownVersion},
		{"unknown test version", Spec{Candidate: 4, Strategy: ABTest{Weights: map[int]float64{2: 50, 42: 50}}}, ErrUnknownVersion},
		{"unknown strategy", Spec{Candidate: 4, StrategyName: "nope"}, ErrUnknownStrategy},
		{"no strategy", Spec{Candidate: 4}, ErrUnknownStrategy},
		{"shadow without a migration path", Spec{Candidate: 9, Strategy: Shadow{}}, ErrNoMigrationPath},
		{"unknown module", Spec{Module: "nope", Candidate: 4, Strategy: Canary{}}, ErrBadConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 100, gc, func(k *deploytest.Clock) []versioning.Version {
				return []versioning.Version{modelled(k, 2, 50, 0, 0), modelled(k, 4, 50, 0, 0), island{}}
			})
			if c.spec.Module == "" {
				c.spec.Module = mod
			}
			err := w.o.Deploy(c.spec)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.want, "%v", err)
			assert.Empty(t, w.o.History(""), "nothing recorded")
			loaded, _ := w.e.Loaded(mod)
			assert.Equal(t, []int{2}, loaded, "nothing loaded")
			split, _ := w.e.Split(mod)
			assert.Equal(t, map[int]float64{2: 1}, split)
			_, err = w.o.Status(mod)
			assert.ErrorIs(t, err, ErrNoRollout)
		})
	}
}

func TestShadowWithoutPathWrapsTheEngineError(t *testing.T) {
	w := newWorld(t, 10, gc, func(k *deploytest.Clock) []versioning.Version {
		return []versioning.Version{modelled(k, 2, 50, 0, 0), island{}}
	})
	err := w.o.Deploy(Spec{Module: mod, Candidate: 9, Strategy: Shadow{}})
	assert.ErrorIs(t, err, versioning.ErrNoMigrationPath)
}

func TestSecondRolloutOnAModule(t *testing.T) {
	w := newWorld(t, 100, gc, standard(candidate(4, 50, 0, 0), candidate(5, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(3)
	err := w.o.Deploy(Spec{Module: mod, Candidate: 5, Strategy: fastCanary()})
	require.ErrorIs(t, err, ErrRolloutActive)
	st, _ := w.e.State(mod, 5)
	assert.Equal(t, versioning.StateUnloaded, st, "the second candidate was not loaded")
	require.NoError(t, w.o.Abort(mod))
	w.tick(1)
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 5, Strategy: fastCanary()}), "once the first has ended")
	// A candidate that already has traffic cannot be rolled out.
	w.tick(2)
	require.NoError(t, w.o.Abort(mod))
	w.tick(1)
	require.NoError(t, w.e.SetSplit(mod, map[int]float64{2: 0.5, 4: 0.5}))
	assert.ErrorIs(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Baseline: 2, Strategy: fastCanary()}), ErrBadConfig)
}

func TestOptionsAndRegistry(t *testing.T) {
	e, err := versioning.New()
	require.NoError(t, err)
	_, err = New(nil)
	assert.ErrorIs(t, err, ErrBadConfig)
	for _, opt := range []Option{nil, WithLogger(nil), WithNotifier(nil), WithHistoryLimit(0), WithClock(nil)} {
		_, err = New(e, opt)
		assert.ErrorIs(t, err, ErrBadConfig)
	}
	o, err := New(e)
	require.NoError(t, err)
	var names []string
	for _, s := range o.Strategies() {
		names = append(names, s.Name)
		assert.NotEmpty(t, s.Description)
	}
	assert.Equal(t, []string{"ab-test", "blue-green", "canary", "rolling", "shadow"}, names)
	assert.ErrorIs(t, o.Register(Canary{}), ErrStrategyExists)
	assert.ErrorIs(t, o.Register(nil), ErrBadConfig)
	require.NoError(t, o.Register(named{"big-bang"}))
	got, ok := o.Strategy("big-bang")
	require.True(t, ok)
	assert.Equal(t, "big-bang", got.Name())
	require.NoError(t, o.Close())
	assert.ErrorIs(t, o.Close(), ErrClosed)
	assert.ErrorIs(t, o.Step(), ErrClosed)
	assert.True(t, errors.Is(o.Deploy(Spec{Module: mod, Candidate: 1, Strategy: Canary{}}), ErrClosed))
}

// named is a custom strategy: all traffic at once, then complete.
type named struct{ name string }

func (n named) Name() string        { return n.name }
func (n named) Description() string { return "everything at once" }
func (n named) Next(o Observation) Decision {
	switch {
	case o.Command == CmdAbort:
		return Decision{Action: Abort, Reason: "aborted"}
	case o.Step < 0:
		return Decision{Action: Advance, Step: 0, Weights: map[int]float64{o.Candidate: 1}, Reason: "big bang"}
	}
	return Decision{Action: Complete, Reason: "done"}
}

func TestCustomStrategyByName(t *testing.T) {
	w := newWorld(t, 100, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Register(named{"big-bang"}))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, StrategyName: "big-bang"}))
	w.tick(2)
	s, _ := w.o.Status(mod)
	assert.Equal(t, PhaseCompleted, s.Phase)
	assert.Equal(t, "big-bang", s.Strategy)
	assert.Equal(t, []Action{Start, Advance, Complete}, w.actions())
}

func TestHistoryIsBounded(t *testing.T) {
	w := newWorld(t, 100, gc, standard(candidate(4, 50, 0, 0)), WithHistoryLimit(3))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: Rolling{Increment: 10, Interval: time.Second / 10}}))
	w.until(10*60, terminal)
	h := w.o.History("")
	require.Len(t, h, 3)
	assert.Equal(t, Complete, h[2].Action)
	assert.Equal(t, h[0].Seq+2, h[2].Seq, "the newest, in order")
	assert.Greater(t, h[0].Seq, uint64(3))
}

// bogus advances to a split the engine refuses.
type bogus struct{}

func (bogus) Name() string        { return "bogus" }
func (bogus) Description() string { return "asks for an impossible split" }
func (bogus) Next(o Observation) Decision {
	if o.Step < 0 {
		return Decision{Action: Advance, Step: 0, Weights: map[int]float64{99: 1}, Reason: "to v99"}
	}
	return Decision{Action: Hold}
}

func TestEngineRefusalFailsTheRollout(t *testing.T) {
	w := newWorld(t, 100, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: bogus{}}))
	err := w.o.Step()
	require.ErrorIs(t, err, versioning.ErrUnknownVersion)
	s, _ := w.o.Status(mod)
	assert.Equal(t, PhaseFailed, s.Phase)
	assert.Contains(t, s.Reason, "refused by the engine")
	h := w.o.History(mod)
	assert.NotEqual(t, "ok", h[len(h)-1].Outcome)
	assert.Equal(t, map[int]float64{2: 1}, s.Weights)
	require.NoError(t, w.o.Step(), "nothing more to do")
}

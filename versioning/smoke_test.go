package versioning

import (
	"testing"
	"time"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	e, err := New()
	require.NoError(t, err)
	var evs []Event
	e.Subscribe(func(ev Event) { evs = append(evs, ev) })
	require.NoError(t, e.AddModule("g", AutoGC(10*time.Second)))
	require.NoError(t, e.Register("g", v1.Version{}))
	require.NoError(t, e.Register("g", v2.Version{}))
	v3v, _ := v3.New()
	require.NoError(t, e.Register("g", v3v))
	require.NoError(t, e.Load("g", 1))
	c := ecs.Columns{Mask: v1.Components}
	for i := range 100 {
		c.Position = append(c.Position, ecs.Position{X: float32(i), Y: float32(i)})
		c.Velocity = append(c.Velocity, ecs.Velocity{X: 1, Y: 1})
	}
	keys, err := e.Spawn("g", 1, &c)
	require.NoError(t, err)
	require.Len(t, keys, 100)
	require.NoError(t, e.Load("g", 2))
	require.NoError(t, e.SetSplit("g", map[int]float64{1: 0.9, 2: 0.1}))
	mm, _ := e.Metrics("g")
	t.Logf("%+v", mm.Versions[0].Entities)
	t.Logf("%+v", mm.Versions[1].Entities)
	for range 60 {
		require.NoError(t, e.Tick(time.Second/60))
	}
	require.NoError(t, e.SetSplit("g", map[int]float64{2: 1}))
	for range 11 * 60 {
		require.NoError(t, e.Tick(time.Second/60))
	}
	l, _ := e.Loaded("g")
	t.Log(l)
	require.NoError(t, e.Load("g", 3))
	require.NoError(t, e.Load("g", 1))
	require.NoError(t, e.SetSplit("g", map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	mm, _ = e.Metrics("g")
	for _, v := range mm.Versions {
		t.Logf("v%d: %d entities, traffic %.2f", v.Version, v.Entities, v.Traffic)
	}
	for _, ev := range evs {
		t.Logf("%v m=%s v=%d %d→%d n=%d dur=%v freed=%d mem=%d err=%v", ev.Kind, ev.Module, ev.Version, ev.From, ev.To, ev.Entities, ev.Duration, ev.Freed, ev.MemoryBytes, ev.Err)
	}
}

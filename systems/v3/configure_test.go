package v3_test

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

func configurable(t *testing.T) *v3.Logic {
	t.Helper()
	v, err := v3.New()
	require.NoError(t, err)
	l, err := v.NewLogic()
	require.NoError(t, err)
	return l.(*v3.Logic)
}

func systemNames(s ecs.Schedule) []string {
	var out []string
	for _, sys := range s {
		out = append(out, sys.Name)
	}
	return out
}

func TestConfigIsValidatedCompletely(t *testing.T) {
	l := configurable(t)
	var _ versioning.Configurable = l
	before := l.Config()
	assert.Equal(t, v3.Config{Radius: v3.DefaultRadius, GravityX: 0, GravityY: 9.8, Contacts: true}, before)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, bad := range []any{
		nil, "radius=2", v3.Config{}, (*v3.Config)(nil),
		v3.Config{Radius: -1}, v3.Config{Radius: nan}, v3.Config{Radius: math.MaxFloat32},
		v3.Config{Radius: 1, GravityX: nan}, v3.Config{Radius: 1, GravityY: inf},
	} {
		err := l.ValidateConfig(bad)
		assert.ErrorIs(t, err, v3.ErrBadOption, "%#v", bad)
		l.ApplyConfig(bad) // ignored
		assert.Equal(t, before, l.Config(), "%#v changed nothing", bad)
	}
	good := v3.Config{Radius: 2, GravityX: 1, GravityY: -3}
	require.NoError(t, l.ValidateConfig(good))
	require.NoError(t, l.ValidateConfig(&good))
	assert.Equal(t, before, l.Config(), "validation changes nothing")
	l.ApplyConfig(&good)
	assert.Equal(t, good, l.Config())
	assert.False(t, slices.Contains(systemNames(l.Schedule()), "contacts"), "contacts off: no contact pass")
	good.Contacts = true
	l.ApplyConfig(good)
	assert.Equal(t, []string{"gravity", "bounds", "contacts"}, systemNames(l.Schedule()))
}

// TestHotPatchThroughTheEngine configures a running v3 without a reload:
// gravity and contacts change at the next frame, and a rejected config
// changes nothing.
func TestHotPatchThroughTheEngine(t *testing.T) {
	e, err := versioning.New()
	require.NoError(t, err)
	require.NoError(t, e.AddModule("m"))
	v, err := v3.New()
	require.NoError(t, err)
	require.NoError(t, e.Register("m", v))
	require.NoError(t, e.Load("m", 3))
	c := ecs.MakeColumns(v3.Layout, 2)
	pos := ecs.Column(&c, scenario.Position)
	pos[0], pos[1] = scenario.Vec2{X: 500, Y: 500}, scenario.Vec2{X: 500.5, Y: 500}
	_, err = e.Spawn("m", 3, &c)
	require.NoError(t, err)
	state := func() ecs.Columns {
		s, err := e.Export("m")
		require.NoError(t, err)
		return s[3]
	}

	require.NoError(t, e.Tick(0))
	s := state()
	assert.Equal(t, []bool{true, true}, ecs.Column(&s, scenario.Collided), "the two entities touch")

	err = e.Configure("m", 3, v3.Config{Radius: -1, GravityY: -10})
	require.ErrorIs(t, err, versioning.ErrBadOption)
	require.ErrorIs(t, err, v3.ErrBadOption)
	require.NoError(t, e.Configure("m", 3, v3.Config{Radius: v3.DefaultRadius, GravityX: 2, GravityY: -10, Contacts: false}))
	require.NoError(t, e.Tick(1e9)) // one second
	s = state()
	vel := ecs.Column(&s, scenario.Velocity)
	assert.Equal(t, scenario.Vec2{X: 2, Y: -10}, vel[0], "the new gravity, not 9.8")
	assert.Equal(t, []bool{false, false}, ecs.Column(&s, scenario.Collided), "contacts off, both inside the bounds")
	require.NoError(t, e.Configure("m", 3, &v3.Config{Radius: v3.DefaultRadius, Contacts: true}))
	require.NoError(t, e.Tick(0))
	s = state()
	assert.Equal(t, []bool{true, true}, ecs.Column(&s, scenario.Collided), "contacts back on")
}

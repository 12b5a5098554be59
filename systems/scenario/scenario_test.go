package scenario_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
)

// components are the package's four components by documented name.
var components = map[string]*ecs.Component{
	"position": scenario.Position.Component,
	"velocity": scenario.Velocity.Component,
	"collided": scenario.Collided.Component,
	"mass":     scenario.Mass.Component,
}

// TestSchemasAreTheDocumentedOnes compares every component's schema, field
// by field (path, kind, offset, count, no non-finite exemption), with the
// documentation as internal/systemtest writes it out.
func TestSchemasAreTheDocumentedOnes(t *testing.T) {
	want := systemtest.Schemas()
	require.Len(t, want, len(components))
	for name, c := range components {
		s, ok := want[name]
		require.True(t, ok, "%s is not documented", name)
		assert.Equal(t, name, c.Name())
		assert.Equal(t, s, c.Schema(), name)
		assert.Equal(t, s.Size, c.Size(), name)
		assert.True(t, c.Schema().Equal(s), name)
		assert.NoError(t, c.Schema().Validate(), name)
	}
}

func TestGoTypes(t *testing.T) {
	assert.Equal(t, reflect.TypeFor[scenario.Vec2](), scenario.Position.Type())
	assert.Equal(t, reflect.TypeFor[scenario.Vec2](), scenario.Velocity.Type())
	assert.Equal(t, reflect.TypeFor[bool](), scenario.Collided.Type())
	assert.Equal(t, reflect.TypeFor[float32](), scenario.Mass.Type())
}

// TestComponentsAreDistinct: position and velocity share a Go type but are
// two components, and no two of the four share an ID.
func TestComponentsAreDistinct(t *testing.T) {
	ids := map[ecs.ID]string{}
	for name, c := range components {
		if other, dup := ids[c.ID()]; dup {
			t.Errorf("%s and %s share ID %d", name, other, c.ID())
		}
		ids[c.ID()] = name
		assert.Equal(t, name, c.ID().Name())
	}
	assert.False(t, scenario.Position.SameLayout(scenario.Velocity.Component))
	assert.Equal(t, 4, ecs.SetOf(scenario.Position, scenario.Velocity, scenario.Collided, scenario.Mass).Len())
}

// TestVec2ColumnsAreInterleavedFloats checks the doc comment of Vec2: a
// column of them is an interleaved x, y []float32, without copying, which is
// what v3's SIMD kernels run over; the other two are not Vec2 columns.
func TestVec2ColumnsAreInterleavedFloats(t *testing.T) {
	l := ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided, scenario.Mass)
	c := ecs.MakeColumns(l, 3)
	pos := ecs.Column(&c, scenario.Position)
	pos[1] = scenario.Vec2{X: 1.5, Y: -2}
	pos[2].Y = systemtest.NegZero
	f := ecs.Float32s(&c, scenario.Position)
	require.Len(t, f, 6)
	assert.Equal(t, []uint32{0, 0, 0x3fc00000, 0xc0000000, 0, 0x80000000},
		systemtest.Float32Bits(&c, scenario.Position))
	f[0] = 7
	assert.Equal(t, float32(7), pos[0].X, "the float view aliases the column")
	assert.Len(t, ecs.Float32s(&c, scenario.Velocity), 6)
	assert.Len(t, ecs.Float32s(&c, scenario.Mass), 3)
	assert.Nil(t, ecs.Float32s(&c, scenario.Collided), "a bool column has no float view")
}

// TestAnotherTypeUnderTheNames: a version in another package may declare
// its own types under these names (the package doc says so); with the same
// layout they are the same component, and its columns are readable through
// this package's handles.
func TestAnotherTypeUnderTheNames(t *testing.T) {
	type point struct{ X, Y float32 }
	mine := ecs.MustRegister[point]("position")
	assert.Equal(t, scenario.Position.ID(), mine.ID())
	assert.True(t, scenario.Position.SameLayout(mine.Component))
	c := ecs.MakeColumns(ecs.MustLayout(mine, scenario.Mass), 2)
	ecs.Column(&c, mine)[1] = point{3, 4}
	assert.Equal(t, scenario.Vec2{X: 3, Y: 4}, ecs.Column(&c, scenario.Position)[1])

	type renamed struct{ A, B float32 }
	other := ecs.MustRegister[renamed]("position")
	assert.False(t, scenario.Position.SameLayout(other.Component), "other field names: another layout")
}

// TestEveryFloatFieldIsChecked: no field is exempt from the engine's
// non-finite check, so an infinity in any float field is found.
func TestEveryFloatFieldIsChecked(t *testing.T) {
	l := ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided, scenario.Mass)
	for _, tc := range []struct {
		field string
		set   func(c *ecs.Columns)
	}{
		{"position.x", func(c *ecs.Columns) { ecs.Column(c, scenario.Position)[2].X = systemtest.PosInf }},
		{"position.y", func(c *ecs.Columns) { ecs.Column(c, scenario.Position)[2].Y = systemtest.NegInf }},
		{"velocity.x", func(c *ecs.Columns) { ecs.Column(c, scenario.Velocity)[2].X = systemtest.PosInf }},
		{"velocity.y", func(c *ecs.Columns) { ecs.Column(c, scenario.Velocity)[2].Y = systemtest.NegInf }},
		{"mass", func(c *ecs.Columns) { ecs.Column(c, scenario.Mass)[2] = systemtest.PosInf }},
	} {
		c := ecs.MakeColumns(l, 4)
		row, _ := c.FirstNonFinite()
		require.Equal(t, -1, row)
		tc.set(&c)
		row, field := c.FirstNonFinite()
		assert.Equal(t, 2, row, tc.field)
		assert.Equal(t, tc.field, field)
	}
}

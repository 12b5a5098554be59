package systemtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// Versions are the game-logic versions whose layouts are documented here.
var Versions = []int{1, 2, 3}

// Schemas returns the scenario's four components as systems/scenario
// documents them, by name: position and velocity are a Vec2 (float32 x at
// offset 0, float32 y at offset 4), collided a bool and mass a float32. They
// are written out here rather than derived from the Go types, so that tests
// check the registered schemas against the documentation. The result is a
// fresh copy on each call.
func Schemas() map[string]ecs.Schema {
	vec2 := func(name string) ecs.Schema {
		return ecs.Schema{Name: name, Size: 8, Align: 4, Fields: []ecs.Field{
			{Path: "x", Kind: ecs.KindFloat32, Offset: 0, Count: 1},
			{Path: "y", Kind: ecs.KindFloat32, Offset: 4, Count: 1},
		}}
	}
	return map[string]ecs.Schema{
		"position": vec2("position"),
		"velocity": vec2("velocity"),
		"collided": {Name: "collided", Size: 1, Align: 1, Fields: []ecs.Field{{Path: "", Kind: ecs.KindBool, Offset: 0, Count: 1}}},
		"mass":     {Name: "mass", Size: 4, Align: 4, Fields: []ecs.Field{{Path: "", Kind: ecs.KindFloat32, Offset: 0, Count: 1}}},
	}
}

// DocComponent is one component of a version's documented layout: its schema
// and its default value, the bytes an entity migrating into the version
// starts with when its source version lacks the component.
type DocComponent struct {
	Schema  ecs.Schema
	Default []byte
}

// Documented returns version v's documented layout, sorted by name:
//
//   - v1: position, velocity (zero defaults);
//   - v2: v1's plus collided (false by default);
//   - v3: v2's plus mass (1 by default).
//
// It panics for an unknown version. The result is a fresh copy on each call.
func Documented(v int) []DocComponent {
	s := Schemas()
	zero := func(name string) DocComponent {
		return DocComponent{s[name], make([]byte, s[name].Size)}
	}
	var out []DocComponent
	switch v {
	case 1:
		out = []DocComponent{zero("position"), zero("velocity")}
	case 2:
		out = []DocComponent{zero("position"), zero("velocity"), zero("collided")}
	case 3:
		one := binary.NativeEndian.AppendUint32(nil, math.Float32bits(1))
		out = []DocComponent{zero("position"), zero("velocity"), zero("collided"), {s["mass"], one}}
	default:
		panic(fmt.Sprintf("systemtest: no documented layout for version %d", v))
	}
	slices.SortFunc(out, func(a, b DocComponent) int { return strings.Compare(a.Schema.Name, b.Schema.Name) })
	return out
}

// DocDefault is the documented default value of the component called name in
// version v's layout, or nil if the layout lacks it.
func DocDefault(v int, name string) []byte {
	for _, d := range Documented(v) {
		if d.Schema.Name == name {
			return d.Default
		}
	}
	return nil
}

// layouts are the documented layouts built from the scenario's components,
// for rows of a version a test cannot import (v2's tests need v1 rows).
var layouts = map[int]*ecs.Layout{
	1: ecs.MustLayout(scenario.Position, scenario.Velocity),
	2: ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided),
	3: ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided, ecs.Default(scenario.Mass, 1)),
}

// Layout is version v's documented layout built from the scenario's
// components (this package's own test checks it against [Documented]). It
// panics for an unknown version.
func Layout(v int) *ecs.Layout {
	l, ok := layouts[v]
	if !ok {
		panic(fmt.Sprintf("systemtest: no documented layout for version %d", v))
	}
	return l
}

// CheckLayout asserts that l is version v's documented layout: exactly the
// documented components, each with the documented schema (name, size,
// alignment, and every field's path, kind, offset and count, with no field
// exempted from the non-finite check) and the documented default value.
func CheckLayout(t testing.TB, l *ecs.Layout, v int) {
	t.Helper()
	require.NotNil(t, l, "v%d: nil layout", v)
	want := Documented(v)
	var names, wantNames []string
	for _, c := range l.Components() {
		names = append(names, c.Name())
	}
	for _, d := range want {
		wantNames = append(wantNames, d.Schema.Name)
	}
	slices.Sort(names)
	require.Equal(t, wantNames, names, "v%d: components", v)
	for _, d := range want {
		var c *ecs.Component
		for _, have := range l.Components() {
			if have.Name() == d.Schema.Name {
				c = have
			}
		}
		assert.Equal(t, d.Schema, c.Schema(), "v%d: schema of %s", v, d.Schema.Name)
		assert.Equal(t, d.Default, l.DefaultBytes(c.ID()), "v%d: default of %s", v, d.Schema.Name)
	}
}

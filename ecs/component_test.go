package ecs

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type vec2 struct{ X, Y float32 }

type inner struct {
	A    int16
	Flag bool
}

type nested struct {
	Pos    vec2
	Slots  [2]inner
	Grid   [2][3]uint8
	HP     float64 `grove:"health,nonfinite"`
	_      [4]byte
	Regen  float32
	URLKey uint32
}

func TestRegisterDerivesSchema(t *testing.T) {
	c, err := Register[nested]("test.nested")
	require.NoError(t, err)
	s := c.Schema()
	assert.Equal(t, "test.nested", s.Name)
	assert.Equal(t, 48, s.Size)
	assert.Equal(t, 8, s.Align)
	var paths []string
	for _, f := range s.Fields {
		paths = append(paths, f.Path)
	}
	assert.Equal(t, []string{"pos.x", "pos.y", "slots[0].a", "slots[0].flag", "slots[1].a", "slots[1].flag", "grid", "health", "regen", "urlKey"}, paths)
	grid := s.Fields[6]
	assert.Equal(t, Field{Path: "grid", Kind: KindUint8, Offset: 16, Count: 6}, grid)
	assert.True(t, s.Fields[7].NonFinite, "the tag exempts the field")
	assert.Equal(t, KindFloat64, s.Fields[7].Kind)
	assert.Equal(t, 24, s.Fields[7].Offset)
	assert.Equal(t, 36, s.Fields[8].Offset, "the blank padding field is skipped, not listed")
	require.NoError(t, s.Validate())
}

func TestRegisterScalarAndArray(t *testing.T) {
	m, err := Register[float32]("test.mass")
	require.NoError(t, err)
	assert.Equal(t, []Field{{Path: "", Kind: KindFloat32, Offset: 0, Count: 1}}, m.Schema().Fields)
	a, err := Register[[3]int64]("test.arr")
	require.NoError(t, err)
	assert.Equal(t, []Field{{Path: "", Kind: KindInt64, Offset: 0, Count: 3}}, a.Schema().Fields)
}

func TestRegisterRejectsTypesWithPointersOrNoFixedSize(t *testing.T) {
	type withPtr struct{ P *int }
	type withString struct{ S string }
	type empty struct{}
	check := func(name string, err error) {
		t.Helper()
		assert.ErrorIs(t, err, ErrBadComponent, name)
	}
	_, err := Register[*int]("bad.ptr")
	check("pointer", err)
	_, err = Register[string]("bad.string")
	check("string", err)
	_, err = Register[[]float32]("bad.slice")
	check("slice", err)
	_, err = Register[map[int]int]("bad.map")
	check("map", err)
	_, err = Register[any]("bad.iface")
	check("interface", err)
	_, err = Register[chan int]("bad.chan")
	check("chan", err)
	_, err = Register[func()]("bad.func")
	check("func", err)
	_, err = Register[int]("bad.int")
	check("int", err)
	_, err = Register[uintptr]("bad.uintptr")
	check("uintptr", err)
	_, err = Register[complex64]("bad.complex")
	check("complex", err)
	_, err = Register[withPtr]("bad.withptr")
	check("struct with pointer", err)
	_, err = Register[withString]("bad.withstring")
	check("struct with string", err)
	_, err = Register[[2]withString]("bad.arrstring")
	check("array of structs with string", err)
	_, err = Register[empty]("bad.empty")
	check("zero size", err)
	for _, name := range []string{"", "1abc", "a b", "a/b", "é\x00"} {
		_, err = Register[float32](name)
		check("name "+name, err)
	}
	_, err = Register[vec2]("test.vecopt", AllowNonFinite("z"))
	check("unknown exemption", err)
}

func TestRegisterIdentityByName(t *testing.T) {
	type other struct{ A, B float32 }
	type wider struct{ X, Y float64 }
	a, err := Register[vec2]("test.ident")
	require.NoError(t, err)
	again, err := Register[vec2]("test.ident")
	require.NoError(t, err)
	assert.Same(t, a.Component, again.Component, "same name and type: same component")
	b, err := Register[other]("test.ident")
	require.NoError(t, err)
	assert.Equal(t, a.ID(), b.ID())
	assert.False(t, a.SameLayout(b.Component), "field paths differ")
	c, err := Register[struct{ X, Y float32 }]("test.ident")
	require.NoError(t, err)
	assert.True(t, a.SameLayout(c.Component), "another Go type with the same layout")
	d, err := Register[wider]("test.ident")
	require.NoError(t, err)
	assert.False(t, a.SameLayout(d.Component))
	assert.Equal(t, "test.ident", a.ID().Name())
	_, err = Register[vec2]("test.ident", AllowNonFinite("x"))
	assert.ErrorIs(t, err, ErrBadComponent, "same name and type with other options")
	// Position and velocity may share one Go type under two names.
	p := MustRegister[vec2]("test.p2")
	v := MustRegister[vec2]("test.v2")
	assert.NotEqual(t, p.ID(), v.ID())
	l := MustLayout(p, v)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	c2 := MakeColumns(l, 3)
	Column(&c2, p)[1] = vec2{1, 2}
	Column(&c2, v)[1] = vec2{3, 4}
	require.NoError(t, w.Append(&c2))
	got := w.Columns()
	assert.Equal(t, vec2{1, 2}, Column(&got, p)[1])
	assert.Equal(t, vec2{3, 4}, Column(&got, v)[1])
}

func TestSchemaValidate(t *testing.T) {
	good := Schema{Name: "s", Size: 8, Align: 4, Fields: []Field{{Path: "x", Kind: KindFloat32, Offset: 0, Count: 1}, {Path: "y", Kind: KindFloat32, Offset: 4, Count: 1}}}
	require.NoError(t, good.Validate())
	for name, mut := range map[string]func(s *Schema){
		"size 0":       func(s *Schema) { s.Size = 0 },
		"align 3":      func(s *Schema) { s.Align = 3 },
		"align 16":     func(s *Schema) { s.Align = 16 },
		"overlap":      func(s *Schema) { s.Fields[1].Offset = 2 },
		"outside":      func(s *Schema) { s.Fields[1].Offset = 8 },
		"bad kind":     func(s *Schema) { s.Fields[0].Kind = 99 },
		"count 0":      func(s *Schema) { s.Fields[0].Count = 0 },
		"misaligned":   func(s *Schema) { s.Fields[0].Kind = KindFloat64; s.Fields[0].Offset = 4 },
		"bad name":     func(s *Schema) { s.Name = "" },
		"repeated":     func(s *Schema) { s.Fields[1].Path = "x" },
		"size vs alig": func(s *Schema) { s.Size = 6 },
	} {
		s := good.clone()
		mut(&s)
		assert.ErrorIs(t, s.Validate(), ErrBadComponent, name)
	}
}

func TestKinds(t *testing.T) {
	for k := KindBool; k <= KindFloat64; k++ {
		back, ok := ParseKind(k.String())
		assert.True(t, ok)
		assert.Equal(t, k, back)
		assert.Positive(t, k.Size())
	}
	_, ok := ParseKind("int")
	assert.False(t, ok)
	assert.Equal(t, "Kind(99)", Kind(99).String())
}

func TestSetAndLayout(t *testing.T) {
	p := MustRegister[vec2]("test.p2")
	v := MustRegister[vec2]("test.v2")
	m := MustRegister[float32]("test.mass")
	s := SetOf(p, m)
	assert.True(t, s.Has(p.ID()))
	assert.False(t, s.Has(v.ID()))
	assert.Equal(t, 2, s.Len())
	assert.True(t, s.Union(SetOf(v)).Contains(s))
	assert.Equal(t, SetOf(m), s.Minus(SetOf(p)))
	assert.Equal(t, "none", Set{}.String())
	assert.Contains(t, s.String(), "test.mass")
	var big Set
	for i := range MaxComponents {
		big = big.With(ID(i))
	}
	assert.Equal(t, MaxComponents, big.Len())
	assert.Len(t, big.IDs(), MaxComponents)

	_, err := NewLayout(p, p)
	assert.ErrorIs(t, err, ErrBadLayout)
	_, err = NewLayout(p, nil)
	assert.ErrorIs(t, err, ErrBadLayout)
	_, err = NewLayout(Comp[vec2]{})
	assert.ErrorIs(t, err, ErrBadLayout)
	l := MustLayout(m, Default(p, vec2{1, 2}))
	assert.Equal(t, 2, l.Len())
	assert.True(t, l.Has(p))
	assert.False(t, l.Has(v))
	c := MakeColumns(l, 3)
	assert.Equal(t, []vec2{{1, 2}, {1, 2}, {1, 2}}, Column(&c, p))
	assert.Equal(t, []float32{0, 0, 0}, Column(&c, m))
	assert.True(t, l.Same(MustLayout(p, m)), "defaults do not matter for sameness")
	assert.False(t, l.Same(MustLayout(p)))
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrBadComponent, ErrBadLayout, ErrLayoutMismatch, ErrMissingColumns, ErrColumnLength, ErrBadRows, ErrConvert}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b))
		}
	}
}

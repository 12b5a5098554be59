package ecs

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ID is a component's index in the process-wide table of component names: the
// bit that stands for it in a [Set]. Every component registered under the same
// name has the same ID, whatever its Go type.
type ID uint8

// MaxComponents is how many distinct component names a process can register:
// the size of a [Set], arche's limit of 256 component types.
const MaxComponents = 256

// Component is a registered component: a name, the Go type that stores it and
// the [Schema] derived from that type. Components are created by [Register]
// and are immutable; a *Component is safe to share between goroutines.
//
// Two components with the same name (registered with different Go types, for
// example by two versions) have the same [ID]. They are interchangeable when
// their layouts match ([Component.SameLayout]): the engine then moves their
// bytes between worlds as they are.
type Component struct {
	id     ID
	shape  int // equal for every component of this name with an equal layout
	typ    reflect.Type
	store  reflect.Type // the type arche stores: distinct per component
	schema Schema
	// checked are the float fields the non-finite check scans; allF32 says
	// the whole value is float32 fields, all checked, so a column is one
	// dense []float32 for the SIMD scan.
	checked []Field
	allF32  bool
}

// Comp is a typed handle of a [Component] whose Go type is T: it gives typed,
// zero-copy access to columns ([Column]) and to query rows ([Get]). It embeds
// the *Component, so it can be used wherever a [Spec] is expected.
type Comp[T any] struct{ *Component }

// ID is the component's bit in a [Set].
func (c *Component) ID() ID { return c.id }

// Name is the component's name, its identity across versions.
func (c *Component) Name() string { return c.schema.Name }

// Type is the Go type the component was registered with.
func (c *Component) Type() reflect.Type { return c.typ }

// Size is the size of one value in bytes.
func (c *Component) Size() int { return c.schema.Size }

// Schema returns a copy of the component's schema.
func (c *Component) Schema() Schema { return c.schema.clone() }

// SameLayout reports whether o has the same name and layout as c (same size,
// alignment and fields), so that its bytes can stand for c's.
func (c *Component) SameLayout(o *Component) bool {
	return c == o || (c != nil && o != nil && c.id == o.id && c.shape == o.shape)
}

// String is the component's name.
func (c *Component) String() string { return c.schema.Name }

func (c *Component) spec() spec { return spec{c: c} }

// RegisterOption configures [Register].
type RegisterOption func(*regOptions) error

type regOptions struct {
	nonFinite []string
}

// AllowNonFinite exempts float fields, by dotted path ("" for a scalar
// component), from the engine's non-finite state check: use it for a field
// that may legitimately hold ±Inf or NaN. The same can be said with the
// struct tag `grove:",nonfinite"`.
func AllowNonFinite(paths ...string) RegisterOption {
	return func(o *regOptions) error {
		o.nonFinite = append(o.nonFinite, paths...)
		return nil
	}
}

// registry is the process-wide table of component names and registered
// components.
var registry struct {
	mu     sync.Mutex
	ids    map[string]ID
	names  []string
	shapes map[ID][]Schema         // distinct layouts per name
	comps  map[regKey][]*Component // by name and Go type
}

type regKey struct {
	name string
	typ  reflect.Type
}

// Register registers T as a component called name and derives its schema.
//
// T must be a fixed-size type without pointers: bool, a sized integer
// (int8..int64, uint8..uint64), float32, float64, or an array or struct of
// those (nested to any depth), with a size above zero. int, uint and uintptr
// are refused because their size depends on the platform, and so are
// pointers, strings, slices, maps, interfaces, channels and funcs. Errors
// wrap [ErrBadComponent].
//
// A name is a letter followed by letters, digits, '_', '-' or '.'. Registering
// the same name and type again returns an equal handle (options must agree).
// The same name with another type is allowed: the two are the same
// component when their layouts match, and the engine refuses mismatched
// layouts of one name unless a migration converts between them.
//
// Register is safe for concurrent use.
func Register[T any](name string, opts ...RegisterOption) (Comp[T], error) {
	c, err := register(reflect.TypeFor[T](), name, opts)
	return Comp[T]{c}, err
}

// MustRegister is [Register] for package-level variables: it panics on error.
func MustRegister[T any](name string, opts ...RegisterOption) Comp[T] {
	c, err := Register[T](name, opts...)
	if err != nil {
		panic(err)
	}
	return c
}

func register(t reflect.Type, name string, opts []RegisterOption) (*Component, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	var o regOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	s, err := deriveSchema(name, t)
	if err != nil {
		return nil, err
	}
	if err := markNonFinite(&s, o.nonFinite); err != nil {
		return nil, err
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	key := regKey{name, t}
	for _, c := range registry.comps[key] {
		if c.schema.Equal(s) && sameMarks(c.schema, s) {
			return c, nil
		}
	}
	if len(registry.comps[key]) > 0 {
		return nil, fmt.Errorf("%w: %q registered again with other options", ErrBadComponent, name)
	}
	id, ok := registry.ids[name]
	if !ok {
		if len(registry.names) == MaxComponents {
			return nil, fmt.Errorf("%w: more than %d component names", ErrBadComponent, MaxComponents)
		}
		id = ID(len(registry.names))
		if registry.ids == nil {
			registry.ids = map[string]ID{}
			registry.shapes = map[ID][]Schema{}
			registry.comps = map[regKey][]*Component{}
		}
		registry.ids[name] = id
		registry.names = append(registry.names, name)
	}
	c := &Component{id: id, typ: t, schema: s, shape: -1}
	for i, have := range registry.shapes[id] {
		if have.Equal(s) {
			c.shape = i
		}
	}
	if c.shape < 0 {
		c.shape = len(registry.shapes[id])
		registry.shapes[id] = append(registry.shapes[id], s.clone())
	}
	c.store = storageType(c)
	c.checked, c.allF32 = floatPlan(&s)
	registry.comps[key] = append(registry.comps[key], c)
	return c, nil
}

// Name returns the name registered under id, or "" if there is none.
func (id ID) Name() string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if int(id) < len(registry.names) {
		return registry.names[id]
	}
	return ""
}

func checkName(name string) error {
	r, _ := utf8.DecodeRuneInString(name)
	if name == "" || !unicode.IsLetter(r) {
		return fmt.Errorf("%w: name %q must start with a letter", ErrBadComponent, name)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.", r) {
			return fmt.Errorf("%w: name %q: character %q", ErrBadComponent, name, r)
		}
	}
	return nil
}

// storageType is the type arche stores the component as: raw bytes with the
// component's alignment, in a struct whose field name makes it distinct per
// component (arche identifies components by Go type, and two components may
// share one Go type, such as a Vec2 position and velocity).
func storageType(c *Component) reflect.Type {
	var align reflect.Type
	switch c.schema.Align {
	case 1:
		align = reflect.TypeFor[[0]uint8]()
	case 2:
		align = reflect.TypeFor[[0]uint16]()
	case 4:
		align = reflect.TypeFor[[0]uint32]()
	default:
		align = reflect.TypeFor[[0]uint64]()
	}
	return reflect.StructOf([]reflect.StructField{
		{Name: "Align", Type: align},
		{Name: fmt.Sprintf("C%d_%d", c.id, c.shape), Type: reflect.ArrayOf(c.schema.Size, reflect.TypeFor[byte]())},
	})
}

// floatPlan lists the float fields the non-finite check scans, and reports
// whether the value is nothing but checked float32 fields.
func floatPlan(s *Schema) (checked []Field, allF32 bool) {
	allF32 = true
	covered := 0
	for _, f := range s.Fields {
		isFloat := f.Kind == KindFloat32 || f.Kind == KindFloat64
		if isFloat && !f.NonFinite {
			checked = append(checked, f)
		}
		if f.Kind != KindFloat32 || f.NonFinite {
			allF32 = false
		}
		covered += f.Kind.Size() * f.Count
	}
	return checked, allF32 && covered == s.Size && len(checked) > 0
}

func sameMarks(a, b Schema) bool {
	for i := range a.Fields {
		if a.Fields[i].NonFinite != b.Fields[i].NonFinite {
			return false
		}
	}
	return true
}

func markNonFinite(s *Schema, paths []string) error {
	for _, p := range paths {
		found := false
		for i := range s.Fields {
			f := &s.Fields[i]
			if f.Path == p && (f.Kind == KindFloat32 || f.Kind == KindFloat64) {
				f.NonFinite, found = true, true
			}
		}
		if !found {
			return fmt.Errorf("%w: %s: no float field %q to exempt", ErrBadComponent, s.Name, p)
		}
	}
	return nil
}

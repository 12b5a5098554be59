package ecs

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

// Spec names a component for [NewLayout] and [SetOf]: a *Component or a
// [Comp] (whose default value is the zero value), or [Default] for another
// default.
type Spec interface{ spec() spec }

type spec struct {
	c   *Component
	def []byte // nil: zero
}

type defaultSpec spec

func (d defaultSpec) spec() spec { return spec(d) }

// Default declares component c with default value v in a layout: entities
// that migrate into a version whose layout adds c start with v.
func Default[T any](c Comp[T], v T) Spec {
	b := bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v)))
	return defaultSpec{c: c.Component, def: b}
}

// Layout is the set of components a version's world holds, with each one's
// default value. It is immutable and safe to share.
type Layout struct {
	set   Set
	comps []*Component // ascending ID
	defs  [][]byte     // default value of comps[i]
	index [MaxComponents]int16
	zero  bool // every default is all zero bytes
}

// NewLayout returns the layout of the given components. It fails, wrapping
// [ErrBadLayout], for a nil component, a name listed twice, or more than
// 255 components (arche's 256 types, one of them the [Key]).
func NewLayout(specs ...Spec) (*Layout, error) {
	l := &Layout{zero: true}
	for i := range l.index {
		l.index[i] = -1
	}
	for _, s := range specs {
		if s == nil {
			return nil, fmt.Errorf("%w: nil component", ErrBadLayout)
		}
		sp := s.spec()
		if sp.c == nil {
			return nil, fmt.Errorf("%w: nil component", ErrBadLayout)
		}
		if l.set.Has(sp.c.id) {
			return nil, fmt.Errorf("%w: %q listed twice", ErrBadLayout, sp.c.Name())
		}
		l.set = l.set.With(sp.c.id)
	}
	if l.set.Len() > MaxComponents-1 {
		return nil, fmt.Errorf("%w: %d components, at most %d", ErrBadLayout, l.set.Len(), MaxComponents-1)
	}
	l.comps = make([]*Component, 0, len(specs))
	l.defs = make([][]byte, 0, len(specs))
	for _, id := range l.set.IDs() {
		for _, s := range specs {
			sp := s.spec()
			if sp.c.id != id {
				continue
			}
			if sp.def != nil && len(sp.def) != sp.c.Size() {
				return nil, fmt.Errorf("%w: default of %q has %d bytes, want %d", ErrBadLayout, sp.c.Name(), len(sp.def), sp.c.Size())
			}
			def := make([]byte, sp.c.Size())
			copy(def, sp.def)
			l.zero = l.zero && allZero(def)
			l.index[id] = int16(len(l.comps))
			l.comps = append(l.comps, sp.c)
			l.defs = append(l.defs, def)
		}
	}
	return l, nil
}

// MustLayout is [NewLayout] for package-level variables: it panics on error.
func MustLayout(specs ...Spec) *Layout {
	l, err := NewLayout(specs...)
	if err != nil {
		panic(err)
	}
	return l
}

// Set is the layout's set of components.
func (l *Layout) Set() Set { return l.set }

// Len is the number of components.
func (l *Layout) Len() int { return len(l.comps) }

// Components lists the components in ascending ID order. The slice is a
// copy.
func (l *Layout) Components() []*Component { return append([]*Component(nil), l.comps...) }

// Component returns the layout's component with the given ID, or nil.
func (l *Layout) Component(id ID) *Component {
	if i := l.index[id]; i >= 0 {
		return l.comps[i]
	}
	return nil
}

// ComponentNamed returns the layout's component with the given name, or
// nil.
func (l *Layout) ComponentNamed(name string) *Component {
	for _, c := range l.comps {
		if c.schema.Name == name {
			return c
		}
	}
	return nil
}

// Has reports whether the layout holds c with c's layout.
func (l *Layout) Has(c Spec) bool {
	sc := c.spec().c
	return sc != nil && l.Component(sc.id).SameLayout(sc)
}

// DefaultBytes returns a copy of the default value of the component with
// the given ID, or nil if the layout lacks it.
func (l *Layout) DefaultBytes(id ID) []byte {
	if i := l.index[id]; i >= 0 {
		return bytes.Clone(l.defs[i])
	}
	return nil
}

// Same reports whether l and o hold the same components with the same
// layouts (defaults may differ), so that a [Columns] of one can be appended
// to a [World] of the other as it is.
func (l *Layout) Same(o *Layout) bool {
	if l == o {
		return true
	}
	if l == nil || o == nil || l.set != o.set {
		return false
	}
	for i, c := range l.comps {
		if !c.SameLayout(o.comps[i]) {
			return false
		}
	}
	return true
}

// String lists the components, for example "position|velocity".
func (l *Layout) String() string {
	if l == nil {
		return "<nil layout>"
	}
	names := make([]string, len(l.comps))
	for i, c := range l.comps {
		names[i] = c.Name()
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

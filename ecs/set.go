package ecs

import (
	"math/bits"
	"strings"
)

// Set is a set of components by [ID]: a bitset of 256 bits, arche's limit of
// component types. The zero value is the empty set.
type Set [MaxComponents / 64]uint64

// SetOf returns the set of the given components.
func SetOf(specs ...Spec) Set {
	var s Set
	for _, sp := range specs {
		if c := sp.spec().c; c != nil {
			s = s.With(c.id)
		}
	}
	return s
}

// With returns s plus id.
func (s Set) With(id ID) Set {
	s[id>>6] |= 1 << (id & 63)
	return s
}

// Has reports whether id is in s.
func (s Set) Has(id ID) bool { return s[id>>6]&(1<<(id&63)) != 0 }

// Contains reports whether every member of o is in s.
func (s Set) Contains(o Set) bool {
	for i := range s {
		if o[i]&^s[i] != 0 {
			return false
		}
	}
	return true
}

// Union is s ∪ o.
func (s Set) Union(o Set) Set {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

// Minus is s \ o.
func (s Set) Minus(o Set) Set {
	for i := range s {
		s[i] &^= o[i]
	}
	return s
}

// Len is the number of members.
func (s Set) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether s has no members.
func (s Set) IsEmpty() bool { return s == Set{} }

// IDs lists the members in ascending order.
func (s Set) IDs() []ID {
	out := make([]ID, 0, s.Len())
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, ID(i*64+b))
			w &= w - 1
		}
	}
	return out
}

// String lists the members' names in ID order, joined by '|', for example
// "position|velocity"; the empty set is "none".
func (s Set) String() string {
	if s.IsEmpty() {
		return "none"
	}
	ids := s.IDs()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Name()
		if parts[i] == "" {
			parts[i] = "?"
		}
	}
	return strings.Join(parts, "|")
}

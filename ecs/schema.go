package ecs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Kind is the kind of a scalar field in a [Schema].
type Kind uint8

// The scalar kinds a component can be made of.
const (
	KindBool Kind = iota + 1
	KindInt8
	KindInt16
	KindInt32
	KindInt64
	KindUint8
	KindUint16
	KindUint32
	KindUint64
	KindFloat32
	KindFloat64
)

var kindNames = [...]string{"", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"}

var kindSizes = [...]int{0, 1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8}

// String is the Go name of the kind, for example "float32".
func (k Kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Size is the size of one value of the kind in bytes (0 for an unknown kind).
func (k Kind) Size() int {
	if int(k) < len(kindSizes) {
		return kindSizes[k]
	}
	return 0
}

// ParseKind returns the kind named s ("float32", ...), or false.
func ParseKind(s string) (Kind, bool) {
	for k := KindBool; k <= KindFloat64; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

var kindOf = map[reflect.Kind]Kind{
	reflect.Bool: KindBool, reflect.Int8: KindInt8, reflect.Int16: KindInt16, reflect.Int32: KindInt32,
	reflect.Int64: KindInt64, reflect.Uint8: KindUint8, reflect.Uint16: KindUint16, reflect.Uint32: KindUint32,
	reflect.Uint64: KindUint64, reflect.Float32: KindFloat32, reflect.Float64: KindFloat64,
}

// Field is one scalar field of a component, or a run of Count scalars of the
// same kind laid out back to back (an array of scalars).
type Field struct {
	// Path is the field's dotted path inside the component, for example
	// "pos.x" or "slots[2].id"; "" is the value of a scalar component. Names
	// come from the struct tag `grove:"name"`, else from the Go field name
	// with its leading capitals lowered ("HP" → "hp", "RegenRate" →
	// "regenRate").
	Path string
	// Kind is the scalar kind.
	Kind Kind
	// Offset is the byte offset of the first scalar in the component.
	Offset int
	// Count is the number of scalars (1, or an array's length).
	Count int
	// NonFinite exempts a float field from the engine's non-finite check.
	NonFinite bool
}

// Schema describes a component's memory layout without its Go type: what a
// snapshot carries so that a converter can read the data without the game's
// source. Two schemas describe the same layout when [Schema.Equal] says so.
type Schema struct {
	Name   string
	Size   int
	Align  int
	Fields []Field
}

// Equal reports whether s and o describe the same layout: the same name,
// size, alignment and fields (paths, kinds, offsets and counts). Non-finite
// exemptions do not count.
func (s Schema) Equal(o Schema) bool {
	return s.Name == o.Name && s.Size == o.Size && s.Align == o.Align &&
		slices.EqualFunc(s.Fields, o.Fields, func(a, b Field) bool {
			return a.Path == b.Path && a.Kind == b.Kind && a.Offset == b.Offset && a.Count == b.Count
		})
}

// String is a compact description, for example
// "position{x float32 @0, y float32 @4} size 8 align 4".
func (s Schema) String() string {
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('{')
	for i, f := range s.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		if f.Path != "" {
			b.WriteString(f.Path + " ")
		}
		b.WriteString(f.Kind.String())
		if f.Count != 1 {
			fmt.Fprintf(&b, "[%d]", f.Count)
		}
		fmt.Fprintf(&b, " @%d", f.Offset)
	}
	fmt.Fprintf(&b, "} size %d align %d", s.Size, s.Align)
	return b.String()
}

// Validate checks that the schema is self-consistent: a valid name, a size
// above zero that is a multiple of a power-of-two alignment of at most 8,
// and fields of known kinds that are aligned, inside the value, in
// ascending order and not overlapping. Decoders call it on schemas read
// from files.
func (s Schema) Validate() error {
	if err := checkName(s.Name); err != nil {
		return err
	}
	if s.Size <= 0 || s.Align <= 0 || s.Align > 8 || s.Align&(s.Align-1) != 0 || s.Size%s.Align != 0 {
		return fmt.Errorf("%w: %s: size %d align %d", ErrBadComponent, s.Name, s.Size, s.Align)
	}
	end := 0
	seen := map[string]bool{}
	for _, f := range s.Fields {
		sz := f.Kind.Size()
		switch {
		case sz == 0:
			return fmt.Errorf("%w: %s.%s: kind %v", ErrBadComponent, s.Name, f.Path, f.Kind)
		case f.Count <= 0 || f.Offset < end || f.Offset%sz != 0 || f.Offset+sz*f.Count > s.Size:
			return fmt.Errorf("%w: %s.%s: offset %d count %d", ErrBadComponent, s.Name, f.Path, f.Offset, f.Count)
		case seen[f.Path]:
			return fmt.Errorf("%w: %s: field %q twice", ErrBadComponent, s.Name, f.Path)
		}
		seen[f.Path] = true
		end = f.Offset + sz*f.Count
	}
	return nil
}

func (s Schema) clone() Schema {
	s.Fields = slices.Clone(s.Fields)
	return s
}

// deriveSchema walks t by reflection.
func deriveSchema(name string, t reflect.Type) (Schema, error) {
	s := Schema{Name: name, Size: int(t.Size()), Align: t.Align()}
	if s.Size == 0 {
		return s, fmt.Errorf("%w: %s: %v has size 0 (every entity of a world has every component, so a tag carries nothing)", ErrBadComponent, name, t)
	}
	if err := walk(&s, t, "", 0); err != nil {
		return s, fmt.Errorf("%w: %s: %v: %w", ErrBadComponent, name, t, err)
	}
	return s, nil
}

func walk(s *Schema, t reflect.Type, path string, off int) error {
	if k, ok := kindOf[t.Kind()]; ok {
		s.Fields = append(s.Fields, Field{Path: path, Kind: k, Offset: off, Count: 1})
		return nil
	}
	switch t.Kind() {
	case reflect.Array:
		return walkArray(s, t, path, off)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" {
				continue // padding
			}
			name, nonFinite := fieldName(f)
			p := name
			if path != "" {
				p = path + "." + name
			}
			mark := len(s.Fields)
			if err := walk(s, f.Type, p, off+int(f.Offset)); err != nil {
				return err
			}
			if nonFinite {
				for j := mark; j < len(s.Fields); j++ {
					s.Fields[j].NonFinite = true
				}
			}
		}
		return nil
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		return fmt.Errorf("field %q: %v has a platform-dependent size; use a sized integer", path, t)
	}
	return fmt.Errorf("field %q: %v is not a fixed-size value without pointers", path, t)
}

func walkArray(s *Schema, t reflect.Type, path string, off int) error {
	elem, n := t.Elem(), t.Len()
	for elem.Kind() == reflect.Array {
		n *= elem.Len()
		elem = elem.Elem()
	}
	if k, ok := kindOf[elem.Kind()]; ok {
		if n > 0 {
			s.Fields = append(s.Fields, Field{Path: path, Kind: k, Offset: off, Count: n})
		}
		return nil
	}
	size := int(t.Elem().Size())
	for i := range t.Len() {
		if err := walk(s, t.Elem(), fmt.Sprintf("%s[%d]", path, i), off+i*size); err != nil {
			return err
		}
	}
	return nil
}

// fieldName is the tag's name or the Go name with its leading capitals
// lowered; the tag option "nonfinite" exempts the field's floats.
func fieldName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("grove")
	name, opts, _ := strings.Cut(tag, ",")
	nonFinite := false
	for _, o := range strings.Split(opts, ",") {
		nonFinite = nonFinite || o == "nonfinite"
	}
	if name == "" {
		name = lowerLead(f.Name)
	}
	return name, nonFinite
}

func lowerLead(s string) string {
	r := []rune(s)
	i := 0
	for i < len(r) && unicode.IsUpper(r[i]) {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(r):
		// "X" → "x", "HP" → "hp", "Regen" → "regen"
	default:
		i-- // "URLPath" → "urlPath"
	}
	for j := range i {
		r[j] = unicode.ToLower(r[j])
	}
	return string(r)
}

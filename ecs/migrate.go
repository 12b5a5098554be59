package ecs

import (
	"bytes"
	"fmt"
	"strings"
)

// Migration declares that entities can move from version From to version
// To. The step itself is derived from the two versions' layouts:
// components To has and From lacks are added with To's default values,
// components From has and To lacks are dropped, and components both have
// with the same layout are copied bit for bit.
//
// Convert, if set, handles real transformations: a renamed field, a change
// of units, one component split in two, or one name whose layout differs
// between the versions. It runs after the derived step, with src holding the
// rows in From's layout and dst the same rows in To's layout; it may write
// dst's columns but must not change keys, rows or src. An error or a panic
// fails the move, which then changes nothing.
type Migration struct {
	From, To int
	Convert  func(src, dst *Columns) error
}

// CheckStep checks that a step from layout from to layout to can be derived:
// every component name both hold must have the same layout in both, unless
// a Convert function handles it (hasConvert). The error wraps
// [ErrLayoutMismatch] and names the components.
func CheckStep(from, to *Layout, hasConvert bool) error {
	if hasConvert {
		return nil
	}
	var bad []string
	for _, c := range to.comps {
		if o := from.Component(c.id); o != nil && !o.SameLayout(c) {
			bad = append(bad, fmt.Sprintf("%s (%v vs %v)", c.Name(), o.schema, c.schema))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrLayoutMismatch, strings.Join(bad, "; "))
	}
	return nil
}

// MigrateRows appends src's rows to dst, converted to dst's layout by the
// derived step and then by convert (nil: none). On error dst is left as it
// was and the error wraps [ErrConvert]; a panic in convert is recovered into
// such an error.
func MigrateRows(dst, src *Columns, convert func(src, dst *Columns) error) error {
	old := dst.Len()
	dst.AppendAll(src)
	if convert == nil {
		return nil
	}
	view := dst.Slice(old, dst.Len())
	if err := runConvert(convert, src, &view); err != nil {
		dst.truncate(old)
		return err
	}
	if !bytes.Equal(KeyBytes(view.Keys), KeyBytes(src.Keys)) || view.Len() != src.Len() {
		dst.truncate(old)
		return fmt.Errorf("%w: the conversion changed the keys", ErrConvert)
	}
	return nil
}

func runConvert(convert func(src, dst *Columns) error, src, dst *Columns) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrConvert, r)
		}
	}()
	if err := convert(src, dst); err != nil {
		return fmt.Errorf("%w: %w", ErrConvert, err)
	}
	return nil
}

package ecs

// Backup is a copy of one world's state from before a frame, kept so that a
// failing frame can be undone.
//
// Taking a backup is cheap between structural changes: keys and the columns
// nobody writes cannot have changed, so only the columns in the writes mask
// are copied again. After a structural change (or for another world) the
// whole world is copied. A Backup is not safe for concurrent use.
type Backup struct {
	cols  Columns
	epoch uint64
	valid bool
}

// Take records the world's current state. writes is the set of columns the
// world's systems may change (a [Schedule]'s Writes); it returns the number of
// bytes copied.
func (b *Backup) Take(w *World, writes Mask) int {
	c := w.Columns()
	if !b.valid || b.epoch != w.epoch {
		b.cols.Reset(w.mask)
		b.cols.AppendAll(&c)
		b.epoch, b.valid = w.epoch, true
		return b.cols.Bytes()
	}
	n := 0
	if writes.Has(MaskPosition) {
		n += copy(b.cols.Position, c.Position) * 8
	}
	if writes.Has(MaskVelocity) && w.mask.Has(MaskVelocity) {
		n += copy(b.cols.Velocity, c.Velocity) * 8
	}
	if writes.Has(MaskCollided) && w.mask.Has(MaskCollided) {
		n += copy(b.cols.Collided, c.Collided)
	}
	if writes.Has(MaskMass) && w.mask.Has(MaskMass) {
		n += copy(b.cols.Mass, c.Mass) * 4
	}
	return n
}

// Valid reports whether the backup holds a state of w as of w's current
// structure (no entity added or removed since it was taken).
func (b *Backup) Valid(w *World) bool { return b.valid && b.epoch == w.epoch }

// Columns is the backed-up state. It stays valid until the next Take or
// Clear; callers must not modify it.
func (b *Backup) Columns() *Columns { return &b.cols }

// Clear forgets the state, keeping the memory for reuse.
func (b *Backup) Clear() {
	b.cols.Reset(b.cols.Mask)
	b.valid = false
}

// Bytes is the memory the backup holds.
func (b *Backup) Bytes() int { return b.cols.Bytes() }

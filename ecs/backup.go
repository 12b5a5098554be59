package ecs

// Backup is a copy of one world's state from before a frame, kept so that a
// failing frame can be undone.
//
// Taking a backup is cheap between structural changes: keys and the
// components nobody writes cannot have changed, so only the components in
// the writes set are copied again. After a structural change (or for another
// world) the whole world is copied. A Backup is not safe for concurrent use.
type Backup struct {
	cols  Columns
	epoch uint64
	valid bool
	copy  copier
}

// Take records the world's current state. writes is the set of components
// the world's systems may change (a [Schedule]'s Writes); it returns the
// number of bytes copied.
func (b *Backup) Take(w *World, writes Set) int {
	c := w.Columns()
	if !b.valid || b.epoch != w.epoch {
		b.cols.Reset(w.layout)
		b.cols.grow(c.Len())
		b.epoch, b.valid = w.epoch, true
		return copyColumns(&b.copy, &b.cols, &c, w.layout.set, true, w.runner)
	}
	return copyColumns(&b.copy, &b.cols, &c, writes, false, w.runner)
}

// Valid reports whether the backup holds a state of w as of w's current
// structure (no entity added or removed since it was taken).
func (b *Backup) Valid(w *World) bool { return b.valid && b.epoch == w.epoch }

// Invalidate makes the next Take copy the whole world, as after a
// structural change: use it when something other than the schedule wrote
// the world.
func (b *Backup) Invalidate() { b.valid = false }

// Columns is the backed-up state. It stays valid until the next Take or
// Clear; callers must not modify it.
func (b *Backup) Columns() *Columns { return &b.cols }

// Forget marks the backup invalid but leaves its columns as they are, for a
// caller that goes on reading them (until the next Take or Clear).
func (b *Backup) Forget() { b.valid = false }

// Clear forgets the state, keeping the memory for reuse.
func (b *Backup) Clear() {
	b.cols.Reset(b.cols.layout)
	b.valid = false
}

// MemoryBytes is the memory the backup holds.
func (b *Backup) MemoryBytes() int { return b.cols.MemoryBytes() }

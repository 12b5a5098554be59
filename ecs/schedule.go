package ecs

// System is one step of a version's frame: a name, the columns it reads and
// writes, and a function over the world. Run must only change the columns in
// Writes, and must not make structural changes.
type System struct {
	Name   string
	Reads  Mask
	Writes Mask
	Run    func(w *World, dt float32) error
}

// Schedule is the ordered list of a version's systems; they run in this order
// every frame.
type Schedule []System

// Writes is the union of the columns the schedule's systems write.
func (s Schedule) Writes() Mask {
	var m Mask
	for _, sys := range s {
		m |= sys.Writes
	}
	return m
}

// Logic is one loaded instance of a version's game logic. An instance is
// created per load and may keep per-world buffers; it is only used from the
// goroutine that drives the engine.
type Logic interface {
	// Schedule returns the systems to run each frame, in order. It is called
	// once per load.
	Schedule() Schedule
}

// Migration converts entity state from one version's layout to another's.
// Apply receives rows holding exactly the From version's columns and must
// leave them holding the To version's columns (adding columns with their
// initial values, dropping the ones To does not have). It must not reorder,
// add or remove rows.
type Migration struct {
	From, To int
	Apply    func(c *Columns) error
}

// AddColumn adds the columns of m that c lacks, filled with zero values for
// every row. Columns already present are left as they are.
func (c *Columns) AddColumn(m Mask) {
	n := c.Len()
	add := m &^ c.Mask
	c.Mask |= add
	if add.Has(MaskPosition) {
		c.Position = fill(c.Position[:0], n, Position{})
	}
	if add.Has(MaskVelocity) {
		c.Velocity = fill(c.Velocity[:0], n, Velocity{})
	}
	if add.Has(MaskCollided) {
		c.Collided = fill(c.Collided[:0], n, false)
	}
	if add.Has(MaskMass) {
		c.Mass = fill(c.Mass[:0], n, 0)
	}
}

// DropColumn removes the columns of m from c's mask and truncates them,
// keeping their memory for reuse.
func (c *Columns) DropColumn(m Mask) {
	c.Mask &^= m
	if m.Has(MaskPosition) {
		c.Position = c.Position[:0]
	}
	if m.Has(MaskVelocity) {
		c.Velocity = c.Velocity[:0]
	}
	if m.Has(MaskCollided) {
		c.Collided = c.Collided[:0]
	}
	if m.Has(MaskMass) {
		c.Mass = c.Mass[:0]
	}
}

// FillMass sets every row's mass to m. The mass column must be present.
func (c *Columns) FillMass(m Mass) {
	for i := range c.Mass {
		c.Mass[i] = m
	}
}

func fill[T any](dst []T, n int, v T) []T {
	if cap(dst) < n {
		dst = make([]T, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = v
	}
	return dst
}

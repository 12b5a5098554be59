package ecs

// System is one step of a version's frame: a name, the components it reads
// and writes, and a function over a [View] of the world. Run must change
// only the components in Writes. The View cannot make structural changes:
// entities are created, moved and removed by the engine at frame
// boundaries only.
type System struct {
	Name   string
	Reads  Set
	Writes Set
	Run    func(v *View, dt float32) error
}

// Schedule is the ordered list of a version's systems; they run in this order
// every frame.
type Schedule []System

// Writes is the union of the components the schedule's systems write.
func (s Schedule) Writes() Set {
	var m Set
	for _, sys := range s {
		m = m.Union(sys.Writes)
	}
	return m
}

// Logic is one loaded instance of a version's game logic. An instance is
// created per load and may keep per-world buffers; the engine calls it from
// one goroutine at a time.
type Logic interface {
	// Schedule returns the systems to run each frame, in order. It is called
	// once per load.
	Schedule() Schedule
}

// Runner runs work in parallel; the engine's worker pool is one. A nil
// Runner runs everything serially on the caller.
type Runner interface {
	// Workers is the number of goroutines that may run tasks at once.
	Workers() int
	// Run calls fn(0..tasks-1), some of them in parallel, and returns when
	// all are done; a panic in a task comes back as an error.
	Run(tasks int, fn func(task int)) error
	// For splits [0, n) into contiguous chunks whose bounds are multiples of
	// grain and calls fn on each, some in parallel; small n runs serially.
	For(n, grain int, fn func(lo, hi int)) error
}

package versioning

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// module is one named module: its registered versions, the loaded ones, the
// traffic split and the location of every entity.
type module struct {
	id       uint64
	name     string
	deps     []string
	gcAfter  time.Duration // 0: no automatic GC
	fallback int           // explicit rollback target, 0: default rule
	versions map[int]*version
	nums     []int           // registered version numbers, ascending
	weights  map[int]float64 // only loaded, non-failed versions; sums to 1
	keys     keyTable
	pins     map[ecs.Key]int
	dirty    bool // the split must be re-applied at the next frame boundary
	frames   uint64
	missed   uint64 // frames in which some entity was not served
	lost     uint64 // entities removed because their state could not be restored
	stage    []*ecs.Columns
	scratch  map[*ecs.Layout]*ecs.World // worlds for serving rolled-back entities
	overhead int                        // memory of the key table, staging and scratch
	policy   FailurePolicy
	inject   []injection // failures to inject in the next frame
	cmds     []command   // entity commands for the next frame boundary
	payloads []byte      // their payloads, one after the other
	// unrecorded is the index in cmds of the first command not yet handed
	// to the recorder (see Engine.recordLater), when the engine's pending
	// module is this one.
	unrecorded int
	commands   map[string]CommandFunc
	last       []FrameStat // what the last frame did, per stepped version
	// loadedList is the loaded version numbers, ascending (see relist).
	loadedList []int
	pl         *plan                 // the routing plan, reused
	spare      map[int]float64       // the previous weights' map, reused
	next       map[int]float64       // the weights being checked, reused
	paths      map[[2]int]pathResult // migration paths; reset when a version registers
	parts      []rollbackPart        // a rollback's parts, reused
	cmdView    ecs.Columns           // a command's entity row (a view), reused
	cmdBefore  ecs.Columns           // that row before the command, reused
	results    []stepResult          // a frame's step results, reused (stepModule)
}

// moduleIDs hands out module identities that are never reused, so a
// snapshot can tell which module it last held without keeping it alive.
var moduleIDs atomic.Uint64

func newModule(name string) *module {
	return &module{id: moduleIDs.Add(1), name: name, versions: map[int]*version{}, weights: map[int]float64{},
		pins: map[ecs.Key]int{}, scratch: map[*ecs.Layout]*ecs.World{}, commands: map[string]CommandFunc{}}
}

// version is one registered version.
type version struct {
	v       Version
	num     int
	layout  *ecs.Layout
	migs    []ecs.Migration
	loading bool
	failed  error   // non-nil: failed until loaded or reloaded by hand
	l       *loaded // nil: not loaded
}

// loaded is one loaded version's instance and world.
type loaded struct {
	logic      ecs.Logic
	sched      ecs.Schedule
	writes     ecs.Set
	world      *ecs.World
	backup     ecs.Backup
	loadedAt   time.Duration // simulated
	loadTime   time.Duration
	idle       bool
	idleFrom   time.Duration // simulated time it became idle
	sinceBak   int           // frames since the last backup
	bakFrame   uint64        // frame the backup was taken before (0: none)
	checksum   uint32
	stats      stepStats
	custom     map[string]float64 // the logic's own metrics, refilled after each step
	memLogic   int                // the logic's own memory (MemoryReporter)
	memWorld   int                // the world's memory, measured after structural changes
	memEpoch   uint64             // the world epoch memWorld was measured at
	memBackup  int                // the backup's memory
	customNext map[string]float64 // filled by the next step, then swapped with custom
	steps      stepLog            // recent steps, for the failure policy
	touched    uint64             // counts writes to the world from outside the schedule
	lastStep   time.Duration      // its last successful step, to schedule the longest first
	soft       uint64             // soft errors reported, in all
	served     uint64             // entity-steps served, in all
}

// state is a version's current State.
func (m *module) state(vr *version) State {
	switch {
	case vr.loading:
		return StateLoading
	case vr.failed != nil:
		return StateFailed
	case vr.l == nil:
		return StateUnloaded
	case m.weights[vr.num] > 0:
		return StateActive
	case vr.l.world.Len() > 0:
		return StateDraining
	}
	return StateIdle
}

// loadedNums returns the loaded version numbers in ascending order. The
// slice is shared: callers must not modify it, nor keep it across a load or
// an unload.
func (m *module) loadedNums() []int { return m.loadedList }

// relist recomputes loadedNums after a version was loaded or dropped. The
// caller holds both locks.
func (m *module) relist() {
	out := make([]int, 0, len(m.nums))
	for _, n := range m.nums {
		if m.versions[n].l != nil {
			out = append(out, n)
		}
	}
	m.loadedList = out
}

// checkVersion validates a version about to be registered.
func (m *module) checkVersion(num int, layout *ecs.Layout, migs []ecs.Migration) error {
	if num <= 0 {
		return fmt.Errorf("%w: version number %d must be positive", ErrBadVersion, num)
	}
	if _, ok := m.versions[num]; ok {
		return fmt.Errorf("%w: %s v%d", ErrVersionExists, m.name, num)
	}
	if layout == nil {
		return fmt.Errorf("%w: v%d has a nil layout", ErrBadVersion, num)
	}
	defaults := ecs.MakeColumns(layout, 1)
	if _, field := defaults.FirstNonFinite(); field != "" {
		return fmt.Errorf("%w: v%d: default of %s is not finite", ErrBadVersion, num, field)
	}
	for _, mg := range migs {
		if mg.From == mg.To || (mg.From != num && mg.To != num) || mg.From <= 0 || mg.To <= 0 {
			return fmt.Errorf("%w: v%d declares migration v%d→v%d", ErrBadVersion, num, mg.From, mg.To)
		}
		other := mg.To
		if other == num {
			other = mg.From
		}
		ov, ok := m.versions[other]
		if !ok || mg.Convert != nil {
			continue
		}
		from, to := layout, ov.layout
		if mg.To == num {
			from, to = to, from
		}
		if err := ecs.CheckStep(from, to, false); err != nil {
			return fmt.Errorf("%w: %s v%d→v%d: %w", ErrLayoutMismatch, m.name, mg.From, mg.To, err)
		}
	}
	for _, n := range m.nums {
		ov := m.versions[n]
		if err := ecs.CheckStep(ov.layout, layout, m.converts(ov, num, migs)); err != nil {
			return fmt.Errorf("%w: %s v%d and v%d: %w", ErrLayoutMismatch, m.name, n, num, err)
		}
	}
	return nil
}

// converts reports whether a migration with a Convert function is declared
// between registered version ov and the new version num (by either).
func (m *module) converts(ov *version, num int, migs []ecs.Migration) bool {
	between := func(mg ecs.Migration) bool {
		return mg.Convert != nil && ((mg.From == ov.num && mg.To == num) || (mg.From == num && mg.To == ov.num))
	}
	return slices.ContainsFunc(migs, between) || slices.ContainsFunc(ov.migs, between)
}

// step is one migration of a path, with the layouts it converts between.
type step struct {
	from, to *version
	convert  func(src, dst *ecs.Columns) error
}

// migrationPath finds the chain of declared migrations from one version to
// another, over every registered version of the module (breadth first, so
// the shortest chain; ties go to the lower intermediate version). A step
// without Convert whose layouts cannot be derived (a version registered
// later made them mismatch) is skipped.
func (m *module) migrationPath(from, to int) ([]step, error) {
	if from == to {
		return nil, nil
	}
	if p, ok := m.paths[[2]int{from, to}]; ok {
		return p.steps, p.err
	}
	steps, err := m.findPath(from, to)
	if m.paths == nil {
		m.paths = map[[2]int]pathResult{}
	}
	m.paths[[2]int{from, to}] = pathResult{steps, err}
	return steps, err
}

// pathResult is a cached migrationPath result.
type pathResult struct {
	steps []step
	err   error
}

// findPath is migrationPath without the cache.
func (m *module) findPath(from, to int) ([]step, error) {
	edges := map[int][]step{}
	for _, n := range m.nums {
		for _, mg := range m.versions[n].migs {
			a, b := m.versions[mg.From], m.versions[mg.To]
			if a == nil || b == nil || slices.ContainsFunc(edges[mg.From], func(s step) bool { return s.to == b }) {
				continue
			}
			if mg.Convert == nil && ecs.CheckStep(a.layout, b.layout, false) != nil {
				continue
			}
			edges[mg.From] = append(edges[mg.From], step{from: a, to: b, convert: mg.Convert})
		}
	}
	prev := map[int]step{}
	seen := map[int]bool{from: true}
	queue := []int{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		out := edges[cur]
		slices.SortStableFunc(out, func(a, b step) int { return a.to.num - b.to.num })
		for _, s := range out {
			if seen[s.to.num] {
				continue
			}
			seen[s.to.num] = true
			prev[s.to.num] = s
			if s.to.num == to {
				var path []step
				for at := to; at != from; at = prev[at].from.num {
					path = append(path, prev[at])
				}
				slices.Reverse(path)
				return path, nil
			}
			queue = append(queue, s.to.num)
		}
	}
	return nil, fmt.Errorf("%w: %s v%d→v%d", ErrNoMigrationPath, m.name, from, to)
}

// migrateInto appends src (in version from's layout) to dst (in version
// to's layout), converted along the migration path. Intermediate layouts
// use staging buffers from index tmp on. With check set, the output of
// every Convert function is checked for non-finite values. On error dst is
// unchanged.
func (m *module) migrateInto(dst, src *ecs.Columns, from, to, tmp int, check bool) error {
	path, err := m.migrationPath(from, to)
	if err != nil {
		return err
	}
	if len(path) == 0 {
		dst.AppendAll(src)
		return nil
	}
	old := dst.Len()
	cur := src
	for i, s := range path {
		out := dst
		if i < len(path)-1 {
			out = m.stageBuf(tmp+i, s.to.layout)
		}
		start := out.Len()
		if err := ecs.MigrateRows(out, cur, guarded(s.convert)); err != nil {
			return &MigrationError{Module: m.name, From: s.from.num, To: s.to.num, Err: err}
		}
		if check && s.convert != nil {
			if row, field := checkFinite(out, start); row >= 0 {
				dst.Truncate(old)
				return &MigrationError{Module: m.name, From: s.from.num, To: s.to.num,
					Err: fmt.Errorf("%w: entity %#x %s", ErrNonFinite, uint64(cur.Keys[row]), field)}
			}
		}
		cur = out
	}
	return nil
}

// guarded wraps a migration's Convert function so that a panic in it comes
// back as a *PanicError, which wraps ErrPanic and the panic value if it is
// an error. Fix (test: TestUserCodePanicsDoNotEscape): ecs.MigrateRows
// recovers panics itself, but only as text, so the error lost ErrPanic and
// the value.
func guarded(convert func(src, dst *ecs.Columns) error) func(src, dst *ecs.Columns) error {
	if convert == nil {
		return nil
	}
	return func(src, dst *ecs.Columns) error {
		return protect(func() error { return convert(src, dst) })
	}
}

// checkFinite scans rows [from, Len) of c for a non-finite value; it
// returns the row relative to from, or -1.
func checkFinite(c *ecs.Columns, from int) (int, string) {
	if from == 0 {
		return c.FirstNonFinite()
	}
	tail := c.Slice(from, c.Len())
	return tail.FirstNonFinite()
}

// stageBuf returns the i-th reusable staging buffer, emptied, in layout l.
func (m *module) stageBuf(i int, l *ecs.Layout) *ecs.Columns {
	for len(m.stage) <= i {
		m.stage = append(m.stage, &ecs.Columns{})
	}
	c := m.stage[i]
	c.Reset(l)
	return c
}

// stageBytes is the memory the staging buffers and scratch worlds hold.
func (m *module) stageBytes() int {
	n := 0
	for _, c := range m.stage {
		n += c.MemoryBytes()
	}
	for _, w := range m.scratch {
		n += w.MemoryBytes()
	}
	return n + m.keys.memoryBytes()
}

// refreshIdle updates each loaded version's idle clock: a version is idle
// while it has no entities and no traffic.
func (m *module) refreshIdle(now time.Duration) {
	for _, n := range m.nums {
		vr := m.versions[n]
		if vr.l == nil {
			continue
		}
		idle := vr.l.world.Len() == 0 && m.weights[n] == 0
		if idle && !vr.l.idle {
			vr.l.idleFrom = now
		}
		vr.l.idle = idle
	}
}

// mod is module, for functions whose parameter is named module.
type mod = module

// ver is version, for functions whose parameter is named version.
type ver = version

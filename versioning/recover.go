package versioning

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// failure is a version that failed its step in this frame.
type failure struct {
	n         int
	err       error
	started   time.Duration // wall time the failing step started
	tolerated bool          // the module's failure policy tolerates it
}

// origin is a version whose entities a rescue holds, and why they left it.
type origin struct {
	n         int
	err       error
	started   time.Duration // wall time its failing step started
	entities  int
	lost      int
	tolerated bool // the version keeps its traffic
}

// rescue is a set of entities to be served by another version this frame,
// in their state from before the frame, in version from's layout.
type rescue struct {
	from    int
	cols    *ecs.Columns
	origins []origin
	t0      time.Duration // wall time recovery started
}

// recoverFailures restores the failing versions' entities from their
// backups and serves them by rollback targets in this same frame. Every
// version that failed in this frame, including a target that fails while
// serving, is excluded as a target. Entities with nowhere to go are put back
// in the version that holds them, unserved this frame.
func (e *Engine) recoverFailures(m *module, fails []failure, dt float32) {
	failedNow := map[int]bool{}
	for _, f := range fails {
		failedNow[f.n] = true
	}
	var work []*rescue
	for _, f := range fails {
		work = append(work, e.restore(m, f))
	}
	missed, tolerated := false, false
	for _, f := range fails {
		tolerated = tolerated || f.tolerated
	}
	for len(work) > 0 {
		byTarget := map[int][]*rescue{}
		for _, r := range work {
			t := m.fallbackFor(r.from, failedNow)
			if t == 0 {
				e.putBack(m, r, fmt.Errorf("%w: %s v%d", ErrNoRollback, m.name, r.from))
				missed = true
				continue
			}
			byTarget[t] = append(byTarget[t], r)
		}
		work = nil
		for _, t := range slices.Sorted(maps.Keys(byTarget)) {
			next, served := e.serveRescues(m, t, byTarget[t], dt)
			if next != nil {
				failedNow[t] = true
				work = append(work, next)
			}
			missed = missed || !served
		}
	}
	if missed {
		m.missed++
	}
	// Re-apply the split once every failure is recovered: targets now carry
	// the failed versions' weight, and rounding may call for a move or two.
	// Entities of a tolerated failure return to their version at the next
	// frame boundary.
	if tolerated {
		m.dirty = true
		return
	}
	if err := e.rebalance(m, m.weights, nil); err != nil {
		m.dirty = true
		e.emit(Event{Kind: EventError, Module: m.name, Err: err})
	}
}

// restore takes a failed version's entities out of its world, in their
// state from before the frame (from the backup; as the step left them when
// there is no valid backup).
func (e *Engine) restore(m *module, f failure) *rescue {
	l := m.versions[f.n].l
	r := &rescue{from: f.n, t0: e.cfg.clock()}
	if l.backup.Valid(l.world) {
		// The backup is the rescue: it is the version's own buffer, not
		// touched again until the version steps again (it has no entities
		// until then), so nothing is copied here.
		r.cols = l.backup.Columns()
		l.world.RemoveAll()
		l.backup.Forget()
	} else {
		r.cols = &ecs.Columns{}
		r.cols.Reset(l.world.Layout())
		c := l.world.Columns()
		r.cols.AppendAll(&c)
		l.world.RemoveAll()
		l.backup.Clear()
	}
	lost := e.dropNonFinite(m, r.cols)
	r.origins = []origin{{n: f.n, err: f.err, started: f.started, entities: r.cols.Len(), lost: lost, tolerated: f.tolerated}}
	return r
}

// dropNonFinite removes from c, and from the module, every entity whose
// state is not finite: without a backup it cannot be restored, and serving
// it would only fail the next version too. It returns how many it removed.
func (e *Engine) dropNonFinite(m *module, c *ecs.Columns) int {
	if !e.cfg.checks {
		return 0
	}
	var bad []int32
	for lo := 0; lo < c.Len(); {
		row, _ := checkFinite(c, lo)
		if row < 0 {
			break
		}
		bad = append(bad, int32(lo+row))
		lo += row + 1
	}
	if len(bad) == 0 {
		return 0
	}
	keep := make([]int32, 0, c.Len()-len(bad))
	for r, b := int32(0), 0; r < int32(c.Len()); r++ {
		if b < len(bad) && bad[b] == r {
			k := c.Keys[r]
			m.keys.release(k)
			delete(m.pins, k)
			b++
			continue
		}
		keep = append(keep, r)
	}
	var next ecs.Columns
	next.Reset(c.Layout())
	next.AppendRows(c, keep)
	*c = next
	m.lost += uint64(len(bad))
	return len(bad)
}

// putBack returns rescued entities, unserved this frame, to the version
// whose layout they are in. That version keeps its traffic; the other
// versions they came from are failed, their traffic moved to it.
func (e *Engine) putBack(m *module, r *rescue, why error) {
	l := m.versions[r.from].l
	first := l.world.Len()
	_ = l.world.Append(r.cols)
	m.keys.place(r.cols.Keys, r.from, first)
	now := e.cfg.clock()
	for _, o := range r.origins {
		ev := Event{Kind: EventRollback, Module: m.name, Version: o.n, From: o.n, Entities: o.entities,
			Lost: o.lost, Err: errors.Join(o.err, why), Duration: now - r.t0, Downtime: now - o.started, Tolerated: o.tolerated}
		if o.n != r.from && !o.tolerated {
			e.markFailed(m, o.n, o.err, r.from)
			ev.To = r.from
		}
		e.emit(ev)
	}
}

// serveRescues moves rescued entities into target t and steps them there
// in this frame. If t fails while serving, it returns the rescue of t's own
// entities and the newcomers, all in their state from before the frame, for
// the next target. It reports whether the entities were stepped.
func (e *Engine) serveRescues(m *module, t int, rs []*rescue, dt float32) (*rescue, bool) {
	vr := m.versions[t]
	reloaded := false
	if vr.l == nil {
		n := 0
		for _, r := range rs {
			n += r.cols.Len()
		}
		if _, err := e.load(m, t, n); err != nil {
			for _, r := range rs {
				e.putBack(m, r, err)
			}
			return nil, false
		}
		reloaded = true
	}
	var moved []*rescue
	var parts []*ecs.Columns
	for _, r := range rs {
		part, err := e.convertRescue(m, r, t)
		if err != nil {
			e.putBack(m, r, err)
			continue
		}
		moved = append(moved, r)
		parts = append(parts, part)
	}
	if len(moved) == 0 {
		return nil, false
	}
	served, held, err := e.serve(m, t, vr.l, parts, dt)
	if err != nil {
		e.record(Op{Kind: OpFailure, Module: m.name, Version: t, Phase: PhaseServe, Cause: failureCause(err), Err: err})
	}
	if err != nil && !served {
		// t failed while serving: it and everything it held go on.
		next := &rescue{from: t, cols: held, t0: e.cfg.clock()}
		next.origins = append(next.origins, origin{n: t, err: &StepError{Module: m.name, Version: t, Err: err},
			started: next.t0, entities: held.Len()})
		for _, r := range moved {
			next.origins = append(next.origins, r.origins...)
		}
		return next, true
	}
	now := e.cfg.clock()
	for _, r := range moved {
		for _, o := range r.origins {
			if !o.tolerated {
				e.markFailed(m, o.n, o.err, t)
			}
			e.emit(Event{Kind: EventRollback, Module: m.name, Version: o.n, From: o.n, To: t,
				Entities: o.entities, Lost: o.lost, Reloaded: reloaded, Served: err == nil, Err: o.err,
				Duration: now - r.t0, Downtime: now - o.started, Tolerated: o.tolerated})
		}
	}
	if err != nil {
		e.emit(Event{Kind: EventError, Module: m.name, Version: t,
			Err: fmt.Errorf("%w: serving rolled-back entities: %w", ErrNoRollback, err)})
	}
	return nil, err == nil
}

// convertRescue returns a rescue's entities ready for target t: the rescue
// itself when the step to t is derived from the layouts (the move then
// converts them on the fly), else a copy converted along the migration path
// (user code: Convert functions run with the read lock released).
func (e *Engine) convertRescue(m *module, r *rescue, t int) (*ecs.Columns, error) {
	path, err := m.migrationPath(r.from, t)
	if err != nil {
		return nil, err
	}
	if len(path) == 1 && path[0].convert == nil {
		return r.cols, nil
	}
	out := &ecs.Columns{}
	out.Reset(m.versions[t].layout)
	err = e.user(func() error { return m.migrateInto(out, r.cols, r.from, t, 0, e.cfg.checks) })
	return out, err
}

// serve appends the newcomers (parts, each in t's layout or one derived
// step from it) to t and steps them in this frame, so that the frame's
// result is one step of t over its whole world: if t already stepped this
// frame, its own entities are first put back to their state from before the
// frame (from its backup), and the whole world steps again. When t's backup
// is not current (a backup cadence above 1), the newcomers step alone in a
// scratch world instead; if that fails they stay in t unstepped, and serve
// returns true with the error.
//
// If t's step fails (an error, a panic, non-finite state, or the frame
// budget), the world is emptied, and serve returns false with held: t's own
// entities and the newcomers, in t's layout, in their state from before the
// frame.
func (e *Engine) serve(m *module, t int, tl *loaded, parts []*ecs.Columns, dt float32) (bool, *ecs.Columns, error) {
	w := tl.world
	if w.Len() > 0 && !(tl.backup.Valid(w) && tl.bakFrame == e.frame) {
		return true, nil, e.serveScratch(m, t, tl, parts, dt)
	}
	own := w.Len()
	if own > 0 {
		tl.touched++ // rewound from its backup: every component may change
		cur := w.Columns()
		ecs.CopyColumns(&cur, tl.backup.Columns(), w.Layout().Set(), false, e.pool)
	}
	for _, p := range parts {
		w.AppendFrom(p, nil)
	}
	m.keys.place(w.Columns().Keys[own:], t, own)
	r := stepResult{n: t, l: tl}
	_ = e.user(func() error {
		e.stepOnly(&r, dt, nil)
		if r.err == nil && e.cfg.checks && !keysKept(w, tl, own, parts) {
			r.err = ErrKeysChanged
		}
		if r.err == nil {
			// This step replaces the frame's step of t's world, so the
			// logic's own metrics (v3's "pairs") come from it, as after
			// any step.
			r.err = report(tl, &r.memory)
		}
		return nil
	})
	if r.err == nil {
		r.err = m.injected(t, PhaseServe)
	}
	if r.err != nil {
		tl.stats.errors++
		held := &ecs.Columns{}
		held.Reset(w.Layout())
		if own > 0 {
			held.AppendAll(tl.backup.Columns())
		}
		for _, p := range parts {
			_ = ecs.MigrateRows(held, p, nil) // derived: cannot fail
		}
		w.RemoveAll()
		tl.backup.Clear()
		return false, held, r.err
	}
	tl.backup.Clear()
	tl.custom, tl.customNext = tl.customNext, tl.custom
	tl.memLogic = r.memory
	if own == 0 {
		tl.stats.record(r.took)
	}
	return true, nil, nil
}

// keysKept reports whether the world's keys are still, in order, t's own
// (its backup's, the first own rows) followed by each part's.
func keysKept(w *ecs.World, tl *loaded, own int, parts []*ecs.Columns) bool {
	keys := w.Columns().Keys
	if own > 0 && !slices.Equal(keys[:own], tl.backup.Columns().Keys) {
		return false
	}
	at := own
	for _, p := range parts {
		if !slices.Equal(keys[at:at+p.Len()], p.Keys) {
			return false
		}
		at += p.Len()
	}
	return at == len(keys)
}

// serveScratch steps the newcomers alone in a scratch world of t's layout,
// then appends them to t: stepped, or as they were if the step failed.
func (e *Engine) serveScratch(m *module, t int, tl *loaded, parts []*ecs.Columns, dt float32) error {
	sw := m.scratch[tl.world.Layout()]
	if sw == nil {
		sw, _ = ecs.NewWorld(tl.world.Layout(), 0)
		m.scratch[tl.world.Layout()] = sw
	}
	var keys []ecs.Key
	for _, p := range parts {
		sw.AppendFrom(p, nil)
		keys = append(keys, p.Keys...)
	}
	r := stepResult{n: t, l: &loaded{sched: tl.sched, world: sw}}
	_ = e.user(func() error {
		e.stepOnly(&r, dt, keys)
		return nil
	})
	if r.err == nil {
		r.err = m.injected(t, PhaseServe)
	}
	first := tl.world.Len()
	if r.err == nil {
		c := sw.Columns()
		tl.world.AppendFrom(&c, nil)
	} else {
		tl.stats.errors++
		for _, p := range parts {
			tl.world.AppendFrom(p, nil)
		}
	}
	m.keys.place(tl.world.Columns().Keys[first:], t, first)
	sw.RemoveAll()
	return r.err
}

// markFailed records that version n failed: it loses its traffic (to
// target, if any) and its pins, and is not chosen as a rollback target
// until it is loaded or reloaded by hand.
func (e *Engine) markFailed(m *module, n int, err error, target int) {
	m.versions[n].failed = err
	if w := m.weights[n]; target != 0 && w > 0 {
		m.weights[target] += w
	}
	delete(m.weights, n)
	for k, p := range m.pins {
		if p == n {
			delete(m.pins, k)
		}
	}
}

// fallbackFor picks the version a failing version's entities go to: the
// module's RollbackTo version if it may serve, else the highest registered
// version below the failing one that may, else the lowest above it. A
// version may serve if it has not failed, now or before, and is not being
// loaded.
func (m *module) fallbackFor(failed int, exclude map[int]bool) int {
	ok := func(n int) bool {
		vr := m.versions[n]
		return vr != nil && n != failed && !exclude[n] && vr.failed == nil && !vr.loading
	}
	if m.fallback != 0 && ok(m.fallback) {
		return m.fallback
	}
	best := 0
	for _, n := range m.nums {
		if n < failed && ok(n) {
			best = n
		}
	}
	if best != 0 {
		return best
	}
	for _, n := range m.nums {
		if n > failed && ok(n) {
			return n
		}
	}
	return 0
}

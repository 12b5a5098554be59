package versioning

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// FrameStat is what one version did in a module's last frame.
type FrameStat struct {
	Version int
	// Entities is how many entities it stepped (0 if it did not step).
	Entities int
	// Step is the wall time of its step.
	Step time.Duration
	// SoftErrors is how many soft errors its systems reported
	// ([ecs.View.ReportSoftErrors]).
	SoftErrors int
	// Failed reports whether its step failed; Tolerated whether the module's
	// [FailurePolicy] tolerated that.
	Failed, Tolerated bool
}

// FrameView is a module's state after a frame as a poller reads it every
// frame (a deployment's analysis, a status page): what [Engine.Now],
// [Engine.Frame], [Engine.LastFrame], [Engine.Split] and [Engine.State]
// return, read by [Engine.ReadFrame] in one call.
type FrameView struct {
	// Now and Frame are the engine's simulated time and frame count.
	Now   time.Duration
	Frame uint64
	// Last is what each version that stepped did in the last frame, by
	// ascending version.
	Last []FrameStat
	// Weights is the module's split.
	Weights map[int]float64
	// States is the state of every registered version.
	States map[int]State
}

// ReadFrame fills v with the module's state, all of it read at one
// instant. It reuses v's slice and maps (a caller that keeps one FrameView
// reads every frame without allocating), so whoever holds them must copy
// what it keeps from one call to the next.
func (e *Engine) ReadFrame(module string, v *FrameView) error {
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err != nil {
			return
		}
		v.Now, v.Frame = e.now, e.frame
		v.Last = append(v.Last[:0], m.last...)
		if v.Weights == nil {
			v.Weights = make(map[int]float64, len(m.weights))
		}
		clear(v.Weights)
		maps.Copy(v.Weights, m.weights)
		if v.States == nil {
			v.States = make(map[int]State, len(m.versions))
		}
		clear(v.States)
		for n, vr := range m.versions {
			v.States[n] = m.state(vr)
		}
	})
	return err
}

// LastFrame returns what every version of the module that stepped did in
// the last frame, by ascending version: the per-frame observations a
// deployment's analysis samples. The slice is a copy.
func (e *Engine) LastFrame(module string) ([]FrameStat, error) {
	var out []FrameStat
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			out = slices.Clone(m.last)
		}
	})
	return out, err
}

// Peek returns owned copies of the current state of the given entities,
// grouped by the version that holds them (each in that version's layout,
// rows in the order of keys). Unknown keys fail with [ErrUnknownEntity].
func (e *Engine) Peek(module string, keys []ecs.Key) (map[int]ecs.Columns, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	rows := map[int][]int32{}
	for _, k := range keys {
		v, row, err := m.keys.lookup(module, k)
		if err != nil {
			return nil, err
		}
		rows[v] = append(rows[v], int32(row))
	}
	out := make(map[int]ecs.Columns, len(rows))
	for _, v := range slices.Sorted(maps.Keys(rows)) {
		var c ecs.Columns
		w := m.versions[v].l.world
		c.Reset(w.Layout())
		src := w.Columns()
		c.AppendRows(&src, rows[v])
		out[v] = c
	}
	return out, nil
}

// Convert returns a copy of cols (in version from's layout) converted to
// version to's layout along the module's migration path, as a move would
// convert it. It changes nothing in the engine. Errors wrap
// [ErrNoMigrationPath], [ErrMigration] or [ErrBadColumns].
func (e *Engine) Convert(module string, from, to int, cols *ecs.Columns) (ecs.Columns, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return ecs.Columns{}, err
	}
	fv, ok1 := m.versions[from]
	tv, ok2 := m.versions[to]
	if !ok1 || !ok2 {
		return ecs.Columns{}, fmt.Errorf("%w: %s v%d or v%d", ErrUnknownVersion, module, from, to)
	}
	if cols == nil || !cols.Layout().Same(fv.layout) || cols.Validate() != nil {
		return ecs.Columns{}, fmt.Errorf("%w: not in v%d's layout", ErrBadColumns, from)
	}
	var out ecs.Columns
	out.Reset(tv.layout)
	err = e.user(func() error { return m.migrateInto(&out, cols, from, to, 0, e.cfg.checks) })
	return out, err
}

// VersionOf returns the Version registered as number n of the module, for
// tools that run a version's logic outside the engine (a shadow run).
func (e *Engine) VersionOf(module string, n int) (Version, error) {
	var v Version
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err != nil {
			return
		}
		vr, ok := m.versions[n]
		if !ok {
			err = fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, n)
			return
		}
		v = vr.v
	})
	return v, err
}

// LayoutOf returns the layout of version n of the module.
func (e *Engine) LayoutOf(module string, n int) (*ecs.Layout, error) {
	var l *ecs.Layout
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err != nil {
			return
		}
		vr, ok := m.versions[n]
		if !ok {
			err = fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, n)
			return
		}
		l = vr.layout
	})
	return l, err
}

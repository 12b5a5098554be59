package persist

import (
	"fmt"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// Snapshot binds the file to an engine and returns the snapshot to hand to
// [versioning.Engine.Restore]. Each version's components are matched to
// the layout the engine registered for that version ([versioning.Engine.LayoutOf])
// by component name, and their schemas must be equal ([ecs.Schema.Equal]):
// the same size, alignment, fields, kinds and offsets. Errors wrap
// [ErrSchemaMismatch] (a module or version the engine lacks, a component
// missing, added or laid out differently) or [ErrBase] (a delta: apply it
// first).
//
// The snapshot's columns are owned copies; its key table, step logs and
// command payloads may share memory with f. Snapshot does not change the
// engine.
func (f *File) Snapshot(e *versioning.Engine) (*versioning.Snapshot, error) {
	if f.Kind != KindFull {
		return nil, fmt.Errorf("%w: a delta must be applied to its base before it is restored", ErrBase)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	s := &versioning.Snapshot{Now: f.Now, Frame: f.Frame, Modules: make([]versioning.ModuleSnapshot, len(f.Modules))}
	for i := range f.Modules {
		if err := f.bindModule(e, &f.Modules[i], &s.Modules[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (f *File) bindModule(e *versioning.Engine, m *Module, ms *versioning.ModuleSnapshot) error {
	*ms = versioning.ModuleSnapshot{Name: m.Name, Deps: m.Deps, GCAfter: m.GCAfter, Fallback: m.Fallback,
		Policy: m.Policy, Dirty: m.Dirty, Frames: m.Frames, Missed: m.Missed, Lost: m.Lost,
		Commands: m.Commands, Gens: m.Gens, Free: m.Free,
		Weights: make(map[int]float64, len(m.Weights)), Pins: make(map[ecs.Key]int, len(m.Pins))}
	for _, w := range m.Weights {
		ms.Weights[w.Version] = w.Weight
	}
	for _, p := range m.Pins {
		ms.Pins[p.Key] = p.Version
	}
	ms.Versions = make([]versioning.VersionSnapshot, len(m.Versions))
	for j := range m.Versions {
		v := &m.Versions[j]
		l, err := e.LayoutOf(m.Name, v.Number)
		if err != nil {
			return fmt.Errorf("%w: module %q v%d: %w", ErrSchemaMismatch, m.Name, v.Number, err)
		}
		comps, err := f.match(m, v, l)
		if err != nil {
			return err
		}
		vs := &ms.Versions[j]
		*vs = versioning.VersionSnapshot{Number: v.Number, Loaded: v.Loaded, Failed: v.Failed,
			LogicState: v.LogicState, HasLogicState: v.HasLogicState, LoadedAt: v.LoadedAt,
			IdleFrom: v.IdleFrom, Idle: v.Idle, SinceBackup: v.SinceBackup, StepTimes: v.StepTimes,
			StepFailed: v.StepFailed, Consecutive: v.Consecutive}
		vs.Columns = f.columns(l, comps, v, &v.World)
		if v.Backup != nil {
			b := f.columns(l, comps, v, v.Backup)
			vs.Backup = &b
		}
	}
	return nil
}

// match pairs the version's components with the layout's, in the file's
// (name) order.
func (f *File) match(m *Module, v *Version, l *ecs.Layout) ([]*ecs.Component, error) {
	comps := sortedComponents(l)
	if len(comps) != len(v.Components) {
		return nil, fmt.Errorf("%w: module %q v%d: the file has %d components (%s), the engine's layout %d (%v)",
			ErrSchemaMismatch, m.Name, v.Number, len(v.Components), f.componentNames(v), len(comps), l)
	}
	for i, c := range comps {
		fs := f.schemaOf(v.Components[i])
		if fs.Name != c.Name() {
			return nil, fmt.Errorf("%w: module %q v%d: the file has components %s, the engine's layout %v",
				ErrSchemaMismatch, m.Name, v.Number, f.componentNames(v), l)
		}
		if es := c.Schema(); !fs.Equal(es) {
			return nil, fmt.Errorf("%w: module %q v%d component %s: the file has %v, the engine %v",
				ErrSchemaMismatch, m.Name, v.Number, fs.Name, fs, es)
		}
	}
	return comps, nil
}

func (f *File) componentNames(v *Version) string {
	s := ""
	for i, c := range v.Components {
		if i > 0 {
			s += "|"
		}
		s += f.schemaOf(c).Name
	}
	if s == "" {
		return "none"
	}
	return s
}

// columns copies a table into owned columns of layout l.
func (f *File) columns(l *ecs.Layout, comps []*ecs.Component, v *Version, t *Table) ecs.Columns {
	c := ecs.MakeColumns(l, t.Len())
	copy(c.Keys, t.Keys)
	for i, comp := range comps {
		dst := c.Raw(comp.ID())
		copy(dst, t.Columns[i])
		if !nativeLE {
			swapRows(dst, f.schemaOf(v.Components[i]))
		}
	}
	return c
}

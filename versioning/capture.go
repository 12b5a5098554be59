package versioning

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// ErrBadSnapshot is wrapped by [Engine.Restore]'s errors: a snapshot that
// does not fit the engine (modules, versions, layouts) or is inconsistent
// (duplicate or dead keys, pins or weights naming unloaded versions).
var ErrBadSnapshot = errors.New("versioning: bad snapshot")

// ErrCapture is wrapped by [Engine.Capture]'s errors: a Stateful logic's
// SaveState failed or panicked.
var ErrCapture = errors.New("versioning: capture failed")

// Snapshot is everything needed to rebuild an engine at a frame boundary:
// the simulated time and frame, and every module's state. It holds owned
// copies; [Engine.CaptureInto] reuses a snapshot's buffers.
type Snapshot struct {
	Now     time.Duration
	Frame   uint64
	Modules []ModuleSnapshot
}

// ModuleSnapshot is one module's state.
type ModuleSnapshot struct {
	Name     string
	Deps     []string
	GCAfter  time.Duration
	Fallback int
	Policy   FailurePolicy
	Weights  map[int]float64
	Pins     map[ecs.Key]int
	// Gens is the generation of every key slot; Free lists the free slots
	// (the last one is reused first).
	Gens []uint32
	Free []uint32
	// Dirty says the split must be re-applied at the next frame boundary.
	Dirty                bool
	Frames, Missed, Lost uint64
	// Commands are the entity commands queued for the next frame boundary.
	Commands []CommandSnapshot
	// Versions holds every registered version that is loaded or failed, by
	// ascending number.
	Versions []VersionSnapshot

	owner     uint64 // the id of the module captured into this snapshot last
	keysEpoch uint64 // the key table's epoch Gens and Free hold
}

// CommandSnapshot is a queued entity command: SetComponent (Component set)
// or Command (Name set).
type CommandSnapshot struct {
	Key             ecs.Key
	Component, Name string
	Payload         []byte
}

// VersionSnapshot is one version's state.
type VersionSnapshot struct {
	Number int
	Loaded bool
	// Failed is the failure's message, "" if the version has not failed.
	Failed string
	// Columns is the world's state (loaded versions), in the version's
	// layout, in row order.
	Columns ecs.Columns
	// LogicState is the logic's own state (Stateful), if HasLogicState.
	LogicState    []byte
	HasLogicState bool
	// LoadedAt and IdleFrom are simulated times; Idle says whether the GC
	// clock runs.
	LoadedAt, IdleFrom time.Duration
	Idle               bool
	// SinceBackup, and Backup when the backup cadence is above 1, let a
	// restored engine take its next backup, and roll back to it, exactly as
	// the original would. (At cadence 1 every frame takes a fresh backup
	// before it steps; a Rollback by hand right after a Restore, before any
	// frame, moves the entities as they are.)
	SinceBackup int
	Backup      *ecs.Columns
	// The failure policy's log of recent steps.
	StepTimes   []time.Duration
	StepFailed  []bool
	Consecutive int

	// What Columns holds, for the next capture into this snapshot: the
	// world's epoch (unique to one world's structure), and its count of
	// writes from outside the schedule. No pointer: a snapshot kept by a
	// saver must not keep an unloaded world alive.
	epoch   uint64
	touched uint64
}

// Entities is the number of entities in the snapshot.
func (s *Snapshot) Entities() int {
	n := 0
	for i := range s.Modules {
		for j := range s.Modules[i].Versions {
			n += s.Modules[i].Versions[j].Columns.Len()
		}
	}
	return n
}

// Capture returns the engine's state at the current frame boundary.
// Stateful logic's SaveState runs with the read lock released.
func (e *Engine) Capture() (*Snapshot, error) {
	s := &Snapshot{}
	return s, e.CaptureInto(s)
}

// CaptureInto is [Engine.Capture] into s, reusing its column buffers: the
// frame stall of a periodic save is then a copy of the worlds, as cheap as
// a backup. On error s is left in an unspecified state.
func (e *Engine) CaptureInto(s *Snapshot) error {
	e.begin()
	defer e.end()
	s.Now, s.Frame = e.now, e.frame
	old := s.Modules
	s.Modules = s.Modules[:0]
	for i, m := range e.order {
		var ms ModuleSnapshot
		if i < len(old) {
			ms = old[i]
		}
		if err := e.captureModule(m, &ms); err != nil {
			return err
		}
		s.Modules = append(s.Modules, ms)
	}
	e.record(Op{Kind: OpCapture})
	return nil
}

func (e *Engine) captureModule(m *module, ms *ModuleSnapshot) error {
	oldVersions, gens, free := ms.Versions, ms.Gens, ms.Free
	sameKeys := ms.owner == m.id && ms.keysEpoch == m.keys.epoch
	*ms = ModuleSnapshot{Name: m.name, Deps: slices.Clone(m.deps), GCAfter: m.gcAfter, Fallback: m.fallback,
		Policy: m.policy, Weights: maps.Clone(m.weights), Pins: maps.Clone(m.pins), Dirty: m.dirty,
		Frames: m.frames, Missed: m.missed, Lost: m.lost, owner: m.id, keysEpoch: m.keys.epoch}
	if sameKeys {
		ms.Gens, ms.Free = gens, free // no key was taken or released since
	} else {
		ms.Gens, ms.Free = append(gens[:0], m.keys.gens...), append(free[:0], m.keys.free...)
	}
	for i := range m.cmds {
		c := &m.cmds[i]
		ms.Commands = append(ms.Commands, CommandSnapshot{Key: c.key, Component: c.comp, Name: c.name, Payload: slices.Clone(m.payload(c))})
	}
	ms.Versions = oldVersions[:0]
	for _, n := range m.nums {
		vr := m.versions[n]
		if vr.l == nil && vr.failed == nil {
			continue
		}
		var vs VersionSnapshot
		// The entries before len(ms.Versions) have been written over.
		for i := len(ms.Versions); i < len(oldVersions); i++ {
			if oldVersions[i].Number == n {
				vs = oldVersions[i] // reuse the buffers, and know what they hold
				break
			}
		}
		vs = VersionSnapshot{Number: n, Columns: vs.Columns, Backup: vs.Backup, epoch: vs.epoch, touched: vs.touched}
		if vr.failed != nil {
			vs.Failed = vr.failed.Error()
		}
		if err := e.captureLoaded(m, vr, &vs); err != nil {
			return err
		}
		ms.Versions = append(ms.Versions, vs)
	}
	return nil
}

// captureLoaded records a version's state. Its world's columns are copied
// like a backup takes them: if vs last held this world at its current
// structure, only the components the schedule writes are copied again.
func (e *Engine) captureLoaded(m *module, vr *version, vs *VersionSnapshot) error {
	l := vr.l
	if l == nil {
		vs.Columns.Reset(vr.layout)
		vs.Backup, vs.epoch = nil, 0
		return nil
	}
	vs.Loaded = true
	c := l.world.Columns()
	same := vs.epoch == l.world.Epoch() && vs.touched == l.touched && vs.Columns.Len() == c.Len()
	copyInto(&vs.Columns, &c, same, l.writes, vr.layout, e)
	// With a backup cadence above 1 the backup is older than the last frame,
	// and the next frames' rollbacks depend on it: it is part of the state.
	// At cadence 1 every frame takes a fresh one before stepping, so the
	// snapshot needs none (only a Rollback by hand right after a Restore,
	// before any frame, sees the difference: it moves the entities as they
	// are).
	if e.cfg.backupEvery > 1 && l.backup.Valid(l.world) {
		sameBackup := same && vs.Backup != nil && vs.Backup.Len() == c.Len()
		if vs.Backup == nil {
			vs.Backup = &ecs.Columns{}
		}
		copyInto(vs.Backup, l.backup.Columns(), sameBackup, l.writes, vr.layout, e)
	} else {
		vs.Backup = nil
	}
	vs.epoch, vs.touched = l.world.Epoch(), l.touched
	vs.LoadedAt, vs.IdleFrom, vs.Idle, vs.SinceBackup = l.loadedAt, l.idleFrom, l.idle, l.sinceBak
	vs.StepTimes, vs.StepFailed, vs.Consecutive = slices.Clone(l.steps.at), slices.Clone(l.steps.failed), l.steps.consecutive
	st, ok := l.logic.(Stateful)
	if !ok {
		return nil
	}
	err := e.user(func() error {
		data, err := st.SaveState()
		vs.LogicState, vs.HasLogicState = data, true
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %s v%d: saving logic state: %w", ErrCapture, m.name, vr.num, err)
	}
	return nil
}

// copyInto copies src into dst: only the components the schedule writes
// when dst already holds src as of its current structure (same), else
// everything.
func copyInto(dst, src *ecs.Columns, same bool, writes ecs.Set, layout *ecs.Layout, e *Engine) {
	if same {
		ecs.CopyColumns(dst, src, writes, false, e.pool)
		return
	}
	dst.Reset(layout)
	dst.AppendDefaults(src.Len())
	ecs.CopyColumns(dst, src, layout.Set(), true, e.pool)
}

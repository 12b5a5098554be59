package persist

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// FormatVersion is the newest format version this package writes and
// reads, for the binary form and the text forms alike. It reads every
// older version too.
const FormatVersion = 1

// Kind says whether a binary file holds whole worlds or only what changed
// since a base file.
type Kind uint8

// The kinds of file.
const (
	// KindFull: every column is stored whole.
	KindFull Kind = 1
	// KindDelta: some columns are patches of the base file's columns;
	// [File.Apply] turns the delta into a full file.
	KindDelta Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindFull:
		return "full"
	case KindDelta:
		return "delta"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// File is a decoded snapshot, held without the game's Go types: the
// components are described by their [ecs.Schema] and the columns are raw
// little-endian bytes. [ReadFile], [ReadXML] and [ReadJSON] produce one;
// [File.Snapshot] binds it to an engine's registered layouts.
//
// A File returned by [ReadFile] may share memory with the bytes it was
// decoded from (the columns are not copied): keep them unchanged while the
// File is in use.
type File struct {
	// Format is the format version the file was read from (FormatVersion
	// for a file built in memory).
	Format int
	// Kind is KindFull or KindDelta.
	Kind Kind
	// Frame and Now are the time marker: the engine's frame counter and
	// simulated time when the state was captured.
	Frame uint64
	Now   time.Duration
	// BaseFrame and BaseChecksum name a delta's base: the frame of the save
	// it was computed against and the [File.Checksum] of that base file.
	BaseFrame    uint64
	BaseChecksum uint32
	// Checksum is the CRC-32C that seals the file's binary encoding (the
	// CRC of its footer, which lists the CRC of every section). ReadFile
	// sets it; it is 0 for a file built otherwise.
	Checksum uint32
	// Schemas are the components the file's versions use. A name appears
	// more than once only if versions hold it with different layouts.
	Schemas []ecs.Schema
	// Modules are the engine's modules, in the order they were added.
	Modules []Module
}

// Module is one module's state: its options, split, pins, key table,
// queued commands and versions.
type Module struct {
	Name     string
	Deps     []string
	GCAfter  time.Duration
	Fallback int
	Policy   versioning.FailurePolicy
	// Weights is the traffic split, by ascending version.
	Weights []Weight
	// Pins are the pinned entities, by ascending key.
	Pins  []Pin
	Dirty bool
	// Frames, Missed and Lost are the module's counters.
	Frames, Missed, Lost uint64
	// Commands are the entity commands queued for the next frame boundary.
	Commands []versioning.CommandSnapshot
	// Gens is the generation of every key slot; Free lists the free slots,
	// the last one reused first.
	Gens []uint32
	Free []uint32
	// Versions are the loaded or failed versions, by ascending number.
	Versions []Version

	gensPatch, freePatch *patch // delta files only
}

// Weight is one version's share of the traffic.
type Weight struct {
	Version int
	Weight  float64
}

// Pin pins an entity to a version.
type Pin struct {
	Key     ecs.Key
	Version int
}

// Version is one version's state, with its world's columns.
type Version struct {
	Number int
	Loaded bool
	// Failed is the failure's message ("" if the version has not failed).
	Failed             string
	LoadedAt, IdleFrom time.Duration
	Idle               bool
	SinceBackup        int
	// StepTimes and StepFailed are the failure policy's log of recent
	// steps; Consecutive counts the failed steps in a row.
	StepTimes   []time.Duration
	StepFailed  []bool
	Consecutive int
	// LogicState is the logic's own state, if HasLogicState.
	HasLogicState bool
	LogicState    []byte
	// Components is the version's layout, by ascending component name.
	Components []Component
	// World holds the version's entities (none unless Loaded).
	World Table
	// Backup is the world's backup, kept when the engine backs up less
	// often than every frame (nil otherwise).
	Backup *Table
}

// Component is one component of a version's layout: an index into
// [File.Schemas] and the layout's default value (Size bytes).
type Component struct {
	Schema  int
	Default []byte
}

// Table is a world's entities by column: Keys[i] is the key of row i, and
// Columns[c] holds the rows of the version's Components[c] back to back
// (rows × size bytes, little-endian).
type Table struct {
	Keys    []ecs.Key
	Columns [][]byte

	rows    int      // row count (a delta's patched keys are not known)
	patches []*patch // delta files only: [0] keys, [1+c] column c
	textOff []int32  // text readers: the byte offset of each row, for errors
}

// Len is the number of rows.
func (t *Table) Len() int {
	if t.patches != nil {
		return t.rows
	}
	return len(t.Keys)
}

// Entities is the number of entities in the file: the rows of every
// version's world.
func (f *File) Entities() int {
	n := 0
	for i := range f.Modules {
		for j := range f.Modules[i].Versions {
			n += f.Modules[i].Versions[j].World.Len()
		}
	}
	return n
}

// DataBytes is the size of the file's columns (keys and components of
// every world and backup): what a binary encoding mostly consists of.
func (f *File) DataBytes() int64 {
	var n int64
	for i := range f.Modules {
		for j := range f.Modules[i].Versions {
			v := &f.Modules[i].Versions[j]
			n += v.World.dataBytes()
			if v.Backup != nil {
				n += v.Backup.dataBytes()
			}
		}
	}
	return n
}

func (t *Table) dataBytes() int64 {
	n := int64(len(t.Keys)) * 8
	for _, c := range t.Columns {
		n += int64(len(c))
	}
	return n
}

// schemaOf returns the schema of a version's component.
func (f *File) schemaOf(c Component) *ecs.Schema { return &f.Schemas[c.Schema] }

// FromSnapshot returns s as a File, without encoding it (to write it as
// text, say, or compare it with a file read from disk). The File shares
// the snapshot's memory: its columns are the snapshot's column buffers (on
// a little-endian machine; elsewhere converted copies), so it is valid
// while s is unchanged. Its Checksum is 0.
func FromSnapshot(s *versioning.Snapshot) (*File, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil snapshot", versioning.ErrBadSnapshot)
	}
	return fromSnapshot(s)
}

// fromSnapshot is FromSnapshot for a snapshot known not to be nil.
func fromSnapshot(s *versioning.Snapshot) (*File, error) {
	f := &File{Format: FormatVersion, Kind: KindFull, Frame: s.Frame, Now: s.Now}
	schemas := newSchemaSet()
	// First pass: the schemas, so that their indexes are canonical.
	for i := range s.Modules {
		for j := range s.Modules[i].Versions {
			l := s.Modules[i].Versions[j].Columns.Layout()
			if l == nil {
				return nil, fmt.Errorf("%w: module %q v%d has no layout", versioning.ErrBadSnapshot, s.Modules[i].Name, s.Modules[i].Versions[j].Number)
			}
			for _, c := range l.Components() {
				schemas.add(c.Schema())
			}
		}
	}
	f.Schemas = schemas.sorted()
	f.Modules = make([]Module, len(s.Modules))
	for i := range s.Modules {
		if err := f.moduleFromSnapshot(&f.Modules[i], &s.Modules[i], schemas); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *File) moduleFromSnapshot(m *Module, ms *versioning.ModuleSnapshot, schemas *schemaSet) error {
	*m = Module{Name: ms.Name, Deps: ms.Deps, GCAfter: ms.GCAfter, Fallback: ms.Fallback, Policy: ms.Policy,
		Dirty: ms.Dirty, Frames: ms.Frames, Missed: ms.Missed, Lost: ms.Lost, Commands: ms.Commands,
		Gens: ms.Gens, Free: ms.Free}
	m.Weights = make([]Weight, 0, len(ms.Weights))
	for v, w := range ms.Weights {
		m.Weights = append(m.Weights, Weight{v, w})
	}
	slices.SortFunc(m.Weights, func(a, b Weight) int { return cmp.Compare(a.Version, b.Version) })
	m.Pins = make([]Pin, 0, len(ms.Pins))
	for k, v := range ms.Pins {
		m.Pins = append(m.Pins, Pin{k, v})
	}
	slices.SortFunc(m.Pins, func(a, b Pin) int { return cmp.Compare(a.Key, b.Key) })
	m.Versions = make([]Version, len(ms.Versions))
	for j := range ms.Versions {
		vs := &ms.Versions[j]
		v := &m.Versions[j]
		*v = Version{Number: vs.Number, Loaded: vs.Loaded, Failed: vs.Failed, LoadedAt: vs.LoadedAt,
			IdleFrom: vs.IdleFrom, Idle: vs.Idle, SinceBackup: vs.SinceBackup, StepTimes: vs.StepTimes,
			StepFailed: vs.StepFailed, Consecutive: vs.Consecutive, HasLogicState: vs.HasLogicState,
			LogicState: vs.LogicState}
		l := vs.Columns.Layout()
		comps := sortedComponents(l)
		v.Components = make([]Component, len(comps))
		for c, comp := range comps {
			v.Components[c] = Component{Schema: schemas.index(comp.Schema()), Default: l.DefaultBytes(comp.ID())}
		}
		v.World = tableFromColumns(&vs.Columns, comps, f, v.Components)
		if vs.Backup != nil {
			if !vs.Backup.Layout().Same(l) {
				return fmt.Errorf("%w: module %q v%d: backup layout differs", versioning.ErrBadSnapshot, ms.Name, vs.Number)
			}
			b := tableFromColumns(vs.Backup, comps, f, v.Components)
			v.Backup = &b
		}
	}
	return nil
}

// tableFromColumns views c's columns in the File's component order.
func tableFromColumns(c *ecs.Columns, comps []*ecs.Component, f *File, fc []Component) Table {
	t := Table{Keys: c.Keys, Columns: make([][]byte, len(comps))}
	for i, comp := range comps {
		raw := c.Raw(comp.ID())
		if !nativeLE {
			raw = swapped(raw, f.schemaOf(fc[i]))
		}
		t.Columns[i] = raw
	}
	return t
}

// sortedComponents lists a layout's components by name.
func sortedComponents(l *ecs.Layout) []*ecs.Component {
	comps := l.Components()
	slices.SortFunc(comps, func(a, b *ecs.Component) int { return cmp.Compare(a.Name(), b.Name()) })
	return comps
}

// schemaSet collects distinct schemas (equal layouts with the same
// non-finite marks are one schema).
type schemaSet struct {
	list  []ecs.Schema
	order []int // list index → sorted index, after sorted
}

func newSchemaSet() *schemaSet { return &schemaSet{} }

func sameSchema(a, b *ecs.Schema) bool {
	if !a.Equal(*b) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].NonFinite != b.Fields[i].NonFinite {
			return false
		}
	}
	return true
}

func (s *schemaSet) find(sc *ecs.Schema) int {
	for i := range s.list {
		if sameSchema(&s.list[i], sc) {
			return i
		}
	}
	return -1
}

func (s *schemaSet) add(sc ecs.Schema) {
	if s.find(&sc) < 0 {
		s.list = append(s.list, sc)
	}
}

// sorted orders the schemas by name, then by description, and returns
// them; index then maps a schema to its sorted position.
func (s *schemaSet) sorted() []ecs.Schema {
	idx := make([]int, len(s.list))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) string { return s.list[i].String() + nonFiniteMarks(&s.list[i]) }
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(s.list[a].Name, s.list[b].Name); c != 0 {
			return c
		}
		return cmp.Compare(key(a), key(b))
	})
	out := make([]ecs.Schema, len(idx))
	s.order = make([]int, len(idx))
	for pos, i := range idx {
		out[pos] = s.list[i]
		s.order[i] = pos
	}
	return out
}

func (s *schemaSet) index(sc ecs.Schema) int { return s.order[s.find(&sc)] }

func nonFiniteMarks(s *ecs.Schema) string {
	b := make([]byte, len(s.Fields))
	for i, f := range s.Fields {
		b[i] = '0'
		if f.NonFinite {
			b[i] = '1'
		}
	}
	return string(b)
}

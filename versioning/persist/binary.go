package persist

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// The binary layout. See doc.go for the description users read.
const (
	headerSize  = 16
	recordHead  = 16
	trailerSize = 16
	footEntry   = 24 // tag, enc, zero, crc, offset, length
)

var (
	magic        = [8]byte{0x89, 'G', 'R', 'V', '\r', '\n', 0x1a, '\n'}
	trailerMagic = [8]byte{0x89, 'G', 'R', 'V', 'E', 'N', 'D', '\n'}
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
)

// Record tags.
const (
	tagHead    = 'H'
	tagSchemas = 'S'
	tagModule  = 'M'
	tagColumn  = 'C'
	tagFooter  = 'F'
)

// Column encodings.
const (
	encRaw   = 0
	encPatch = 1
)

// Version flags in a module section.
const (
	flagLoaded = 1 << iota
	flagIdle
	flagLogicState
	flagBackup
	flagsKnown = flagLoaded | flagIdle | flagLogicState | flagBackup
)

// WriteSnapshot writes s to w in the binary format (a full file). It reads
// s's columns without copying them; s must not change until it returns.
func WriteSnapshot(w io.Writer, s *versioning.Snapshot) error {
	if s == nil {
		return fmt.Errorf("%w: nil snapshot", versioning.ErrBadSnapshot)
	}
	f, err := fromSnapshot(s)
	if err != nil {
		return err
	}
	_, _, err = encodeFile(w, f, nil)
	return err
}

// WriteBinary writes f to w in the binary format. A delta file (one read
// from a delta with [ReadFile]) is written as the same delta. Writing is
// deterministic: the same File always gives the same bytes.
func (f *File) WriteBinary(w io.Writer) error {
	if err := f.check(); err != nil {
		return err
	}
	_, _, err := encodeFile(w, f, nil)
	return err
}

// writer frames records and remembers them for the footer.
type writer struct {
	w    io.Writer
	n    int64
	recs []footRec
	err  error
	hdr  [recordHead]byte
}

type footRec struct {
	tag, enc byte
	crc      uint32
	off, len int64
}

func (wr *writer) write(b []byte) {
	if wr.err != nil || len(b) == 0 {
		return
	}
	n, err := wr.w.Write(b)
	wr.n += int64(n)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	wr.err = err
}

// record writes one record whose payload is the concatenation of parts, and
// returns its CRC.
func (wr *writer) record(tag, enc byte, parts ...[]byte) uint32 {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	h := wr.hdr[:]
	h[0], h[1], h[2], h[3] = tag, enc, 0, 0
	le.PutUint64(h[8:], uint64(n))
	crc := crc32.Update(0, castagnoli, h[0:4])
	crc = crc32.Update(crc, castagnoli, h[8:16])
	for _, p := range parts {
		crc = crc32.Update(crc, castagnoli, p)
	}
	le.PutUint32(h[4:], crc)
	wr.recs = append(wr.recs, footRec{tag, enc, crc, wr.n, n})
	wr.write(h)
	for _, p := range parts {
		wr.write(p)
	}
	if pad := padding(n); pad > 0 {
		var zero [8]byte
		wr.write(zero[:pad])
	}
	return crc
}

func padding(n int64) int { return int((8 - n%8) % 8) }

// encodeFile writes f; with a base, columns that match a column of base
// are written as patches. It returns the file's checksum and size.
func encodeFile(w io.Writer, f *File, base *File) (uint32, int64, error) {
	wr := &writer{w: w}
	kind := f.Kind
	if base != nil {
		kind = KindDelta
	}
	var h [headerSize]byte
	copy(h[:], magic[:])
	le.PutUint16(h[8:], FormatVersion)
	h[10] = byte(kind)
	le.PutUint32(h[12:], crc32.Checksum(h[:12], castagnoli))
	wr.write(h[:])

	var e enc
	e.u64(f.Frame)
	e.i64(int64(f.Now))
	baseFrame, baseSum := f.BaseFrame, f.BaseChecksum
	if base != nil {
		baseFrame, baseSum = base.Frame, base.Checksum
	}
	e.u64(baseFrame)
	e.u32(baseSum)
	e.u32(uint32(len(f.Modules)))
	wr.record(tagHead, 0, e.b)

	e.b = encodeSchemas(e.b[:0], f.Schemas)
	wr.record(tagSchemas, 0, e.b)

	var pb []byte // patch buffer, reused
	for i := range f.Modules {
		m := &f.Modules[i]
		e.b = encodeModule(e.b[:0], m)
		wr.record(tagModule, 0, e.b)
		var bm *Module
		if base != nil {
			bm = base.module(m.Name)
		}
		for _, c := range columnsOf(f, m) {
			data := c.data(m)
			if p := c.patch(m); p != nil {
				pb = p.append(pb[:0])
				wr.record(tagColumn, encPatch, pb)
				continue
			}
			if bm != nil {
				if old := matchColumn(base, bm, f, m, c); old != nil && len(old) == len(data) {
					var ok bool
					if pb, ok = diff(pb[:0], old, data, c.elem); ok {
						wr.record(tagColumn, encPatch, pb)
						continue
					}
				}
			}
			wr.record(tagColumn, encRaw, data)
		}
		if wr.err != nil {
			return 0, wr.n, wr.err
		}
	}

	foot := make([]byte, 0, 4+footEntry*len(wr.recs))
	foot = le.AppendUint32(foot, uint32(len(wr.recs)))
	for _, r := range wr.recs {
		foot = append(foot, r.tag, r.enc, 0, 0)
		foot = le.AppendUint32(foot, r.crc)
		foot = le.AppendUint64(foot, uint64(r.off))
		foot = le.AppendUint64(foot, uint64(r.len))
	}
	footOff := wr.n
	sum := wr.record(tagFooter, 0, foot)
	var t [trailerSize]byte
	le.PutUint64(t[:], uint64(footOff))
	copy(t[8:], trailerMagic[:])
	wr.write(t[:])
	return sum, wr.n, wr.err
}

func encodeSchemas(b []byte, schemas []ecs.Schema) []byte {
	e := enc{b}
	e.u32(uint32(len(schemas)))
	for _, s := range schemas {
		e.str(s.Name)
		e.u32(uint32(s.Size))
		e.u32(uint32(s.Align))
		e.u32(uint32(len(s.Fields)))
		for _, fd := range s.Fields {
			e.str(fd.Path)
			e.u8(uint8(fd.Kind))
			e.u32(uint32(fd.Offset))
			e.u32(uint32(fd.Count))
			e.bool(fd.NonFinite)
		}
	}
	return e.b
}

func encodeModule(b []byte, m *Module) []byte {
	e := enc{b}
	e.str(m.Name)
	e.u32(uint32(len(m.Deps)))
	for _, d := range m.Deps {
		e.str(d)
	}
	e.i64(int64(m.GCAfter))
	e.int(m.Fallback)
	e.f64(m.Policy.MaxRate)
	e.i64(int64(m.Policy.Window))
	e.int(m.Policy.MinSteps)
	e.int(m.Policy.MaxConsecutive)
	e.u32(uint32(len(m.Weights)))
	for _, w := range m.Weights {
		e.int(w.Version)
		e.f64(w.Weight)
	}
	e.u32(uint32(len(m.Pins)))
	for _, p := range m.Pins {
		e.u64(uint64(p.Key))
		e.int(p.Version)
	}
	e.bool(m.Dirty)
	e.u64(m.Frames)
	e.u64(m.Missed)
	e.u64(m.Lost)
	e.u32(uint32(len(m.Commands)))
	for _, c := range m.Commands {
		e.u64(uint64(c.Key))
		e.str(c.Component)
		e.str(c.Name)
		e.bytes(c.Payload)
	}
	e.u32(uint32(m.slots()))
	e.u32(uint32(m.nfree()))
	e.u32(uint32(len(m.Versions)))
	for i := range m.Versions {
		v := &m.Versions[i]
		e.int(v.Number)
		var fl uint8
		if v.Loaded {
			fl |= flagLoaded
		}
		if v.Idle {
			fl |= flagIdle
		}
		if v.HasLogicState {
			fl |= flagLogicState
		}
		if v.Backup != nil {
			fl |= flagBackup
		}
		e.u8(fl)
		e.str(v.Failed)
		e.i64(int64(v.LoadedAt))
		e.i64(int64(v.IdleFrom))
		e.int(v.SinceBackup)
		e.int(v.Consecutive)
		e.u32(uint32(len(v.StepTimes)))
		for _, t := range v.StepTimes {
			e.i64(int64(t))
		}
		for _, f := range v.StepFailed {
			e.bool(f)
		}
		if v.HasLogicState {
			e.bytes(v.LogicState)
		}
		e.u32(uint32(len(v.Components)))
		for _, c := range v.Components {
			e.u32(uint32(c.Schema))
			e.b = append(e.b, c.Default...)
		}
		e.u64(uint64(v.World.Len()))
		if v.Backup != nil {
			e.u64(uint64(v.Backup.Len()))
		}
	}
	return e.b
}

func (m *Module) slots() int {
	if m.gensPatch != nil {
		return m.gensPatch.n
	}
	return len(m.Gens)
}

func (m *Module) nfree() int {
	if m.freePatch != nil {
		return m.freePatch.n
	}
	return len(m.Free)
}

// module returns the module named name, or nil.
func (f *File) module(name string) *Module {
	for i := range f.Modules {
		if f.Modules[i].Name == name {
			return &f.Modules[i]
		}
	}
	return nil
}

// version returns version n of m, or nil.
func (m *Module) version(n int) *Version {
	i, ok := slices.BinarySearchFunc(m.Versions, n, func(v Version, n int) int { return cmp.Compare(v.Number, n) })
	if !ok {
		return nil
	}
	return &m.Versions[i]
}

// colKind says which column of a module a colRef is.
type colKind uint8

const (
	colGens colKind = iota
	colFree
	colKeys
	colComp
)

// colRef names one column of a module, in file order: gens, free, then for
// each version its world's keys and components, then its backup's.
type colRef struct {
	kind   colKind
	ver    int // index in Module.Versions
	backup bool
	comp   int // index in Version.Components
	elem   int // element size in bytes
	rows   int
}

func (c colRef) table(m *Module) *Table {
	v := &m.Versions[c.ver]
	if c.backup {
		return v.Backup
	}
	return &v.World
}

// data returns the column's bytes (nil for a patched column).
func (c colRef) data(m *Module) []byte {
	switch c.kind {
	case colGens:
		return u32Bytes(m.Gens)
	case colFree:
		return u32Bytes(m.Free)
	case colKeys:
		return keyBytes(c.table(m).Keys)
	}
	return c.table(m).Columns[c.comp]
}

// patch returns the column's patch, for a delta read from a file.
func (c colRef) patch(m *Module) *patch {
	switch c.kind {
	case colGens:
		return m.gensPatch
	case colFree:
		return m.freePatch
	}
	t := c.table(m)
	if t.patches == nil {
		return nil
	}
	if c.kind == colKeys {
		return t.patches[0]
	}
	return t.patches[1+c.comp]
}

func (c colRef) name(m *Module, f *File) string {
	switch c.kind {
	case colGens:
		return fmt.Sprintf("module %q key generations", m.Name)
	case colFree:
		return fmt.Sprintf("module %q free list", m.Name)
	}
	t := "world"
	if c.backup {
		t = "backup"
	}
	v := &m.Versions[c.ver]
	if c.kind == colKeys {
		return fmt.Sprintf("module %q v%d %s keys", m.Name, v.Number, t)
	}
	return fmt.Sprintf("module %q v%d %s column %s", m.Name, v.Number, t, f.schemaOf(v.Components[c.comp]).Name)
}

// columnsOf lists a module's columns in file order.
func columnsOf(f *File, m *Module) []colRef {
	out := []colRef{{kind: colGens, elem: 4, rows: m.slots()}, {kind: colFree, elem: 4, rows: m.nfree()}}
	for i := range m.Versions {
		v := &m.Versions[i]
		add := func(t *Table, backup bool) {
			out = append(out, colRef{kind: colKeys, ver: i, backup: backup, elem: 8, rows: t.Len()})
			for c := range v.Components {
				out = append(out, colRef{kind: colComp, ver: i, backup: backup, comp: c, elem: f.schemaOf(v.Components[c]).Size, rows: t.Len()})
			}
		}
		add(&v.World, false)
		if v.Backup != nil {
			add(v.Backup, true)
		}
	}
	return out
}

// matchColumn returns the bytes of base's column that c of m corresponds
// to (same module, version, table and component with an equal schema), or
// nil.
func matchColumn(base *File, bm *Module, f *File, m *Module, c colRef) []byte {
	switch c.kind {
	case colGens:
		return u32Bytes(bm.Gens)
	case colFree:
		return u32Bytes(bm.Free)
	}
	v := &m.Versions[c.ver]
	bv := bm.version(v.Number)
	if bv == nil {
		return nil
	}
	bt := &bv.World
	if c.backup {
		bt = bv.Backup
	}
	if bt == nil || bt.patches != nil {
		return nil
	}
	if c.kind == colKeys {
		return keyBytes(bt.Keys)
	}
	s := f.schemaOf(v.Components[c.comp])
	for i, bc := range bv.Components {
		if bs := base.schemaOf(bc); bs.Name == s.Name {
			if !sameSchema(bs, s) {
				return nil
			}
			return bt.Columns[i]
		}
	}
	return nil
}

// check validates f's structure before it is written.
func (f *File) check() error {
	if f.Kind != KindFull && f.Kind != KindDelta {
		return fmt.Errorf("%w: kind %v", ErrCorrupt, f.Kind)
	}
	for i := range f.Schemas {
		if err := f.Schemas[i].Validate(); err != nil {
			return fmt.Errorf("%w: schema %d: %w", ErrCorrupt, i, err)
		}
	}
	for i := range f.Modules {
		m := &f.Modules[i]
		for j := range m.Versions {
			v := &m.Versions[j]
			if j > 0 && v.Number <= m.Versions[j-1].Number {
				return fmt.Errorf("%w: module %q: versions out of order", ErrCorrupt, m.Name)
			}
			for c, comp := range v.Components {
				if comp.Schema < 0 || comp.Schema >= len(f.Schemas) || len(comp.Default) != f.Schemas[comp.Schema].Size {
					return fmt.Errorf("%w: module %q v%d component %d", ErrCorrupt, m.Name, v.Number, c)
				}
				if c > 0 && f.schemaOf(v.Components[c-1]).Name >= f.schemaOf(comp).Name {
					return fmt.Errorf("%w: module %q v%d: components not in name order", ErrCorrupt, m.Name, v.Number)
				}
			}
			if len(v.StepTimes) != len(v.StepFailed) {
				return fmt.Errorf("%w: module %q v%d: step log lengths differ", ErrCorrupt, m.Name, v.Number)
			}
			for _, t := range []*Table{&v.World, v.Backup} {
				if t == nil || t.patches != nil {
					continue
				}
				if len(t.Columns) != len(v.Components) {
					return fmt.Errorf("%w: module %q v%d: %d columns for %d components", ErrCorrupt, m.Name, v.Number, len(t.Columns), len(v.Components))
				}
				for c, col := range t.Columns {
					if len(col) != len(t.Keys)*f.schemaOf(v.Components[c]).Size {
						return fmt.Errorf("%w: module %q v%d: column %s has %d bytes for %d rows", ErrCorrupt, m.Name, v.Number, f.schemaOf(v.Components[c]).Name, len(col), len(t.Keys))
					}
				}
			}
		}
		for j := 1; j < len(m.Weights); j++ {
			if m.Weights[j].Version <= m.Weights[j-1].Version {
				return fmt.Errorf("%w: module %q: weights out of order", ErrCorrupt, m.Name)
			}
		}
		for j := 1; j < len(m.Pins); j++ {
			if m.Pins[j].Key <= m.Pins[j-1].Key {
				return fmt.Errorf("%w: module %q: pins out of order", ErrCorrupt, m.Name)
			}
		}
	}
	return nil
}

// Open reads and decodes the binary file at path. Errors name the path.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := ReadFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ReadFile decodes a binary file (full or delta) held in data, checking
// every CRC. The File shares data's memory: data must not change while the
// File is used.
//
// A damaged, truncated or hostile file gives an error wrapping
// [ErrCorrupt] (a file of a newer format: [ErrVersion]), as a
// [*FormatError] with the byte offset; ReadFile never panics and allocates
// no more than the file's size justifies.
func ReadFile(data []byte) (*File, error) { return readFile(data, true) }

// reader decodes a binary file.
type reader struct {
	data     []byte
	off      int
	checkCRC bool
	recs     []footRec
}

func readFile(data []byte, checkCRC bool) (f *File, err error) {
	r := &reader{data: data, checkCRC: checkCRC}
	return r.file()
}

func (r *reader) corrupt(off int, format string, args ...any) error {
	return corruptAt(int64(off), format, args...)
}

// record reads the next record, which must have tag want.
func (r *reader) record(want byte, what string) (enc byte, payload []byte, base int, err error) {
	at := r.off
	if len(r.data)-at < recordHead {
		return 0, nil, 0, r.corrupt(at, "%s: truncated record header (%d bytes left)", what, len(r.data)-at)
	}
	h := r.data[at : at+recordHead]
	if h[0] != want {
		return 0, nil, 0, r.corrupt(at, "%s: record tag %q, want %q", what, h[0], want)
	}
	if h[2] != 0 || h[3] != 0 {
		return 0, nil, 0, r.corrupt(at+2, "%s: reserved bytes not zero", what)
	}
	n := le.Uint64(h[8:])
	left := uint64(len(r.data) - at - recordHead)
	if n > left {
		return 0, nil, 0, r.corrupt(at+8, "%s: length %d, only %d bytes left", what, n, left)
	}
	pad := padding(int64(n))
	if uint64(pad) > left-n {
		return 0, nil, 0, r.corrupt(at+recordHead+int(n), "%s: truncated padding", what)
	}
	payload = r.data[at+recordHead : at+recordHead+int(n) : at+recordHead+int(n)]
	stored := le.Uint32(h[4:])
	if r.checkCRC {
		crc := crc32.Update(0, castagnoli, h[0:4])
		crc = crc32.Update(crc, castagnoli, h[8:16])
		crc = crc32.Update(crc, castagnoli, payload)
		if crc != stored {
			return 0, nil, 0, r.corrupt(at, "%s: CRC-32C %08x, stored %08x", what, crc, stored)
		}
	}
	for i, b := range r.data[at+recordHead+int(n) : at+recordHead+int(n)+pad] {
		if b != 0 {
			return 0, nil, 0, r.corrupt(at+recordHead+int(n)+i, "%s: padding not zero", what)
		}
	}
	r.recs = append(r.recs, footRec{h[0], h[1], stored, int64(at), int64(n)})
	r.off = at + recordHead + int(n) + pad
	return h[1], payload, at + recordHead, nil
}

func (r *reader) file() (*File, error) {
	f, err := r.header()
	if err != nil {
		return nil, err
	}
	enc, p, base, err := r.record(tagHead, "head section")
	if err != nil {
		return nil, err
	}
	if enc != 0 {
		return nil, r.corrupt(base-recordHead+1, "head section: encoding %d", enc)
	}
	d := &dec{b: p, base: int64(base)}
	f.Frame = d.u64("frame")
	f.Now = time.Duration(d.i64("time"))
	f.BaseFrame = d.u64("base frame")
	f.BaseChecksum = d.u32("base checksum")
	nmod := d.int32("module count")
	if d.err == nil && d.off != len(p) {
		d.fail("head section: %d trailing bytes", len(p)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	if f.Kind == KindFull && (f.BaseFrame != 0 || f.BaseChecksum != 0) {
		return nil, r.corrupt(base+16, "head section: a full file names a base")
	}
	if f.Kind == KindDelta && f.BaseFrame >= f.Frame {
		return nil, r.corrupt(base+16, "head section: base frame %d is not before frame %d", f.BaseFrame, f.Frame)
	}
	if err := r.schemas(f); err != nil {
		return nil, err
	}
	// Each module takes at least a module record and two column records.
	if nmod > (len(r.data)-r.off)/(3*recordHead) {
		return nil, r.corrupt(base+20, "head section: %d modules cannot fit", nmod)
	}
	f.Modules = make([]Module, nmod)
	for i := range f.Modules {
		if err := r.module(f, &f.Modules[i], i); err != nil {
			return nil, err
		}
	}
	if err := r.footer(f); err != nil {
		return nil, err
	}
	return f, nil
}

func (r *reader) header() (*File, error) {
	if len(r.data) < headerSize {
		return nil, r.corrupt(0, "truncated header: %d bytes", len(r.data))
	}
	h := r.data[:headerSize]
	if !bytes.Equal(h[:8], magic[:]) {
		return nil, r.corrupt(0, "not a Grove snapshot (bad magic bytes)")
	}
	format := int(le.Uint16(h[8:]))
	if format > FormatVersion {
		return nil, &FormatError{Offset: 8, What: fmt.Sprintf("format version %d is newer than this reader's %d: use a newer Grove", format, FormatVersion), Err: ErrVersion}
	}
	if format < 1 {
		return nil, r.corrupt(8, "format version %d", format)
	}
	if crc := crc32.Checksum(h[:12], castagnoli); r.checkCRC && crc != le.Uint32(h[12:]) {
		return nil, r.corrupt(12, "header CRC-32C %08x, stored %08x", crc, le.Uint32(h[12:]))
	}
	kind := Kind(h[10])
	if kind != KindFull && kind != KindDelta {
		return nil, r.corrupt(10, "file kind %d", h[10])
	}
	if h[11] != 0 {
		return nil, r.corrupt(11, "reserved header byte %d", h[11])
	}
	r.off = headerSize
	return &File{Format: format, Kind: kind}, nil
}

func (r *reader) schemas(f *File) error {
	_, p, base, err := r.record(tagSchemas, "schema section")
	if err != nil {
		return err
	}
	d := &dec{b: p, base: int64(base)}
	n := d.count("schema count", 16)
	f.Schemas = make([]ecs.Schema, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		at := d.pos()
		s := ecs.Schema{Name: d.str("component name")}
		s.Size = d.int32("size")
		s.Align = d.int32("alignment")
		nf := d.count("field count", 14)
		s.Fields = make([]ecs.Field, 0, nf)
		for j := 0; j < nf && d.err == nil; j++ {
			fd := ecs.Field{Path: d.str("field path")}
			fd.Kind = ecs.Kind(d.u8("field kind"))
			fd.Offset = d.int32("field offset")
			fd.Count = d.int32("field count")
			fd.NonFinite = d.bool("non-finite flag")
			s.Fields = append(s.Fields, fd)
		}
		if d.err != nil {
			break
		}
		if err := s.Validate(); err != nil {
			return corruptAt(at, "schema %d: %v", i, err)
		}
		f.Schemas = append(f.Schemas, s)
	}
	if d.err == nil && d.off != len(p) {
		d.fail("schema section: %d trailing bytes", len(p)-d.off)
	}
	return d.err
}

// int32 reads a u32 that must fit an int32.
func (d *dec) int32(what string) int {
	at := d.off
	v := d.u32(what)
	if d.err == nil && v > math.MaxInt32 {
		d.off = at
		d.fail("%s: %d out of range", what, v)
	}
	if d.err != nil {
		return 0
	}
	return int(v)
}

func (r *reader) module(f *File, m *Module, idx int) error {
	_, p, base, err := r.record(tagModule, fmt.Sprintf("module section %d", idx))
	if err != nil {
		return err
	}
	d := &dec{b: p, base: int64(base)}
	decodeModule(d, f, m)
	if d.err == nil && d.off != len(p) {
		d.fail("module section: %d trailing bytes", len(p)-d.off)
	}
	if d.err != nil {
		return d.err
	}
	for _, c := range columnsOf(f, m) {
		if err := r.column(f, m, c); err != nil {
			return err
		}
	}
	for i := range m.Versions {
		m.Versions[i].World.settle()
		if b := m.Versions[i].Backup; b != nil {
			b.settle()
		}
	}
	return nil
}

const maxInt = int64(^uint(0) >> 1)

// decodeModule reads a module section. Tables get their row counts (and
// the key table its sizes, held in placeholder patches); their columns come
// from the column records that follow.
func decodeModule(d *dec, f *File, m *Module) {
	m.Name = d.str("module name")
	nd := d.count("dependency count", 4)
	m.Deps = make([]string, 0, nd)
	for i := 0; i < nd && d.err == nil; i++ {
		m.Deps = append(m.Deps, d.str("dependency"))
	}
	m.GCAfter = time.Duration(d.i64("GC threshold"))
	m.Fallback = d.int("fallback", math.MinInt64, maxInt)
	m.Policy.MaxRate = d.f64("policy rate")
	m.Policy.Window = time.Duration(d.i64("policy window"))
	m.Policy.MinSteps = d.int("policy minimum steps", math.MinInt64, maxInt)
	m.Policy.MaxConsecutive = d.int("policy consecutive", math.MinInt64, maxInt)
	nw := d.count("weight count", 16)
	m.Weights = make([]Weight, 0, nw)
	for i := 0; i < nw && d.err == nil; i++ {
		at := d.off
		w := Weight{Version: d.int("weight version", math.MinInt64, maxInt), Weight: d.f64("weight")}
		if i > 0 && w.Version <= m.Weights[i-1].Version && d.err == nil {
			d.off = at
			d.fail("weights out of order")
		}
		m.Weights = append(m.Weights, w)
	}
	np := d.count("pin count", 16)
	m.Pins = make([]Pin, 0, np)
	for i := 0; i < np && d.err == nil; i++ {
		at := d.off
		p := Pin{Key: ecs.Key(d.u64("pin key")), Version: d.int("pin version", math.MinInt64, maxInt)}
		if i > 0 && p.Key <= m.Pins[i-1].Key && d.err == nil {
			d.off = at
			d.fail("pins out of order")
		}
		m.Pins = append(m.Pins, p)
	}
	m.Dirty = d.bool("dirty flag")
	m.Frames = d.u64("frames")
	m.Missed = d.u64("missed frames")
	m.Lost = d.u64("lost entities")
	nc := d.count("command count", 20)
	m.Commands = make([]versioning.CommandSnapshot, 0, nc)
	for i := 0; i < nc && d.err == nil; i++ {
		c := versioning.CommandSnapshot{Key: ecs.Key(d.u64("command key"))}
		c.Component = d.str("command component")
		c.Name = d.str("command name")
		c.Payload = d.bytes("command payload")
		m.Commands = append(m.Commands, c)
	}
	m.gensPatch = &patch{n: d.int32("slot count")}
	m.freePatch = &patch{n: d.int32("free count")}
	nv := d.count("version count", 60)
	m.Versions = make([]Version, 0, nv)
	for i := 0; i < nv && d.err == nil; i++ {
		at := d.off
		v := Version{Number: d.int("version number", math.MinInt64, maxInt)}
		if i > 0 && v.Number <= m.Versions[i-1].Number && d.err == nil {
			d.off = at
			d.fail("versions out of order")
		}
		fl := d.u8("version flags")
		if fl&^flagsKnown != 0 && d.err == nil {
			d.off--
			d.fail("unknown version flags %#x", fl)
		}
		v.Loaded, v.Idle, v.HasLogicState = fl&flagLoaded != 0, fl&flagIdle != 0, fl&flagLogicState != 0
		v.Failed = d.str("failure message")
		v.LoadedAt = time.Duration(d.i64("load time"))
		v.IdleFrom = time.Duration(d.i64("idle time"))
		v.SinceBackup = d.int("frames since backup", math.MinInt64, maxInt)
		v.Consecutive = d.int("consecutive failures", math.MinInt64, maxInt)
		ns := d.count("step count", 9)
		v.StepTimes = make([]time.Duration, ns)
		v.StepFailed = make([]bool, ns)
		for j := range ns {
			v.StepTimes[j] = time.Duration(d.i64("step time"))
		}
		for j := range ns {
			v.StepFailed[j] = d.bool("step failure")
		}
		if v.HasLogicState {
			v.LogicState = d.bytes("logic state")
		}
		ncomp := d.count("component count", 5)
		v.Components = make([]Component, 0, ncomp)
		for j := 0; j < ncomp && d.err == nil; j++ {
			at := d.off
			si := d.int32("schema index")
			if d.err != nil {
				break
			}
			if si >= len(f.Schemas) {
				d.off = at
				d.fail("schema index %d of %d", si, len(f.Schemas))
				break
			}
			if j > 0 && f.Schemas[v.Components[j-1].Schema].Name >= f.Schemas[si].Name {
				d.off = at
				d.fail("components not in strict name order")
				break
			}
			def := d.raw(f.Schemas[si].Size, "default value")
			v.Components = append(v.Components, Component{Schema: si, Default: def})
		}
		v.World = Table{rows: d.rowCount("world rows"), patches: []*patch{}}
		if fl&flagBackup != 0 {
			v.Backup = &Table{rows: d.rowCount("backup rows"), patches: []*patch{}}
		}
		m.Versions = append(m.Versions, v)
	}
}

// maxRows bounds a table's row count (a trillion entities, and what an
// int holds), so that sizes computed from it cannot overflow.
const maxRows = min(1<<40, uint64(maxInt))

// rowCount reads a table's row count.
func (d *dec) rowCount(what string) int {
	at := d.off
	n := d.u64(what)
	if d.err == nil && n > maxRows {
		d.off = at
		d.fail("%s: %d", what, n)
		return 0
	}
	return int(n)
}

// column reads one column record and stores it where c says.
func (r *reader) column(f *File, m *Module, c colRef) error {
	what := c.name(m, f)
	enc, p, base, err := r.record(tagColumn, what)
	if err != nil {
		return err
	}
	var pt *patch
	switch enc {
	case encRaw:
		if c.elem == 0 || uint64(len(p)) != uint64(c.rows)*uint64(c.elem) || (c.rows > 0 && len(p)/c.rows != c.elem) {
			return r.corrupt(base-recordHead+8, "%s: %d bytes for %d rows of %d", what, len(p), c.rows, c.elem)
		}
	case encPatch:
		if f.Kind != KindDelta {
			return r.corrupt(base-recordHead+1, "%s: a patch in a full file", what)
		}
		d := &dec{b: p, base: int64(base)}
		pt = decodePatch(d, c.rows, c.elem)
		if d.err != nil {
			return fmt.Errorf("%s: %w", what, d.err)
		}
	default:
		return r.corrupt(base-recordHead+1, "%s: column encoding %d", what, enc)
	}
	setColumn(m, c, p, pt)
	return nil
}

// setColumn stores a decoded column (raw bytes, or a patch) in m.
func setColumn(m *Module, c colRef, raw []byte, pt *patch) {
	switch c.kind {
	case colGens:
		m.gensPatch = pt
		if pt == nil {
			m.Gens = u32sOf(raw)
		}
		return
	case colFree:
		m.freePatch = pt
		if pt == nil {
			m.Free = u32sOf(raw)
		}
		return
	}
	t := c.table(m)
	if c.kind == colKeys {
		t.patches = append(t.patches[:0], pt)
		if pt == nil {
			t.Keys = keysOf(raw)
		}
		t.Columns = make([][]byte, 0, len(m.Versions[c.ver].Components))
		return
	}
	t.patches = append(t.patches, pt)
	t.Columns = append(t.Columns, raw)
}

// settle drops a table's patch list once every column is read, if no
// column is a patch.
func (t *Table) settle() {
	for _, p := range t.patches {
		if p != nil {
			return
		}
	}
	t.patches = nil
	t.rows = 0
}

func (r *reader) footer(f *File) error {
	recs := r.recs
	at := r.off
	_, p, base, err := r.record(tagFooter, "footer")
	if err != nil {
		return err
	}
	d := &dec{b: p, base: int64(base)}
	n := d.count("footer entry count", footEntry)
	if d.err == nil && n != len(recs) {
		d.fail("footer lists %d records, the file has %d", n, len(recs))
	}
	for i := 0; i < n && d.err == nil; i++ {
		eat := d.off
		tag, enc := d.u8("footer tag"), d.u8("footer encoding")
		z1 := d.u8("footer reserved")
		zero := z1 | d.u8("footer reserved")
		crc := d.u32("footer CRC")
		off, ln := d.u64("footer offset"), d.u64("footer length")
		want := recs[i]
		if d.err == nil && (tag != want.tag || enc != want.enc || zero != 0 || crc != want.crc || off != uint64(want.off) || ln != uint64(want.len)) {
			d.off = eat
			d.fail("footer entry %d does not match the record at byte %d", i, want.off)
		}
	}
	if d.err == nil && d.off != len(p) {
		d.fail("footer: %d trailing bytes", len(p)-d.off)
	}
	if d.err != nil {
		return d.err
	}
	f.Checksum = le.Uint32(r.data[at+4:])
	if len(r.data)-r.off != trailerSize {
		return r.corrupt(r.off, "%d bytes after the footer, want a %d-byte trailer", len(r.data)-r.off, trailerSize)
	}
	t := r.data[r.off:]
	if le.Uint64(t) != uint64(at) || !bytes.Equal(t[8:], trailerMagic[:]) {
		return r.corrupt(r.off, "bad trailer")
	}
	return nil
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

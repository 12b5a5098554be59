package journal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// The on-disk format; doc.go describes it.
const (
	magic = "GROVEJNL"
	// formatVersion is the version this package writes; it reads every
	// version up to it.
	formatVersion = 1
	headerSize    = 32
	blockHeader   = 24
	// maxBlock bounds one block's body.
	maxBlock = 1 << 30
	// kindCheckpoint is the record kind of a checkpoint (op kinds are the
	// engine's OpKind values, below it).
	kindCheckpoint = 0xC0
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Field bits of an op record: a field is stored when its bit is set.
const (
	fModule = 1 << iota
	fVersion
	fDt
	fWeights
	fKeys
	fColumns
	fComponent
	fName
	fValue
	fConfig
	fDeps
	fGCAfter
	fFallback
	fPolicy
	fPhase
	fCause
	fErr
	fSum
	fAll = fSum<<1 - 1
)

// Record is one record of a journal: an engine op, or a checkpoint.
type Record struct {
	// Op is the recorded op. Its Frame is the frame of the record's block.
	// Two fields come back in stored form: OpSpawn's columns are in Spawn
	// (Op.Columns is nil), and OpConfigure's configuration is in Config
	// (Op.Config holds it decoded when the reader's registry has its codec).
	// Op.Err is a [*RecordedError]. For a checkpoint, Op.Kind is 0.
	Op         versioning.Op
	Spawn      *RawColumns
	Config     *RawConfig
	Checkpoint *Checkpoint
	// File and Offset locate the record's block.
	File   string
	Offset int64
}

// Frame is the record's frame.
func (r *Record) Frame() uint64 { return r.Op.Frame }

// Checkpoint marks the point of the op stream where a snapshot was taken
// ([Writer.Checkpoint]): the snapshot holds every op before it.
type Checkpoint struct {
	Frame uint64
	// Modules are the modules and their registered versions at that point,
	// if the writer saw them registered (Known); a replay checks that its
	// engine registers the same.
	Known   bool
	Modules []ModuleVersions
}

// ModuleVersions is a module's registered versions.
type ModuleVersions struct {
	Name     string
	Versions []int
}

// RawColumns is OpSpawn's columns as stored: each component's schema and
// bytes, in the order of the layout they were written in, and the keys.
type RawColumns struct {
	Schemas []ecs.Schema
	Keys    []ecs.Key
	// Data holds each component's column (rows × size bytes), parallel to
	// Schemas.
	Data [][]byte
}

// Len is the number of rows.
func (r *RawColumns) Len() int { return len(r.Keys) }

// Columns returns the rows laid out in l, which must hold exactly the
// stored components, each with the stored schema; the error wraps
// [ErrEngine] otherwise.
func (r *RawColumns) Columns(l *ecs.Layout) (ecs.Columns, error) {
	comps := l.Components()
	if len(comps) != len(r.Schemas) {
		return ecs.Columns{}, fmt.Errorf("%w: layout %v has %d components, the record %d", ErrEngine, l, len(comps), len(r.Schemas))
	}
	out := ecs.MakeColumns(l, r.Len())
	copy(out.Keys, r.Keys)
	for _, c := range comps {
		i := slices.IndexFunc(r.Schemas, func(s ecs.Schema) bool { return s.Name == c.Name() })
		if i < 0 || !r.Schemas[i].Equal(c.Schema()) {
			return ecs.Columns{}, fmt.Errorf("%w: component %s of layout %v is not in the record with the same schema", ErrEngine, c.Name(), l)
		}
		copy(out.Raw(c.ID()), r.Data[i])
	}
	return out, nil
}

// appendHeader appends a segment header.
func appendHeader(b []byte, start uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.LittleEndian.PutUint16(h[8:], formatVersion)
	binary.LittleEndian.PutUint64(h[16:], start)
	binary.LittleEndian.PutUint32(h[28:], crc32.Checksum(h[:28], castagnoli))
	return append(b, h...)
}

// parseHeader checks a segment header and returns its start frame.
func parseHeader(h []byte) (uint64, error) {
	if len(h) < headerSize {
		return 0, fmt.Errorf("%d header bytes, want %d", len(h), headerSize)
	}
	if string(h[:8]) != magic {
		return 0, fmt.Errorf("bad magic %q", h[:8])
	}
	if got, want := crc32.Checksum(h[:28], castagnoli), binary.LittleEndian.Uint32(h[28:]); got != want {
		return 0, fmt.Errorf("header CRC %#08x, stored %#08x", got, want)
	}
	if v := binary.LittleEndian.Uint16(h[8:]); v == 0 || v > formatVersion {
		return 0, fmt.Errorf("%w: format version %d, this Grove reads up to %d", ErrFormat, v, formatVersion)
	}
	return binary.LittleEndian.Uint64(h[16:]), nil
}

// blockWriter builds blocks in a buffer.
type blockWriter struct {
	buf    []byte
	start  int // offset of the open block's header, -1: none
	frame  uint64
	first  uint64 // frame of the buffer's first block
	count  uint32
	blocks int // blocks closed in the buffer
}

func (w *blockWriter) open(frame uint64) {
	if len(w.buf) == 0 {
		w.first = frame
	}
	w.start = len(w.buf)
	w.frame, w.count = frame, 0
	w.buf = append(w.buf, make([]byte, blockHeader)...)
}

// close fills in the open block's header.
func (w *blockWriter) close() {
	if w.start < 0 {
		return
	}
	h := w.buf[w.start:]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(h)-blockHeader))
	binary.LittleEndian.PutUint64(h[8:], w.frame)
	binary.LittleEndian.PutUint32(h[16:], w.count)
	binary.LittleEndian.PutUint32(h[20:], 0)
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(h[8:], castagnoli))
	w.start = -1
	w.blocks++
}

// begin makes the open block the one of frame (closing the open one if it
// is another frame's, or full) and counts the record the caller appends.
func (w *blockWriter) begin(frame uint64) {
	if w.start >= 0 && (w.frame != frame || len(w.buf)-w.start > maxBlock/2) {
		w.close()
	}
	if w.start < 0 {
		w.open(frame)
	}
	w.count++
}

// add appends a record to the block of its frame, opening one if needed.
func (w *blockWriter) add(frame uint64, rec func([]byte) []byte) {
	w.begin(frame)
	w.buf = rec(w.buf)
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendVarint(b []byte, v int64) []byte   { return binary.AppendVarint(b, v) }
func appendString(b []byte, s string) []byte {
	return append(appendUvarint(b, uint64(len(s))), s...)
}
func appendBytes(b, s []byte) []byte { return append(appendUvarint(b, uint64(len(s))), s...) }

// appendOp appends op's record. cfg is OpConfigure's encoded configuration;
// raw, if not nil, stands for op.Columns (a record read back).
func appendOp(b []byte, op *versioning.Op, cfg *RawConfig, raw *RawColumns) []byte {
	var mask uint64
	set := func(bit uint64, ok bool) {
		if ok {
			mask |= bit
		}
	}
	set(fModule, op.Module != "")
	set(fVersion, op.Version != 0)
	set(fDt, op.Dt != 0)
	set(fWeights, op.Weights != nil)
	set(fKeys, len(op.Keys) > 0)
	set(fColumns, op.Columns != nil || raw != nil)
	set(fComponent, op.Component != "")
	set(fName, op.Name != "")
	set(fValue, len(op.Value) > 0)
	set(fConfig, cfg != nil)
	set(fDeps, len(op.Deps) > 0)
	set(fGCAfter, op.GCAfter != 0)
	set(fFallback, op.Fallback != 0)
	set(fPolicy, op.Policy != versioning.FailurePolicy{})
	set(fPhase, op.Phase != "")
	set(fCause, op.Cause != "")
	set(fErr, op.Err != nil)
	set(fSum, op.Sum != 0)
	b = append(b, byte(op.Kind))
	b = appendUvarint(b, mask)
	if mask&fModule != 0 {
		b = appendString(b, op.Module)
	}
	if mask&fVersion != 0 {
		b = appendVarint(b, int64(op.Version))
	}
	if mask&fDt != 0 {
		b = appendVarint(b, int64(op.Dt))
	}
	if mask&fWeights != 0 {
		b = appendUvarint(b, uint64(len(op.Weights)))
		for _, n := range slices.Sorted(maps.Keys(op.Weights)) {
			b = appendVarint(b, int64(n))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(op.Weights[n]))
		}
	}
	if mask&fKeys != 0 {
		b = appendUvarint(b, uint64(len(op.Keys)))
		b = append(b, ecs.KeyBytes(op.Keys)...)
	}
	if mask&fColumns != 0 {
		if raw == nil {
			raw = rawOf(op.Columns)
		}
		b = appendRaw(b, raw)
	}
	if mask&fComponent != 0 {
		b = appendString(b, op.Component)
	}
	if mask&fName != 0 {
		b = appendString(b, op.Name)
	}
	if mask&fValue != 0 {
		b = appendBytes(b, op.Value)
	}
	if mask&fConfig != 0 {
		b = appendString(b, cfg.Codec)
		b = appendBytes(b, cfg.Data)
	}
	if mask&fDeps != 0 {
		b = appendUvarint(b, uint64(len(op.Deps)))
		for _, d := range op.Deps {
			b = appendString(b, d)
		}
	}
	if mask&fGCAfter != 0 {
		b = appendVarint(b, int64(op.GCAfter))
	}
	if mask&fFallback != 0 {
		b = appendVarint(b, int64(op.Fallback))
	}
	if mask&fPolicy != 0 {
		p := op.Policy
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.MaxRate))
		b = appendVarint(b, int64(p.Window))
		b = appendVarint(b, int64(p.MinSteps))
		b = appendVarint(b, int64(p.MaxConsecutive))
	}
	if mask&fPhase != 0 {
		b = appendString(b, op.Phase)
	}
	if mask&fCause != 0 {
		b = appendString(b, op.Cause)
	}
	if mask&fErr != 0 {
		b = appendString(b, errText(op.Err))
	}
	if mask&fSum != 0 {
		b = binary.LittleEndian.AppendUint32(b, op.Sum)
	}
	return b
}

// entityOp reports whether op is an OpCommand or an OpSetComponent with
// the fields a game's input fills and no other: the ops recorded by the
// thousand each frame, which appendEntityOp encodes.
func entityOp(op *versioning.Op) bool {
	return (op.Kind == versioning.OpCommand || op.Kind == versioning.OpSetComponent) &&
		op.Module != "" && len(op.Keys) > 0 && op.Version == 0 && op.Dt == 0 &&
		op.Weights == nil && op.Columns == nil && op.Config == nil && len(op.Deps) == 0 &&
		op.GCAfter == 0 && op.Fallback == 0 && op.Policy == (versioning.FailurePolicy{}) &&
		op.Phase == "" && op.Cause == "" && op.Err == nil && op.Sum == 0
}

// entityHead caches the constant parts of an entity op's record, which a
// frame of input repeats op after op: the bytes before the keys (kind, field
// mask, module) and those between the keys and the value (component, name).
type entityHead struct {
	kind                    versioning.OpKind
	module, component, name string
	value                   bool
	head, mid               []byte
}

// of returns the cached parts for op, rebuilding them when op differs.
func (h *entityHead) of(op *versioning.Op) (head, mid []byte) {
	value := len(op.Value) > 0
	if h.head != nil && h.kind == op.Kind && h.value == value && h.module == op.Module &&
		h.name == op.Name && h.component == op.Component {
		return h.head, h.mid
	}
	mask := uint64(fModule | fKeys)
	if op.Component != "" {
		mask |= fComponent
	}
	if op.Name != "" {
		mask |= fName
	}
	if value {
		mask |= fValue
	}
	h.kind, h.module, h.component, h.name, h.value = op.Kind, op.Module, op.Component, op.Name, value
	h.head = appendString(appendUvarint(append(h.head[:0], byte(op.Kind)), mask), op.Module)
	h.mid = h.mid[:0]
	if op.Component != "" {
		h.mid = appendString(h.mid, op.Component)
	}
	if op.Name != "" {
		h.mid = appendString(h.mid, op.Name)
	}
	return h.head, h.mid
}

// appendEntityOp appends the record of an op for which entityOp holds, the
// bytes appendOp would append (a test holds it to that), with the parts
// that repeat from op to op copied from h: a game's input is recorded at a
// fraction of appendOp's cost.
func appendEntityOp(b []byte, op *versioning.Op, h *entityHead) []byte {
	head, mid := h.of(op)
	keys := ecs.KeyBytes(op.Keys)
	b = slices.Grow(b, len(head)+len(mid)+len(keys)+len(op.Value)+2*binary.MaxVarintLen64)
	b = append(b, head...)
	b = binary.AppendUvarint(b, uint64(len(op.Keys)))
	b = append(b, keys...)
	b = append(b, mid...)
	if len(op.Value) > 0 {
		b = binary.AppendUvarint(b, uint64(len(op.Value)))
		b = append(b, op.Value...)
	}
	return b
}

// errText is err's message; a panicking Error method gives a placeholder.
func errText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = "(error message panicked)"
		}
	}()
	return err.Error()
}

// rawOf views columns as a RawColumns, without copying the data.
func rawOf(c *ecs.Columns) *RawColumns {
	r := &RawColumns{Keys: c.Keys}
	for _, comp := range c.Layout().Components() {
		r.Schemas = append(r.Schemas, comp.Schema())
		r.Data = append(r.Data, c.Raw(comp.ID()))
	}
	return r
}

// appendRaw appends the schemas, the keys and every column.
func appendRaw(b []byte, r *RawColumns) []byte {
	b = appendUvarint(b, uint64(len(r.Schemas)))
	for _, s := range r.Schemas {
		b = appendSchema(b, s)
	}
	b = appendUvarint(b, uint64(len(r.Keys)))
	b = append(b, ecs.KeyBytes(r.Keys)...)
	for _, d := range r.Data {
		b = append(b, d...)
	}
	return b
}

func appendSchema(b []byte, s ecs.Schema) []byte {
	b = appendString(b, s.Name)
	b = appendUvarint(b, uint64(s.Size))
	b = appendUvarint(b, uint64(s.Align))
	b = appendUvarint(b, uint64(len(s.Fields)))
	for _, f := range s.Fields {
		b = appendString(b, f.Path)
		b = append(b, byte(f.Kind))
		b = appendUvarint(b, uint64(f.Offset))
		b = appendUvarint(b, uint64(f.Count))
		var flags byte
		if f.NonFinite {
			flags = 1
		}
		b = append(b, flags)
	}
	return b
}

// appendCheckpoint appends a checkpoint record.
func appendCheckpoint(b []byte, cp *Checkpoint) []byte {
	b = append(b, kindCheckpoint)
	known := uint64(0)
	if cp.Known {
		known = 1
	}
	b = appendUvarint(b, known)
	b = appendUvarint(b, uint64(len(cp.Modules)))
	for _, m := range cp.Modules {
		b = appendString(b, m.Name)
		b = appendUvarint(b, uint64(len(m.Versions)))
		for _, v := range m.Versions {
			b = appendVarint(b, int64(v))
		}
	}
	return b
}

// decoder reads a block body; every read is bounds-checked and every
// length is checked against the bytes left before anything is allocated.
//
// Decoded slices alias the block's body, which is the records' own memory:
// a reader allocates a fresh body per block. Strings are interned per
// reader (module and command names repeat in every frame), and keys come
// from one allocation per block.
type decoder struct {
	b    []byte
	off  int
	err  error
	strs map[string]string
	keyz []ecs.Key
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("byte %d of the block body: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

func (d *decoder) byte1() byte {
	if d.err != nil || d.left() < 1 {
		d.fail("unexpected end")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// int decodes a varint that must fit an int32 (versions, counts).
func (d *decoder) int() int {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// count decodes a count of items of at least size bytes each.
func (d *decoder) count(size int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(d.left()/size) {
		d.fail("count %d exceeds the %d bytes left", v, d.left())
		return 0
	}
	return int(v)
}

func (d *decoder) raw(n int) []byte {
	if d.err != nil || n < 0 || n > d.left() {
		d.fail("%d bytes wanted, %d left", n, d.left())
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

func (d *decoder) bytes() []byte { return d.raw(d.count(1)) }

func (d *decoder) string() string {
	b := d.raw(d.count(1))
	if d.strs == nil {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < 1024 && len(s) <= 64 {
		d.strs[s] = s
	}
	return s
}

func (d *decoder) u32() uint32 {
	b := d.raw(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) u64() uint64 {
	b := d.raw(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (d *decoder) duration() time.Duration { return time.Duration(d.varint()) }

// record decodes one record of a block of the given frame.
func (d *decoder) record(frame uint64, configs *Configs) Record {
	kind := d.byte1()
	if kind == kindCheckpoint {
		return Record{Op: versioning.Op{Frame: frame}, Checkpoint: d.checkpoint(frame)}
	}
	var rec Record
	op := &rec.Op
	op.Kind, op.Frame = versioning.OpKind(kind), frame
	if _, ok := opKindNames[op.Kind]; !ok && d.err == nil {
		d.fail("unknown record kind %d", kind)
	}
	mask := d.uvarint()
	if mask&^fAll != 0 {
		d.fail("unknown fields %#x", mask&^fAll)
	}
	if mask&fModule != 0 {
		op.Module = d.string()
	}
	if mask&fVersion != 0 {
		op.Version = d.int()
	}
	if mask&fDt != 0 {
		op.Dt = d.duration()
	}
	if mask&fWeights != 0 {
		n := d.count(9)
		op.Weights = make(map[int]float64, n)
		for range n {
			v := d.int()
			op.Weights[v] = math.Float64frombits(d.u64())
		}
	}
	if mask&fKeys != 0 {
		op.Keys = d.keys(d.count(8))
	}
	if mask&fColumns != 0 {
		rec.Spawn = d.columns()
	}
	if mask&fComponent != 0 {
		op.Component = d.string()
	}
	if mask&fName != 0 {
		op.Name = d.string()
	}
	if mask&fValue != 0 {
		op.Value = d.bytes()
	}
	if mask&fConfig != 0 {
		rec.Config = &RawConfig{Codec: d.string(), Data: d.bytes()}
	}
	if mask&fDeps != 0 {
		n := d.count(1)
		op.Deps = make([]string, n)
		for i := range op.Deps {
			op.Deps[i] = d.string()
		}
	}
	if mask&fGCAfter != 0 {
		op.GCAfter = d.duration()
	}
	if mask&fFallback != 0 {
		op.Fallback = d.int()
	}
	if mask&fPolicy != 0 {
		op.Policy.MaxRate = math.Float64frombits(d.u64())
		op.Policy.Window = d.duration()
		op.Policy.MinSteps = d.int()
		op.Policy.MaxConsecutive = d.int()
	}
	if mask&fPhase != 0 {
		op.Phase = d.string()
	}
	if mask&fCause != 0 {
		op.Cause = d.string()
	}
	if mask&fErr != 0 {
		op.Err = &RecordedError{Cause: op.Cause, Msg: d.string()}
	}
	if mask&fSum != 0 {
		op.Sum = d.u32()
	}
	if rec.Config != nil && d.err == nil && configs != nil {
		if cfg, err := configs.Decode(*rec.Config); err == nil {
			op.Config = cfg
		}
	}
	return rec
}

// opKindNames lists the op kinds this format knows.
var opKindNames = func() map[versioning.OpKind]bool {
	m := map[versioning.OpKind]bool{}
	for k := versioning.OpTick; k <= versioning.OpCapture; k++ {
		m[k] = true
	}
	return m
}()

func (d *decoder) keys(n int) []ecs.Key {
	b := d.raw(n * 8)
	if b == nil {
		return nil
	}
	if cap(d.keyz)-len(d.keyz) < n {
		d.keyz = make([]ecs.Key, 0, max(n, (d.left()+len(b))/8))
	}
	start := len(d.keyz)
	for i := range n {
		d.keyz = append(d.keyz, ecs.Key(binary.LittleEndian.Uint64(b[8*i:])))
	}
	return d.keyz[start:len(d.keyz):len(d.keyz)]
}

func (d *decoder) columns() *RawColumns {
	n := d.count(4)
	rc := &RawColumns{Schemas: make([]ecs.Schema, 0, n)}
	for range n {
		s := d.schema()
		if d.err != nil {
			return nil
		}
		rc.Schemas = append(rc.Schemas, s)
	}
	rows := d.count(8)
	rc.Keys = d.keys(rows)
	for _, s := range rc.Schemas {
		if d.err == nil && rows > 0 && s.Size > d.left()/rows {
			d.fail("%d rows of %s (%d bytes) exceed the %d bytes left", rows, s.Name, s.Size, d.left())
		}
		rc.Data = append(rc.Data, d.raw(rows*s.Size))
	}
	if d.err != nil {
		return nil
	}
	return rc
}

func (d *decoder) schema() ecs.Schema {
	s := ecs.Schema{Name: d.string()}
	s.Size = int(min(d.uvarint(), math.MaxInt32))
	s.Align = int(min(d.uvarint(), 64))
	n := d.count(5)
	for range n {
		f := ecs.Field{Path: d.string(), Kind: ecs.Kind(d.byte1())}
		f.Offset = int(min(d.uvarint(), math.MaxInt32))
		f.Count = int(min(d.uvarint(), math.MaxInt32))
		f.NonFinite = d.byte1()&1 != 0
		s.Fields = append(s.Fields, f)
	}
	if d.err == nil {
		if err := s.Validate(); err != nil {
			d.fail("schema: %v", err)
		}
	}
	return s
}

func (d *decoder) checkpoint(frame uint64) *Checkpoint {
	cp := &Checkpoint{Frame: frame, Known: d.uvarint() == 1}
	n := d.count(2)
	for range n {
		m := ModuleVersions{Name: d.string()}
		k := d.count(1)
		for range k {
			m.Versions = append(m.Versions, d.int())
		}
		cp.Modules = append(cp.Modules, m)
	}
	return cp
}

package persist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// patch is a column of a delta: the runs of elements that differ from the
// base column, and their new bytes. The column has n elements, as many as
// the base's.
type patch struct {
	n    int
	runs []run
	data []byte
}

// run is a stretch of changed elements [start, start+len).
type run struct{ start, len int }

// append encodes the patch: the number of runs, each run as the gap since
// the end of the previous one and its length (uvarints, in elements), then
// the changed elements' bytes.
func (p *patch) append(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p.runs)))
	end := 0
	for _, r := range p.runs {
		b = binary.AppendUvarint(b, uint64(r.start-end))
		b = binary.AppendUvarint(b, uint64(r.len))
		end = r.start + r.len
	}
	return append(b, p.data...)
}

// uvarint reads an unsigned varint.
func (d *dec) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("%s: bad varint", what)
		return 0
	}
	d.off += n
	return v
}

// decodePatch reads a patch of a column of rows elements of elem bytes.
func decodePatch(d *dec, rows, elem int) *patch {
	nr := d.uvarint("run count")
	// Every run takes at least two bytes.
	if d.err == nil && nr > uint64(len(d.b)-d.off)/2 {
		d.fail("run count %d cannot fit", nr)
	}
	if d.err != nil {
		return nil
	}
	p := &patch{n: rows, runs: make([]run, 0, nr)}
	end, total := uint64(0), uint64(0)
	for range nr {
		at := d.off
		gap, ln := d.uvarint("run gap"), d.uvarint("run length")
		if d.err != nil {
			return nil
		}
		if ln == 0 || gap > uint64(rows) || ln > uint64(rows) || end+gap+ln > uint64(rows) {
			d.off = at
			d.fail("run (gap %d, length %d) outside %d rows", gap, ln, rows)
			return nil
		}
		p.runs = append(p.runs, run{int(end + gap), int(ln)})
		end += gap + ln
		total += ln
	}
	if left := uint64(len(d.b) - d.off); elem <= 0 || left%uint64(elem) != 0 || left/uint64(elem) != total {
		d.fail("patch holds %d bytes for %d changed rows of %d", len(d.b)-d.off, total, elem)
		return nil
	}
	p.data = d.b[d.off:]
	d.off = len(d.b)
	return p
}

// applyTo returns a copy of base with the patch applied.
func (p *patch) applyTo(base []byte, elem int) []byte {
	out := make([]byte, len(base))
	copy(out, base)
	k := 0
	for _, r := range p.runs {
		k += copy(out[r.start*elem:(r.start+r.len)*elem], p.data[k:])
	}
	return out
}

// diffBlock is how many elements diff compares at once before looking at
// single elements.
const diffBlock = 64

// diff appends to dst the patch that turns old into cur (equal lengths,
// elem-byte elements), and reports whether it is smaller than cur itself.
// Runs separated by a gap of a few bytes are merged: a run costs two or
// more bytes of its own.
func diff(dst, old, cur []byte, elem int) ([]byte, bool) {
	n := len(cur) / elem
	var runs []run
	changed := 0
	blk := diffBlock * elem
	for b := 0; b < n; b += diffBlock {
		lo, hi := b*elem, min(len(cur), b*elem+blk)
		if bytes.Equal(old[lo:hi], cur[lo:hi]) {
			continue
		}
		for i := b; i < min(n, b+diffBlock); i++ {
			if bytes.Equal(old[i*elem:(i+1)*elem], cur[i*elem:(i+1)*elem]) {
				continue
			}
			if k := len(runs) - 1; k >= 0 && (i-(runs[k].start+runs[k].len))*elem <= 2 {
				changed += i - (runs[k].start + runs[k].len) + 1
				runs[k].len = i - runs[k].start + 1
				continue
			}
			runs = append(runs, run{i, 1})
			changed++
		}
		// Give up early when the patch cannot beat the raw column.
		if changed*elem+2*len(runs) >= len(cur) {
			return dst, false
		}
	}
	head := len(dst)
	p := patch{n: n, runs: runs}
	dst = p.append(dst)
	for _, r := range runs {
		dst = append(dst, cur[r.start*elem:(r.start+r.len)*elem]...)
	}
	return dst, len(dst)-head < len(cur)
}

// WriteDelta writes cur as a delta against base: a binary file whose
// columns equal to base's columns in length are stored as patches (the
// runs of changed rows and their bytes) where that is smaller, and whole
// otherwise (after a structural change: entities added or removed). base
// must be a full file whose Checksum is that of its binary encoding (as
// [ReadFile] sets it, or as returned by [Store.Save]), and its frame must
// be before cur's. [File.Apply] turns the delta back into cur.
func WriteDelta(w io.Writer, cur, base *File) error {
	if err := cur.check(); err != nil {
		return err
	}
	if cur.Kind != KindFull || base == nil || base.Kind != KindFull {
		return fmt.Errorf("%w: a delta is written from two full files", ErrBase)
	}
	if base.Frame >= cur.Frame {
		return fmt.Errorf("%w: base frame %d is not before frame %d", ErrBase, base.Frame, cur.Frame)
	}
	_, _, err := encodeFile(w, cur, base)
	return err
}

// Apply returns the full file that delta f describes, given its base: the
// full file it was computed against, whose frame and checksum must be the
// ones f names. The result shares memory with f and base. Errors wrap
// [ErrBase].
func (f *File) Apply(base *File) (*File, error) {
	if f.Kind != KindDelta {
		return nil, fmt.Errorf("%w: not a delta", ErrBase)
	}
	if base == nil || base.Kind != KindFull {
		return nil, fmt.Errorf("%w: the base of a delta must be a full file", ErrBase)
	}
	if base.Frame != f.BaseFrame || base.Checksum != f.BaseChecksum {
		return nil, fmt.Errorf("%w: the delta's base is frame %d checksum %08x, given frame %d checksum %08x",
			ErrBase, f.BaseFrame, f.BaseChecksum, base.Frame, base.Checksum)
	}
	out := *f
	out.Kind, out.BaseFrame, out.BaseChecksum, out.Checksum = KindFull, 0, 0, 0
	out.Modules = make([]Module, len(f.Modules))
	for i := range f.Modules {
		m := &out.Modules[i]
		*m = f.Modules[i]
		m.Versions = make([]Version, len(f.Modules[i].Versions))
		copy(m.Versions, f.Modules[i].Versions)
		for j := range m.Versions {
			v := &m.Versions[j]
			v.World = cloneTable(&v.World)
			if v.Backup != nil {
				b := cloneTable(v.Backup)
				v.Backup = &b
			}
		}
		bm := base.module(m.Name)
		for _, c := range columnsOf(f, &f.Modules[i]) {
			p := c.patch(&f.Modules[i])
			if p == nil {
				continue
			}
			var old []byte
			if bm != nil {
				old = matchColumn(base, bm, f, &f.Modules[i], c)
			}
			if old == nil || c.elem <= 0 || len(old)%c.elem != 0 || len(old)/c.elem != p.n {
				return nil, fmt.Errorf("%w: %s: the base has no column of %d rows to patch", ErrBase, c.name(m, f), p.n)
			}
			setApplied(m, c, p.applyTo(old, c.elem))
		}
		m.gensPatch, m.freePatch = nil, nil
		for j := range m.Versions {
			m.Versions[j].World.patches = nil
			if b := m.Versions[j].Backup; b != nil {
				b.patches = nil
			}
		}
	}
	return &out, nil
}

// cloneTable copies a table's slice headers (not the bytes) so that
// patched columns can be replaced without touching the original.
func cloneTable(t *Table) Table {
	out := *t
	out.Columns = append([][]byte(nil), t.Columns...)
	out.patches = append([]*patch(nil), t.patches...)
	return out
}

// setApplied stores a patched column's new bytes.
func setApplied(m *Module, c colRef, b []byte) {
	switch c.kind {
	case colGens:
		m.Gens = u32sOf(b)
	case colFree:
		m.Free = u32sOf(b)
	case colKeys:
		c.table(m).Keys = keysOf(b)
	default:
		c.table(m).Columns[c.comp] = b
	}
}

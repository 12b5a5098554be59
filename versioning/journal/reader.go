package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segPrefix starts every segment's file name: journal.<first frame>, the
// time marker of the seed's world.123.
const segPrefix = "journal."

// SegmentName is the file name of the segment whose first frame is start.
func SegmentName(start uint64) string { return segPrefix + strconv.FormatUint(start, 10) }

// ParseSegmentName returns the first frame of a segment's file name.
func ParseSegmentName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, segPrefix)
	if !ok || rest == "" || len(rest) > 20 {
		return 0, false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(rest, 10, 64)
	return v, err == nil
}

// segment is one journal file.
type segment struct {
	path  string
	start uint64
}

// listSegments lists dir's segments by first frame.
func listSegments(fsys FS, dir string) ([]segment, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, n := range names {
		if start, ok := ParseSegmentName(n); ok {
			out = append(out, segment{path: filepath.Join(dir, n), start: start})
		}
	}
	slices.SortFunc(out, func(a, b segment) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return out, nil
}

// block is one frame block read from a segment.
type block struct {
	off   int64
	frame uint64
	count int
	n     int // body length
	body  []byte
}

// segReader reads the blocks of one segment, checking each one's length
// against the bytes left before it allocates, and its CRC-32C.
type segReader struct {
	f     ReadFile
	path  string
	size  int64
	off   int64 // the next block
	start uint64
	last  uint64 // frame of the last good block
	good  int    // good blocks read
	win   []byte
	wOff  int64
}

const window = 1 << 20

// openSeg opens a segment and checks its header. A damaged header gives a
// *CorruptError (a short one is ErrTornTail).
func openSeg(fsys FS, path string) (*segReader, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s := &segReader{f: f, path: path, size: st.Size(), off: headerSize}
	h, err := s.read(0, min(headerSize, int(s.size)))
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if len(h) < headerSize {
		_ = f.Close()
		return nil, &CorruptError{File: path, What: fmt.Sprintf("%d bytes, shorter than the header", len(h)), Kind: ErrTornTail}
	}
	start, err := parseHeader(h)
	if err != nil {
		_ = f.Close()
		kind := ErrCorrupt
		if errors.Is(err, ErrFormat) {
			kind = ErrFormat
		}
		return nil, &CorruptError{File: path, What: "header: " + err.Error(), Kind: kind}
	}
	s.start, s.last = start, start
	return s, nil
}

func (s *segReader) close() error { return s.f.Close() }

// read returns n bytes at off, through a window so that small blocks cost
// no system call each. The slice is valid until the next read.
func (s *segReader) read(off int64, n int) ([]byte, error) {
	if off >= s.wOff && off+int64(n) <= s.wOff+int64(len(s.win)) {
		return s.win[off-s.wOff : off-s.wOff+int64(n)], nil
	}
	size := max(n, window)
	size = int(min(int64(size), s.size-off))
	if size < n {
		return nil, io.ErrUnexpectedEOF
	}
	if cap(s.win) < size {
		s.win = make([]byte, size)
	}
	s.win = s.win[:size]
	if _, err := s.f.ReadAt(s.win, off); err != nil && !(errors.Is(err, io.EOF)) {
		s.win, s.wOff = s.win[:0], 0
		return nil, err
	}
	s.wOff = off
	return s.win[:n], nil
}

// damage builds the error for a bad block at off.
func (s *segReader) damage(off int64, format string, args ...any) *CorruptError {
	return &CorruptError{File: s.path, Offset: off, Frame: s.last, What: fmt.Sprintf(format, args...), Kind: ErrCorrupt}
}

// next returns the next block; io.EOF at the end of the segment. A bad
// block gives a *CorruptError of kind ErrCorrupt: the caller decides
// whether it is a torn tail ([segReader.validAfter]).
func (s *segReader) next() (block, error) {
	off := s.off
	if off == s.size {
		return block{}, io.EOF
	}
	if s.size-off < blockHeader {
		return block{}, s.damage(off, "%d bytes left, a block header needs %d", s.size-off, blockHeader)
	}
	h, err := s.read(off, blockHeader)
	if err != nil {
		return block{}, err
	}
	b, what := s.checkHeader(off, h)
	if what != "" {
		return block{}, s.damage(off, "%s", what)
	}
	// h is in the read window, which reading the body may move: keep
	// what is needed of it first.
	hdr := slices.Clone(h[8:blockHeader])
	want := binary.LittleEndian.Uint32(h[4:])
	body, err := s.read(off+blockHeader, b.n)
	if err != nil {
		return block{}, err
	}
	if crc := crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, body); crc != want {
		return block{}, s.damage(off, "block CRC-32C %#08x, stored %#08x", crc, want)
	}
	b.body = slices.Clone(body)
	s.off = off + blockHeader + int64(len(body))
	s.last = b.frame
	s.good++
	return b, nil
}

// checkHeader validates a block header at off against the segment: the
// length fits in what is left, the frame does not go backwards. It returns
// the block without its body, or what is wrong.
func (s *segReader) checkHeader(off int64, h []byte) (block, string) {
	n := int64(binary.LittleEndian.Uint32(h[0:]))
	b := block{off: off, frame: binary.LittleEndian.Uint64(h[8:]), count: int(binary.LittleEndian.Uint32(h[16:]))}
	flags := binary.LittleEndian.Uint32(h[20:])
	switch {
	case n > maxBlock || n > s.size-off-blockHeader:
		return b, fmt.Sprintf("block of %d bytes, %d left", n, s.size-off-blockHeader)
	case flags != 0:
		return b, fmt.Sprintf("block flags %#x", flags)
	case b.frame < s.last:
		return b, fmt.Sprintf("block frame %d before frame %d", b.frame, s.last)
	case b.count == 0 || int64(b.count) > n/2:
		return b, fmt.Sprintf("%d records in %d bytes", b.count, n)
	}
	b.n = int(n)
	return b, ""
}

// validAfter reports whether an intact block starts anywhere after off: if
// one does, the damage at off is in the middle of the segment, not a torn
// tail.
func (s *segReader) validAfter(off int64) bool {
	for p := off + 1; p+blockHeader <= s.size; p++ {
		h, err := s.read(p, blockHeader)
		if err != nil {
			return false
		}
		b, what := s.checkHeader(p, h)
		if what != "" {
			continue
		}
		hdr := slices.Clone(h[8:blockHeader])
		want := binary.LittleEndian.Uint32(h[4:])
		body, err := s.read(p+blockHeader, b.n)
		if err != nil {
			continue
		}
		if crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, body) == want {
			return true
		}
	}
	return false
}

// decodeBlock decodes a block's records.
func decodeBlock(b block, path string, configs *Configs) ([]Record, error) {
	d := &decoder{b: b.body}
	out := make([]Record, 0, min(b.count, 1024))
	for i := 0; i < b.count && d.err == nil; i++ {
		rec := d.record(b.frame, configs)
		rec.File, rec.Offset = path, b.off
		out = append(out, rec)
	}
	if d.err == nil && d.left() != 0 {
		d.fail("%d bytes after the last record", d.left())
	}
	if d.err != nil {
		return nil, &CorruptError{File: path, Offset: b.off, Frame: b.frame, What: d.err.Error(), Kind: ErrCorrupt}
	}
	return out, nil
}

// Reader reads a journal's records in order, across its segments. It is
// not safe for concurrent use.
//
// Damage in the last segment after which no intact block follows is a torn
// tail (a crash during an append): the reader stops before it, logs a
// warning and reports it by [Reader.Torn], unless it is [Strict]. Any other
// damage is an error wrapping [ErrCorrupt] (a *[CorruptError] with the file
// and offset).
type Reader struct {
	o    options
	segs []segment
	i    int
	cur  *segReader
	blk  block   // the block being decoded
	d    decoder // its decoder
	left int     // its records not yet returned
	path string  // its file
	strs map[string]string
	last uint64
	torn *CorruptError
	err  error
}

// Open opens a journal for reading: a directory of segments, or one
// segment file. Options: [WithFS], [WithLogger], [WithConfigs], [Strict].
func Open(path string, opts ...Option) (*Reader, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	r := &Reader{o: o, strs: map[string]string{}}
	if _, derr := o.fs.ReadDir(path); derr == nil {
		if r.segs, err = listSegments(o.fs, path); err != nil {
			return nil, err
		}
		return r, nil
	}
	f, err := o.fs.Open(path)
	if err != nil {
		return nil, err
	}
	_ = f.Close()
	start, _ := ParseSegmentName(filepath.Base(path))
	r.segs = []segment{{path: path, start: start}}
	return r, nil
}

// Segments lists the paths of the segments the reader reads, in order.
func (r *Reader) Segments() []string {
	out := make([]string, len(r.segs))
	for i, s := range r.segs {
		out[i] = s.path
	}
	return out
}

// SkipTo drops the segments that end before frame, so that reading starts
// at the segment holding it. Call it before the first Next.
func (r *Reader) SkipTo(frame uint64) {
	if r.cur != nil || r.i > 0 {
		return
	}
	k := 0
	for i, s := range r.segs {
		if s.start <= frame {
			k = i
		}
	}
	r.segs = r.segs[k:]
}

// Torn returns the torn tail the reader stopped before, if any.
func (r *Reader) Torn() *CorruptError { return r.torn }

// Next returns the next record, or io.EOF after the last one. The
// record's slices are its own (they alias memory no one else uses).
func (r *Reader) Next() (Record, error) {
	for r.left == 0 {
		if r.err != nil {
			return Record{}, r.err
		}
		r.err = r.fill()
	}
	rec := r.d.record(r.blk.frame, r.o.configs)
	r.left--
	if r.d.err == nil && r.left == 0 && r.d.left() != 0 {
		r.d.fail("%d bytes after the last record", r.d.left())
	}
	if r.d.err != nil {
		r.left = 0
		r.err = &CorruptError{File: r.path, Offset: r.blk.off, Frame: r.blk.frame, What: r.d.err.Error(), Kind: ErrCorrupt}
		return Record{}, r.err
	}
	rec.File, rec.Offset = r.path, r.blk.off
	return rec, nil
}

// fill reads the next block.
func (r *Reader) fill() error {
	for {
		if r.cur == nil {
			if r.i == len(r.segs) {
				return io.EOF
			}
			s, err := openSeg(r.o.fs, r.segs[r.i].path)
			if err != nil {
				return r.damaged(err, nil)
			}
			if s.start < r.last {
				_ = s.close()
				return &CorruptError{File: s.path, Frame: r.last, Kind: ErrCorrupt,
					What: fmt.Sprintf("segment starts at frame %d, after frame %d", s.start, r.last)}
			}
			if name, ok := ParseSegmentName(filepath.Base(s.path)); ok && name != s.start {
				_ = s.close()
				return &CorruptError{File: s.path, Kind: ErrCorrupt, What: fmt.Sprintf("header says frame %d, the name %d", s.start, name)}
			}
			r.cur = s
		}
		b, err := r.cur.next()
		if err == io.EOF {
			_ = r.cur.close()
			r.cur = nil
			r.i++
			continue
		}
		if err != nil {
			return r.damaged(err, r.cur)
		}
		r.blk, r.path, r.left = b, r.cur.path, b.count
		r.d = decoder{b: b.body, strs: r.strs}
		r.last = b.frame
		return nil
	}
}

// damaged classifies damage: a torn tail in the last segment stops the
// reader (an error if strict), anything else is corruption.
func (r *Reader) damaged(err error, s *segReader) error {
	var ce *CorruptError
	if !errors.As(err, &ce) {
		return err
	}
	last := r.i == len(r.segs)-1
	torn := last && (ce.Kind == ErrTornTail || (ce.Kind == ErrCorrupt && s != nil && !s.validAfter(ce.Offset)))
	if s != nil {
		_ = s.close()
		r.cur = nil
	}
	if !torn {
		return ce
	}
	ce.Kind = ErrTornTail
	r.torn = ce
	if r.o.strict {
		return ce
	}
	r.o.log.Warn("journal: torn tail ignored", "file", ce.File, "offset", ce.Offset, "after_frame", ce.Frame, "what", ce.What)
	return io.EOF
}

// Close releases the open segment.
func (r *Reader) Close() error {
	if r.cur != nil {
		err := r.cur.close()
		r.cur = nil
		return err
	}
	return nil
}

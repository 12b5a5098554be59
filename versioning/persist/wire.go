package persist

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/grove-engine/grove/ecs"
)

var le = binary.LittleEndian

// enc appends little-endian values to a buffer.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u32(v uint32) { e.b = le.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = le.AppendUint64(e.b, v) }
func (e *enc) i64(v int64)  { e.u64(uint64(v)) }
func (e *enc) int(v int)    { e.i64(int64(v)) }
func (e *enc) f64(v float64) {
	e.u64(math.Float64bits(v))
}
func (e *enc) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// str writes a length (u32) and the bytes.
func (e *enc) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) bytes(b []byte) {
	e.u32(uint32(len(b)))
	e.b = append(e.b, b...)
}

// dec reads little-endian values from a buffer, checking every length
// against the bytes that remain. The first failure sticks: later reads
// return zero values, and err reports the offset of the first.
type dec struct {
	b    []byte
	off  int
	base int64 // file offset of b[0]
	err  error
}

func (d *dec) pos() int64 { return d.base + int64(d.off) }

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = corruptAt(d.pos(), format, args...)
	}
}

// need reports whether n more bytes are there, failing otherwise.
func (d *dec) need(n int, what string) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("%s: need %d bytes, %d left", what, n, len(d.b)-d.off)
		return false
	}
	return true
}

func (d *dec) u8(what string) uint8 {
	if !d.need(1, what) {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *dec) u32(what string) uint32 {
	if !d.need(4, what) {
		return 0
	}
	v := le.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *dec) u64(what string) uint64 {
	if !d.need(8, what) {
		return 0
	}
	v := le.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func (d *dec) i64(what string) int64 { return int64(d.u64(what)) }

// int reads an i64 that must fit an int and lie in [lo, hi].
func (d *dec) int(what string, lo, hi int64) int {
	at := d.off
	v := d.i64(what)
	if d.err == nil && (v < lo || v > hi || int64(int(v)) != v) {
		d.off = at
		d.fail("%s: %d out of range [%d, %d]", what, v, lo, hi)
		return 0
	}
	return int(v)
}

func (d *dec) f64(what string) float64 { return math.Float64frombits(d.u64(what)) }

func (d *dec) bool(what string) bool {
	at := d.off
	v := d.u8(what)
	if v > 1 {
		d.off = at
		d.fail("%s: boolean byte %d", what, v)
	}
	return v == 1
}

// count reads a u32 count of elements that each take at least min bytes,
// failing if the remaining bytes cannot hold them (so a hostile count never
// drives a large allocation).
func (d *dec) count(what string, min int) int {
	at := d.off
	n := uint64(d.u32(what))
	if d.err == nil && min > 0 && n > uint64((len(d.b)-d.off)/min) {
		d.off = at
		d.fail("%s: count %d cannot fit in %d bytes", what, n, len(d.b)-d.off-4)
		return 0
	}
	return int(n)
}

// raw returns the next n bytes, without copying.
func (d *dec) raw(n int, what string) []byte {
	if !d.need(n, what) {
		return nil
	}
	b := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *dec) str(what string) string {
	n := d.count(what, 1)
	return string(d.raw(n, what))
}

// bytes returns a length-prefixed byte string, copied.
func (d *dec) bytes(what string) []byte {
	n := d.count(what, 1)
	b := d.raw(n, what)
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// keyBytes views keys as their little-endian bytes (a copy on a big-endian
// machine).
func keyBytes(keys []ecs.Key) []byte {
	if nativeLE {
		return ecs.KeyBytes(keys)
	}
	b := make([]byte, 8*len(keys))
	for i, k := range keys {
		le.PutUint64(b[8*i:], uint64(k))
	}
	return b
}

// u32Bytes views a []uint32 as little-endian bytes.
func u32Bytes(s []uint32) []byte {
	if len(s) == 0 {
		return nil
	}
	if nativeLE {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
	}
	b := make([]byte, 4*len(s))
	for i, v := range s {
		le.PutUint32(b[4*i:], v)
	}
	return b
}

// keysOf decodes little-endian key bytes, sharing b's memory when the
// machine and b's alignment allow.
func keysOf(b []byte) []ecs.Key {
	n := len(b) / 8
	if n == 0 {
		return []ecs.Key{}
	}
	if nativeLE && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 == 0 {
		return unsafe.Slice((*ecs.Key)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	keys := make([]ecs.Key, n)
	for i := range keys {
		keys[i] = ecs.Key(le.Uint64(b[8*i:]))
	}
	return keys
}

// u32sOf decodes little-endian uint32 bytes, sharing b's memory when
// possible.
func u32sOf(b []byte) []uint32 {
	n := len(b) / 4
	if n == 0 {
		return []uint32{}
	}
	if nativeLE && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = le.Uint32(b[4*i:])
	}
	return out
}

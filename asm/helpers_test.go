package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"unsafe"
)

// guardLen is how many sentinel elements surround every output buffer.
const guardLen = 16

// sentinelBits is the float32 pattern of the guards: a NaN no kernel writes
// there unless it writes out of bounds.
const sentinelBits = 0x7fa5a5a5

// sentinelByte fills the guards around flag buffers: neither false nor true.
const sentinelByte = 0xa5

var (
	negZero = math.Float32frombits(0x80000000)
	qNaN    = float32(math.NaN())
	negNaN  = math.Float32frombits(0xffc00001)
	sNaN    = math.Float32frombits(0x7f800001)
	posInf  = float32(math.Inf(1))
	negInf  = float32(math.Inf(-1))
)

// specials are the awkward values mixed into every input.
var specials = []float32{
	0, negZero, 1, -1, 0.5,
	qNaN, negNaN, sNaN, posInf, negInf,
	math.Float32frombits(1),          // smallest denormal
	math.Float32frombits(0x007fffff), // largest denormal
	-math.Float32frombits(0x00012345),
	3e38, -3e38, math.MaxFloat32, -math.MaxFloat32,
	math.SmallestNonzeroFloat32, 1.17549435e-38,
}

// finiteSpecials are the finite ones among specials.
var finiteSpecials = []float32{
	0, negZero, 1, -1, 0.5,
	math.Float32frombits(1), math.Float32frombits(0x007fffff),
	-math.Float32frombits(0x00012345),
	3e38, -3e38, math.MaxFloat32, -math.MaxFloat32, 1.17549435e-38,
}

// fill sets x to a mix of ordinary values and, one time in four, specials.
func fill(r *rand.Rand, x []float32, pool []float32) {
	for i := range x {
		if r.IntN(4) == 0 {
			x[i] = pool[r.IntN(len(pool))]
		} else {
			x[i] = float32(r.NormFloat64() * 100)
		}
	}
}

// guardedFloats is a float32 slice of n elements, off elements into a buffer
// whose other elements are sentinels.
type guardedFloats struct {
	buf    []float32
	off, n int
}

func newGuardedFloats(off, n int) guardedFloats {
	g := guardedFloats{buf: make([]float32, guardLen+off+n+guardLen), off: guardLen + off, n: n}
	for i := range g.buf {
		g.buf[i] = math.Float32frombits(sentinelBits)
	}
	return g
}

// data is the slice under test, its capacity cut to its length.
func (g guardedFloats) data() []float32 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

// guardsIntact reports the first guard element that is no longer a sentinel.
func (g guardedFloats) guardsIntact() error {
	for i, f := range g.buf {
		if i >= g.off && i < g.off+g.n {
			continue
		}
		if math.Float32bits(f) != sentinelBits {
			return fmt.Errorf("guard at buffer index %d (data is [%d, %d)) overwritten with %#08x",
				i, g.off, g.off+g.n, math.Float32bits(f))
		}
	}
	return nil
}

// guardedFlags is the same for a []bool, kept as bytes so the guards can hold
// a value that is neither false nor true.
type guardedFlags struct {
	buf    []byte
	off, n int
}

func newGuardedFlags(off, n int) guardedFlags {
	g := guardedFlags{buf: make([]byte, guardLen+off+n+guardLen), off: guardLen + off, n: n}
	for i := range g.buf {
		g.buf[i] = sentinelByte
	}
	return g
}

func (g guardedFlags) data() []bool {
	return unsafe.Slice((*bool)(unsafe.Pointer(&g.buf[g.off])), g.n)
}

// bytes are the flags as the bytes in memory: each must be exactly 0 or 1.
func (g guardedFlags) bytes() []byte { return g.buf[g.off : g.off+g.n] }

func (g guardedFlags) guardsIntact() error {
	for i, b := range g.buf {
		if i >= g.off && i < g.off+g.n {
			continue
		}
		if b != sentinelByte {
			return fmt.Errorf("flag guard at buffer index %d (data is [%d, %d)) overwritten with %#02x",
				i, g.off, g.off+g.n, b)
		}
	}
	return nil
}

// sameFloat reports whether got is what the reference want allows: the same
// bits, or any NaN where want is a NaN.
func sameFloat(got, want float32) bool {
	if want != want {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// firstDiff returns the first index where got and want differ by sameFloat,
// or -1.
func firstDiff(got, want []float32) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range got {
		if !sameFloat(got[i], want[i]) {
			return i
		}
	}
	return -1
}

// bitsEqual reports whether a and b are the same bits, NaN payloads included
// (for inputs that must stay untouched).
func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

package asm

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsFrom reinterprets b as little-endian float32s (a trailing partial
// float is dropped).
func floatsFrom(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}

// bytesOf is the inverse of floatsFrom, for seeds.
func bytesOf(x ...float32) []byte {
	b := make([]byte, 4*len(x))
	for i, f := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// seed is an input of 70 floats (several blocks plus a tail) full of specials.
func seed() []byte {
	x := make([]float32, 70)
	for i := range x {
		x[i] = specials[i%len(specials)] * float32(i%3+1)
	}
	return bytesOf(x...)
}

func FuzzIntegrate(f *testing.F) {
	f.Add(seed(), float32(1.0/60))
	f.Add(bytesOf(1, 2, 3, 4, 5, 6), float32(-3e38))
	f.Fuzz(func(t *testing.T, data []byte, dt float32) {
		x := floatsFrom(data)
		n := len(x) / 2
		p0, v := x[:n], x[n:2*n]
		want := append([]float32(nil), p0...)
		integrateGeneric(want, v, dt)
		for _, im := range Impls() {
			p := append([]float32(nil), p0...)
			im.Integrate(p, v, dt)
			if i := firstDiff(p, want); i >= 0 {
				t.Fatalf("%s: n=%d dt=%v: p[%d] = %#08x, want %#08x", im.Name, n, dt, i,
					math.Float32bits(p[i]), math.Float32bits(want[i]))
			}
		}
	})
}

func FuzzGravity(f *testing.F) {
	f.Add(seed(), float32(0), float32(-9.81), float32(1.0/60))
	f.Add(bytesOf(1, 2, 3, 4), float32(3e38), float32(-3e38), float32(2))
	f.Fuzz(func(t *testing.T, data []byte, ax, ay, dt float32) {
		x := floatsFrom(data)
		n := len(x) / 4 // entities
		p0, v0 := x[:2*n], x[2*n:4*n]
		wantP := append([]float32(nil), p0...)
		wantV := append([]float32(nil), v0...)
		gravityGeneric(wantP, wantV, ax, ay, dt)
		for _, im := range Impls() {
			p := append([]float32(nil), p0...)
			v := append([]float32(nil), v0...)
			im.Gravity(p, v, ax, ay, dt)
			if i := firstDiff(v, wantV); i >= 0 {
				t.Fatalf("%s: n=%d: v[%d] = %#08x, want %#08x", im.Name, n, i, math.Float32bits(v[i]), math.Float32bits(wantV[i]))
			}
			if i := firstDiff(p, wantP); i >= 0 {
				t.Fatalf("%s: n=%d: p[%d] = %#08x, want %#08x", im.Name, n, i, math.Float32bits(p[i]), math.Float32bits(wantP[i]))
			}
		}
	})
}

func FuzzBounds(f *testing.F) {
	f.Add(seed(), float32(-1), float32(1))
	f.Add(bytesOf(-1, 1, 1, -1, 0, 2), float32(-1), float32(1))
	f.Fuzz(func(t *testing.T, data []byte, min, max float32) {
		p := floatsFrom(data)
		n := len(p) / 2
		want := make([]bool, n)
		boundsGeneric(want, p, min, max)
		for _, im := range Impls() {
			flags := make([]bool, n)
			for i := range flags {
				flags[i] = i%2 == 0 // garbage the kernel must overwrite
			}
			im.Bounds(flags, p, min, max)
			for i := range flags {
				if flags[i] != want[i] {
					t.Fatalf("%s: n=%d [%v, %v]: flag[%d] = %v, want %v (x=%v y=%v)",
						im.Name, n, min, max, i, flags[i], want[i], p[2*i], p[2*i+1])
				}
			}
		}
	})
}

func FuzzFirstNonFinite(f *testing.F) {
	f.Add(seed())
	f.Add(bytesOf(1, 2, 3))
	f.Add(make([]byte, 4*100))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := floatsFrom(data)
		want := firstNonFiniteGeneric(x)
		for _, im := range Impls() {
			if got := im.FirstNonFinite(x); got != want {
				t.Fatalf("%s: n=%d: got %d, want %d", im.Name, len(x), got, want)
			}
		}
	})
}

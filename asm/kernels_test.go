package asm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxLen is the longest input the exhaustive tests try; every length from 0
// to maxLen runs, at offsets 0..maxOff floats into a guarded buffer.
const (
	maxLen = 300
	maxOff = 7
)

func TestIntegrateMatchesReference(t *testing.T) {
	dts := []float32{1.0 / 60, -0.25, 0, negZero, 3e38, 1e-40, qNaN, posInf}
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			for n := 0; n <= maxLen; n++ {
				for off := 0; off <= maxOff; off++ {
					voff := (off*3 + 1) % (maxOff + 1)
					dt := dts[(n+off)%len(dts)]
					p := newGuardedFloats(off, n)
					v := newGuardedFloats(voff, n)
					fill(r, p.data(), specials)
					fill(r, v.data(), specials)
					want := append([]float32(nil), p.data()...)
					vIn := append([]float32(nil), v.data()...)
					integrateGeneric(want, vIn, dt)

					im.Integrate(p.data(), v.data(), dt)

					if i := firstDiff(p.data(), want); i >= 0 {
						t.Fatalf("n=%d off=%d dt=%v: p[%d] = %#08x, want %#08x (p was %v, v %v)", n, off, dt, i,
							math.Float32bits(p.data()[i]), math.Float32bits(want[i]), p.data()[i], vIn[i])
					}
					require.NoError(t, p.guardsIntact(), "n=%d off=%d", n, off)
					require.NoError(t, v.guardsIntact(), "n=%d off=%d", n, off)
					require.True(t, bitsEqual(v.data(), vIn), "n=%d off=%d: v was written", n, off)
				}
			}
		})
	}
}

func TestIntegrateLongerV(t *testing.T) {
	for _, im := range Impls() {
		p := []float32{1, 2, 3}
		v := []float32{1, 1, 1, 7, 7}
		im.Integrate(p, v, 2)
		assert.Equal(t, []float32{3, 4, 5}, p, im.Name)
		assert.Equal(t, []float32{1, 1, 1, 7, 7}, v, im.Name)
	}
}

func TestGravityMatchesReference(t *testing.T) {
	type accel struct{ ax, ay, dt float32 }
	accels := []accel{
		{0, -9.81, 1.0 / 60}, {3e38, -3e38, 2}, {1e-40, 1e-40, 0.5}, {1, 2, negZero},
		{qNaN, 1, 1.0 / 60}, {posInf, 0, 1}, {-5, 7, 1e-39}, {100, -100, 3e38},
	}
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			for n := 0; n <= maxLen; n++ { // entities
				for off := 0; off <= maxOff; off++ {
					voff := (off*5 + 3) % (maxOff + 1)
					a := accels[(n+off)%len(accels)]
					p := newGuardedFloats(off, 2*n)
					v := newGuardedFloats(voff, 2*n)
					fill(r, p.data(), specials)
					fill(r, v.data(), specials)
					wantP := append([]float32(nil), p.data()...)
					wantV := append([]float32(nil), v.data()...)
					gravityGeneric(wantP, wantV, a.ax, a.ay, a.dt)

					im.Gravity(p.data(), v.data(), a.ax, a.ay, a.dt)

					if i := firstDiff(v.data(), wantV); i >= 0 {
						t.Fatalf("n=%d off=%d %+v: v[%d] = %#08x, want %#08x", n, off, a, i,
							math.Float32bits(v.data()[i]), math.Float32bits(wantV[i]))
					}
					if i := firstDiff(p.data(), wantP); i >= 0 {
						t.Fatalf("n=%d off=%d %+v: p[%d] = %#08x, want %#08x", n, off, a, i,
							math.Float32bits(p.data()[i]), math.Float32bits(wantP[i]))
					}
					require.NoError(t, p.guardsIntact(), "n=%d off=%d", n, off)
					require.NoError(t, v.guardsIntact(), "n=%d off=%d", n, off)
				}
			}
		})
	}
}

func TestGravityLaneOrder(t *testing.T) {
	// ax must land on x lanes and ay on y lanes, at every position.
	for _, im := range Impls() {
		const n = 37
		p := make([]float32, 2*n)
		v := make([]float32, 2*n)
		im.Gravity(p, v, 1, 2, 1)
		for i := 0; i < n; i++ {
			require.Equal(t, [2]float32{1, 2}, [2]float32{v[2*i], v[2*i+1]}, "%s: v of entity %d", im.Name, i)
			require.Equal(t, [2]float32{1, 2}, [2]float32{p[2*i], p[2*i+1]}, "%s: p of entity %d", im.Name, i)
		}
	}
}

func TestBoundsMatchesReference(t *testing.T) {
	type box struct{ min, max float32 }
	boxes := []box{{-100, 100}, {-1, 1}, {0, 0}, {negZero, 0}, {1, -1}, {negInf, posInf}, {qNaN, 1}, {-3e38, 3e38}}
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			for n := 0; n <= maxLen; n++ { // entities
				for off := 0; off <= maxOff; off++ {
					b := boxes[(n+off)%len(boxes)]
					// Values on and around the edges, plus the specials.
					pool := append([]float32{
						b.min, b.max, math.Nextafter32(b.min, negInf), math.Nextafter32(b.max, posInf),
						math.Nextafter32(b.min, posInf), math.Nextafter32(b.max, negInf),
					}, specials...)
					pbuf := make([]float32, off+2*n+1) // one spare float past the entities
					p := pbuf[off:]
					fill(r, p, pool)
					// Keep about half the entities fully inside.
					for i := 0; i < n; i++ {
						if r.IntN(2) == 0 && b.min <= b.max {
							p[2*i] = pool[r.IntN(2)]
							p[2*i+1] = float32(math.Max(float64(b.min), math.Min(float64(b.max), r.NormFloat64())))
						}
					}
					pIn := append([]float32(nil), pbuf...)
					want := make([]bool, n)
					boundsGeneric(want, p, b.min, b.max)
					flags := newGuardedFlags(off, n)

					im.Bounds(flags.data(), p, b.min, b.max)

					for i, got := range flags.bytes() {
						wantByte := byte(0)
						if want[i] {
							wantByte = 1
						}
						if got != wantByte {
							t.Fatalf("n=%d off=%d box=%+v: flag[%d] = %#02x, want %#02x (x=%v y=%v)",
								n, off, b, i, got, wantByte, p[2*i], p[2*i+1])
						}
					}
					require.NoError(t, flags.guardsIntact(), "n=%d off=%d", n, off)
					require.True(t, bitsEqual(pbuf, pIn), "n=%d off=%d: p was written", n, off)
				}
			}
		})
	}
}

func TestBoundsEdges(t *testing.T) {
	p := []float32{
		-1, 1, // on the edges: inside
		1, -1,
		0, 0,
		math.Nextafter32(-1, -2), 0, // just outside
		0, math.Nextafter32(1, 2),
		qNaN, 0, // NaN is outside
		0, negNaN,
		posInf, 0,
		0, negInf,
		negZero, 0,
	}
	want := []bool{false, false, false, true, true, true, true, true, true, false}
	for _, im := range Impls() {
		flags := make([]bool, len(want))
		im.Bounds(flags, p, -1, 1)
		assert.Equal(t, want, flags, im.Name)
		// A NaN bound puts everything outside.
		im.Bounds(flags, p, qNaN, 1)
		for i, f := range flags {
			assert.True(t, f, "%s: NaN min, entity %d", im.Name, i)
		}
	}
}

func TestFirstNonFiniteMatchesReference(t *testing.T) {
	nonFinite := []float32{qNaN, negNaN, sNaN, posInf, negInf, math.Float32frombits(0xff800001), math.Float32frombits(0x7fffffff)}
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			check := func(x []float32, n, off int, what string) {
				t.Helper()
				in := append([]float32(nil), x...)
				want := firstNonFiniteGeneric(x)
				got := im.FirstNonFinite(x)
				if got != want {
					t.Fatalf("n=%d off=%d %s: got %d, want %d", n, off, what, got, want)
				}
				require.True(t, bitsEqual(x, in), "n=%d off=%d: x was written", n, off)
			}
			for n := 0; n <= maxLen; n++ {
				for off := 0; off <= maxOff; off++ {
					x := newGuardedFloats(off, n).data()
					fill(r, x, finiteSpecials)
					check(x, n, off, "all finite")
					if n == 0 {
						continue
					}
					// A hit at each position in turn (for one offset; a few
					// positions for the others).
					for k := 0; k < n; k++ {
						if off != 0 && k%17 != n%17 && k != n-1 {
							continue
						}
						old := x[k]
						x[k] = nonFinite[(k+n)%len(nonFinite)]
						check(x, n, off, "one hit")
						// A second, later hit must not win.
						if k+1 < n {
							j := k + 1 + r.IntN(n-k-1)
							old2 := x[j]
							x[j] = nonFinite[r.IntN(len(nonFinite))]
							check(x, n, off, "two hits")
							x[j] = old2
						}
						x[k] = old
					}
				}
			}
		})
	}
}

func TestFirstNonFiniteKnown(t *testing.T) {
	for _, im := range Impls() {
		assert.Equal(t, -1, im.FirstNonFinite(nil), im.Name)
		assert.Equal(t, -1, im.FirstNonFinite([]float32{math.MaxFloat32, -math.MaxFloat32, math.Float32frombits(1), negZero}), im.Name)
		x := make([]float32, 1000)
		assert.Equal(t, -1, im.FirstNonFinite(x), im.Name)
		x[999] = posInf
		assert.Equal(t, 999, im.FirstNonFinite(x), im.Name)
		x[64] = sNaN
		assert.Equal(t, 64, im.FirstNonFinite(x), im.Name)
		x[63] = negInf
		assert.Equal(t, 63, im.FirstNonFinite(x), im.Name)
		x[0] = qNaN
		assert.Equal(t, 0, im.FirstNonFinite(x), im.Name)
	}
}

func TestLengthPanics(t *testing.T) {
	type impl struct {
		name           string
		integrate      func(p, v []float32, dt float32)
		gravity        func(p, v []float32, ax, ay, dt float32)
		bounds         func(flags []bool, p []float32, min, max float32)
		firstNonFinite func(x []float32) int
	}
	all := []impl{{"exported", Integrate, Gravity, Bounds, FirstNonFinite}}
	for _, im := range Impls() {
		all = append(all, impl{im.Name, im.Integrate, im.Gravity, im.Bounds, im.FirstNonFinite})
	}
	for _, im := range all {
		assert.Panics(t, func() { im.integrate(make([]float32, 9), make([]float32, 8), 1) }, im.name)
		assert.NotPanics(t, func() { im.integrate(make([]float32, 8), make([]float32, 9), 1) }, im.name)
		assert.Panics(t, func() { im.gravity(make([]float32, 9), make([]float32, 9), 0, 0, 1) }, im.name)
		assert.Panics(t, func() { im.gravity(make([]float32, 10), make([]float32, 8), 0, 0, 1) }, im.name)
		assert.NotPanics(t, func() { im.gravity(make([]float32, 8), make([]float32, 9), 0, 0, 1) }, im.name)
		assert.Panics(t, func() { im.bounds(make([]bool, 5), make([]float32, 9), 0, 1) }, im.name)
		assert.NotPanics(t, func() { im.bounds(make([]bool, 4), make([]float32, 9), 0, 1) }, im.name)
		assert.NotPanics(t, func() { im.firstNonFinite(nil) }, im.name)
	}
}

func TestExportedMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 1001 // entities
	p := make([]float32, 2*n)
	v := make([]float32, 2*n)
	fill(r, p, specials)
	fill(r, v, specials)
	wantP := append([]float32(nil), p...)
	wantV := append([]float32(nil), v...)

	Integrate(p, v, 0.1)
	integrateGeneric(wantP, wantV, 0.1)
	require.Equal(t, -1, firstDiff(p, wantP))

	Gravity(p, v, 1, -2, 0.1)
	gravityGeneric(wantP, wantV, 1, -2, 0.1)
	require.Equal(t, -1, firstDiff(p, wantP))
	require.Equal(t, -1, firstDiff(v, wantV))

	flags, wantFlags := make([]bool, n), make([]bool, n)
	Bounds(flags, p, -50, 50)
	boundsGeneric(wantFlags, p, -50, 50)
	assert.Equal(t, wantFlags, flags)

	assert.Equal(t, firstNonFiniteGeneric(p), FirstNonFinite(p))
}

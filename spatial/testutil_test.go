package spatial

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// A layout generates n positions for entities of the given radius.
type layout struct {
	name string
	gen  func(rng *rand.Rand, n int, r float32) []float32
	maxN int // cap on n where every pair overlaps, to keep the tests quick; 0 for none
}

// layouts covers the shapes the grid must handle exactly.
var layouts = []layout{
	{name: "uniform", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		// About 2 neighbours per entity, as in the benchmarks.
		side := 5 * r * float32(math.Sqrt(float64(n)+1))
		pos := make([]float32, 2*n)
		for i := range pos {
			pos[i] = (rng.Float32() - 0.5) * side
		}
		return pos
	}},
	{name: "clustered", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		k := 1 + rng.IntN(5)
		cx := make([]float64, 2*k)
		for i := range cx {
			cx[i] = (rng.Float64() - 0.5) * 100 * float64(r)
		}
		pos := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			c := rng.IntN(k)
			pos[2*i] = float32(cx[2*c] + rng.NormFloat64()*2*float64(r))
			pos[2*i+1] = float32(cx[2*c+1] + rng.NormFloat64()*2*float64(r))
		}
		return pos
	}},
	{name: "one-point", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		x, y := (rng.Float32()-0.5)*1e6, (rng.Float32()-0.5)*1e6
		pos := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			pos[2*i], pos[2*i+1] = x, y
		}
		return pos
	}, maxN: 200},
	{name: "lattice", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		// Coordinates on multiples of r/2 (exact in float32 for the radii
		// used): many pairs at exactly 2r, many points on cell borders.
		side := 1 + int(math.Sqrt(float64(n)))
		off := float32(rng.IntN(9) - 4)
		pos := make([]float32, 2*n)
		for i := range pos {
			pos[i] = (float32(rng.IntN(4*side)) + off) * r / 2
		}
		return pos
	}},
	{name: "huge", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		extremes := []float32{1e30, -1e30, 3e38, -3e38, math.MaxFloat32, -math.MaxFloat32,
			math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0}
		pos := make([]float32, 2*n)
		for i := range pos {
			switch rng.IntN(4) {
			case 0:
				pos[i] = extremes[rng.IntN(len(extremes))]
			case 1:
				// Neighbours of an extreme, a few float32 steps away.
				v := extremes[rng.IntN(len(extremes))]
				for range rng.IntN(3) {
					v = math.Nextafter32(v, 0)
				}
				pos[i] = v
			default:
				pos[i] = (rng.Float32() - 0.5) * 20 * r
			}
		}
		return pos
	}},
	{name: "non-finite", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		side := 5 * r * float32(math.Sqrt(float64(n)+1))
		pos := make([]float32, 2*n)
		for i := range pos {
			if rng.IntN(5) == 0 {
				pos[i] = bad[rng.IntN(len(bad))]
			} else {
				pos[i] = (rng.Float32() - 0.5) * side
			}
		}
		return pos
	}},
	{name: "line", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		// A long thin world, far more cells along x than fit the budget;
		// every other entity sits close to the one before.
		pos := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			if i%2 == 1 {
				pos[2*i] = pos[2*i-2] + r*rng.Float32()
				pos[2*i+1] = pos[2*i-1] + r*rng.Float32()
				continue
			}
			pos[2*i] = rng.Float32() * 1e4 * r * float32(n+1)
			pos[2*i+1] = rng.Float32() * r
		}
		return pos
	}},
}

// radii covers ordinary, tiny (subnormal-scale) and huge radii.
var radii = []float32{2, 0.5, 1e-40, 3e31, 1e36}

// cellsFor returns cell sides to try with radius r: exactly 2r, larger, and
// smaller (so the search reaches beyond the 3×3 neighbourhood).
func cellsFor(rng *rand.Rand, r float32) []float32 {
	return []float32{
		2 * r,
		2 * r * (1 + 2*rng.Float32()),
		2 * r / float32(2+rng.IntN(3)),
	}
}

func sortPairs(p []Pair) {
	slices.SortFunc(p, func(a, b Pair) int {
		if c := cmp.Compare(a.A, b.A); c != 0 {
			return c
		}
		return cmp.Compare(a.B, b.B)
	})
}

// posFromBytes reads data as positions. mode 0 reinterprets each 4 bytes as a
// float32; mode 1 reads int8 coordinates in steps of 0.5, so entities often
// touch exactly; mode 2 reads int8 coordinates scaled by 1e37, mixing
// huge and small values.
func posFromBytes(data []byte, mode uint8) []float32 {
	var pos []float32
	switch mode % 3 {
	case 0:
		for len(data) >= 4 {
			bits := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
			pos = append(pos, math.Float32frombits(bits))
			data = data[4:]
		}
	case 1:
		for _, b := range data {
			pos = append(pos, float32(int8(b))*0.5)
		}
	default:
		for i, b := range data {
			v := float32(int8(b))
			if i%3 == 0 {
				v *= 1e37
			}
			pos = append(pos, v)
		}
	}
	return pos
}

package htmlreport

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomWalk(n int, seed uint64) []Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]Point, n)
	y := 0.0
	for i := range pts {
		y += rng.NormFloat64()
		pts[i] = Point{float64(i) * 0.25, y}
	}
	return pts
}

func TestDownsampleProperties(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 10, 599, 600, 601, 9000} {
		for _, n := range []int{-1, 0, 2, 3, 7, 100, 600} {
			pts := randomWalk(size, uint64(size*1000+n+1))
			orig := slices.Clone(pts)
			got := Downsample(pts, n)
			assert.Equal(t, orig, pts, "the input is not modified")
			limit := max(n, 2)
			if size <= limit {
				assert.Equal(t, orig, got, "size %d n %d: short input kept whole", size, n)
				continue
			}
			require.Len(t, got, limit, "size %d n %d", size, n)
			assert.Equal(t, pts[0], got[0], "first kept")
			assert.Equal(t, pts[size-1], got[len(got)-1], "last kept")
			// a subsequence of the input, in order
			j := 0
			for _, p := range got {
				for j < size && pts[j] != p {
					j++
				}
				require.Less(t, j, size, "size %d n %d: %v is not an input point in order", size, n, p)
				j++
			}
		}
	}
}

func TestDownsampleKeepsSpike(t *testing.T) {
	pts := make([]Point, 9000)
	for i := range pts {
		pts[i] = Point{float64(i), math.Sin(float64(i) / 300)}
	}
	pts[4321].Y = 50
	pts[6000].Y = -40
	got := Downsample(pts, 300)
	assert.Contains(t, got, pts[4321], "a one-sample peak survives")
	assert.Contains(t, got, pts[6000], "a one-sample dip survives")
}

func TestDownsampleDropsNonFinite(t *testing.T) {
	got := Downsample([]Point{{0, 1}, {1, math.NaN()}, {math.Inf(-1), 2}, {3, math.Inf(1)}, {4, 5}}, 10)
	assert.Equal(t, []Point{{0, 1}, {4, 5}}, got)
}

// interpolate returns the piecewise linear interpolation of (xs[idx],
// ys[idx]) at x.
func interpolate(xs, ys []float64, idx []int, x float64) float64 {
	for k := 1; k < len(idx); k++ {
		a, b := idx[k-1], idx[k]
		if x <= xs[b] {
			if xs[b] == xs[a] {
				return ys[b]
			}
			return ys[a] + (ys[b]-ys[a])*(x-xs[a])/(xs[b]-xs[a])
		}
	}
	return ys[idx[len(idx)-1]]
}

func TestDropFlatIsExactForSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const size = 5000
	xs := make([]float64, size)
	ys := [][]float64{make([]float64, size), make([]float64, size)}
	for i := range xs {
		xs[i] = float64(i)
		for s := range ys {
			if i > 0 && rng.IntN(200) != 0 {
				ys[s][i] = ys[s][i-1]
			} else {
				ys[s][i] = float64(rng.IntN(100))
			}
		}
	}
	idx := dropFlat(ys)
	assert.Less(t, len(idx), size/10, "step data shrinks a lot")
	assert.Equal(t, 0, idx[0])
	assert.Equal(t, size-1, idx[len(idx)-1])
	for s := range ys {
		for i, x := range xs {
			require.Equal(t, ys[s][i], interpolate(xs, ys[s], idx, x), "series %d sample %d is reproduced", s, i)
		}
	}
	assert.Nil(t, dropFlat(nil))
	assert.Equal(t, []int{0}, dropFlat([][]float64{{7}}))
}

func TestBuildStackConservesTotal(t *testing.T) {
	// entities move between three layers; the total is constant, and the
	// top of the stack must say so at every kept time, downsampled or not
	rng := rand.New(rand.NewPCG(5, 6))
	const frames, total = 9000, 1000
	series := []Series{{Name: "v1"}, {Name: "v2"}, {Name: "v3"}}
	for f := range frames {
		a := rng.IntN(total + 1)
		b := rng.IntN(total - a + 1)
		x := float64(f) / 60
		series[0].Points = append(series[0].Points, Point{x, float64(a)})
		series[1].Points = append(series[1].Points, Point{x, float64(b)})
		if c := total - a - b; c > 0 { // missing samples count as 0
			series[2].Points = append(series[2].Points, Point{x, float64(c)})
		}
	}
	for _, maxPoints := range []int{2, 50, 600, 20000} {
		st := buildStack(series, Range{0, 150}, maxPoints)
		require.LessOrEqual(t, len(st.xs), maxPoints)
		require.True(t, slices.IsSorted(st.xs))
		for i := range st.xs {
			require.Equal(t, float64(total), st.tops[2][i])
			require.LessOrEqual(t, st.tops[0][i], st.tops[1][i])
		}
	}
}

func TestBuildStackUnionAndDuplicates(t *testing.T) {
	series := []Series{
		{Name: "a", Points: []Point{{2, 5}, {0, 1}, {1, 3}, {1, 4}}}, // unsorted; x=1 twice, the last wins
		{Name: "b", Points: []Point{{1.5, 2}, {9, 9}}},               // x=9 outside the domain
	}
	st := buildStack(series, Range{0, 3}, 100)
	assert.Equal(t, []float64{0, 1, 1.5, 2}, st.xs)
	assert.Equal(t, []float64{1, 4, 0, 5}, st.tops[0])
	assert.Equal(t, []float64{1, 4, 2, 5}, st.tops[1])
}

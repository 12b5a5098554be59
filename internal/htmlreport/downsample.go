package htmlreport

import "math"

// DefaultMaxPoints is the number of points per series per chart that Render
// keeps unless WithMaxPoints says otherwise. About one point per two pixels
// of plot width: more would not show.
const DefaultMaxPoints = 600

// Downsample reduces pts to at most n points with the
// largest-triangle-three-buckets algorithm (Steinarsson, 2013): the first
// and last points are kept, the others are split into n-2 buckets of equal
// count, and from each bucket the point forming the largest triangle with
// the point kept before it and the mean of the next bucket is kept. Peaks
// and dips survive, which plain decimation would miss.
//
// pts must be sorted by X. Points with a NaN or infinite coordinate are
// dropped first. The result is a new slice (pts is never modified); when no
// more than n finite points remain they are all returned. n below 2 is
// treated as 2.
func Downsample(pts []Point, n int) []Point {
	fin := make([]Point, 0, len(pts))
	for _, p := range pts {
		if isFinite(p.X) && isFinite(p.Y) {
			fin = append(fin, p)
		}
	}
	n = max(n, 2)
	if len(fin) <= n {
		return fin
	}
	xs := make([]float64, len(fin))
	ys := make([]float64, len(fin))
	for i, p := range fin {
		xs[i], ys[i] = p.X, p.Y
	}
	idx := lttbIndices(xs, [][]float64{ys}, n)
	out := make([]Point, len(idx))
	for i, j := range idx {
		out[i] = fin[j]
	}
	return out
}

// lttbIndices runs largest-triangle-three-buckets over several series that
// share the x values xs, and returns the kept indices in increasing order.
// A candidate's triangle area is the sum of its areas over the series, so
// one choice of indices serves them all (a stacked chart must keep its
// layers on common x values). len(xs) must exceed n ≥ 2.
func lttbIndices(xs []float64, ys [][]float64, n int) []int {
	size := len(xs)
	if n >= size {
		idx := make([]int, size)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	out := make([]int, 0, n)
	out = append(out, 0)
	if n > 2 {
		every := float64(size-2) / float64(n-2)
		a := 0
		avgY := make([]float64, len(ys))
		for i := 0; i < n-2; i++ {
			avgStart := int(math.Floor(float64(i+1)*every)) + 1
			avgEnd := min(int(math.Floor(float64(i+2)*every))+1, size)
			if avgStart >= avgEnd { // the last bucket averages the last point
				avgStart, avgEnd = size-1, size
			}
			var avgX float64
			for k := range avgY {
				avgY[k] = 0
			}
			for j := avgStart; j < avgEnd; j++ {
				avgX += xs[j]
				for k, y := range ys {
					avgY[k] += y[j]
				}
			}
			cnt := float64(avgEnd - avgStart)
			avgX /= cnt
			for k := range avgY {
				avgY[k] /= cnt
			}

			lo := int(math.Floor(float64(i)*every)) + 1
			hi := min(int(math.Floor(float64(i+1)*every))+1, size-1)
			best, bestArea := lo, -1.0
			for j := lo; j < hi; j++ {
				var area float64
				for k, y := range ys {
					area += math.Abs((xs[a]-avgX)*(y[j]-y[a]) - (xs[a]-xs[j])*(avgY[k]-y[a]))
				}
				if area > bestArea {
					best, bestArea = j, area
				}
			}
			out = append(out, best)
			a = best
		}
	}
	return append(out, size-1)
}

// dropFlat returns the indices of the samples worth drawing when every
// series is piecewise linear in the index: the first and the last, and
// every sample where some series changes on either side. A run of equal
// values shrinks to its two ends, which is exact for step-shaped data such
// as entity counts.
func dropFlat(ys [][]float64) []int {
	if len(ys) == 0 {
		return nil
	}
	size := len(ys[0])
	idx := make([]int, 0, min(size, 64))
	for i := 0; i < size; i++ {
		keep := i == 0 || i == size-1
		for _, y := range ys {
			if keep {
				break
			}
			keep = y[i] != y[i-1] || y[i] != y[i+1]
		}
		if keep {
			idx = append(idx, i)
		}
	}
	return idx
}

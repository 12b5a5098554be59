package versioning

import (
	"math"
	"slices"
)

// share is one version's weight in a traffic split.
type share struct {
	version int
	weight  float64
}

// quotas turns weights into entity counts for n routable entities.
//
// Each version gets floor(w·n) or ceil(w·n) (largest-remainder rounding), so
// the counts are exact when w·n is a whole number and never off by more than
// one otherwise; they always sum to n. The seats left after the floors go, in
// order, to versions that already hold at least ceil(w·n) entities (so no
// entity moves that need not), then by largest remainder, then to the lower
// version number. The first rule is what makes routing sticky and monotone: a
// version whose weight rises while the others' do not never loses an entity.
//
// shares must be sorted by version; current[i] is the number of routable
// entities version shares[i].version holds now.
func quotas(shares []share, current []int, n int) []int {
	q := make([]int, len(shares))
	if n == 0 || len(shares) == 0 {
		return q
	}
	var sum float64
	for _, s := range shares {
		sum += s.weight
	}
	type seat struct {
		i      int
		sticky bool
		rem    float64
	}
	seats := make([]seat, 0, len(shares))
	left := n
	for i, s := range shares {
		x := s.weight / sum * float64(n)
		// Weights such as 0.29 are not exact in binary; snap products that
		// are whole numbers up to the rounding error of the product (a few
		// ulps), and no further, so that large N stays sticky.
		if r := math.Round(x); math.Abs(x-r) <= 1e-12*math.Max(1, math.Abs(x)) {
			x = r
		}
		f := math.Floor(x)
		q[i] = int(f)
		left -= q[i]
		if x > f {
			seats = append(seats, seat{i: i, sticky: current[i] > q[i], rem: x - f})
		}
	}
	slices.SortStableFunc(seats, func(a, b seat) int {
		switch {
		case a.sticky != b.sticky:
			if a.sticky {
				return -1
			}
			return 1
		case a.rem > b.rem:
			return -1
		case a.rem < b.rem:
			return 1
		}
		return 0 // stable: lower version first
	})
	for _, s := range seats {
		if left == 0 {
			break
		}
		q[s.i]++
		left--
	}
	// Rounding can leave at most a seat or two when every product was
	// snapped; hand them out by weight so the counts always sum to n.
	for left < 0 {
		i := 0
		for j := range q {
			if q[j] > q[i] {
				i = j
			}
		}
		q[i]--
		left++
	}
	for i := 0; left > 0; i = (i + 1) % len(q) {
		if shares[i].weight > 0 {
			q[i]++
			left--
		}
	}
	return q
}

// validWeights reports whether the weights are finite, non-negative and sum
// to 1 within 1e-6.
func validWeights(ws map[int]float64) bool {
	if len(ws) == 0 {
		return false
	}
	var sum float64
	for _, w := range ws {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return false
		}
		sum += w
	}
	return math.Abs(sum-1) <= 1e-6
}

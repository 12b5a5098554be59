package versioning

import (
	"math"
	"slices"
)

// share is one version's weight in a traffic split, and its weight before.
type share struct {
	version      int
	weight, prev float64
}

// quotas turns weights into entity counts for n routable entities; current[i]
// is how many routable entities version shares[i].version holds now, and
// shares are sorted by version.
//
// Each version gets ⌊w·n⌋ or ⌈w·n⌉ with w its weight as given, and the counts
// sum to n. Weights may sum to 1 within 1e-6; if |Σw−1|·n ≥ 1 (beyond a
// million entities) the products could not add up to n, and the weights are
// first divided by their sum. Products that are whole numbers up to the
// rounding error of the multiplication (a few ulps) count as whole.
//
// The seats left after the floors go, in this order:
//  1. to versions that already hold ⌈w·n⌉ or more and whose weight did not
//     fall (sticky: no entity leaves a version that need not lose one);
//  2. to versions that already hold ⌈w·n⌉ or more (still sticky: a seat
//     kept is an entity that does not move);
//  3. to versions whose weight rose;
//  4. to the others;
//
// each group by largest remainder, then lower version number. Entities then
// move only from versions holding more than their quota to versions holding
// less. A version whose weight rises never loses an entity; when one weight
// rises and no other does, another version gains an entity only when
// exactness leaves no choice (the rising version already holds its ceiling),
// and then one at most.
func quotas(shares []share, current []int, n int) []int {
	var s quotaScratch
	return quotasInto(&s, nil, shares, current, n)
}

// quotaScratch holds quotas' buffers, so that a module computing quotas
// again and again allocates nothing.
type quotaScratch struct {
	x     []float64
	seats []seat
}

type seat struct {
	i     int
	class int
	rem   float64
}

// quotasInto is quotas into q's memory, with scratch buffers.
func quotasInto(sc *quotaScratch, q []int, shares []share, current []int, n int) []int {
	q = resize(q, len(shares))
	clear(q)
	if n == 0 || len(shares) == 0 {
		return q
	}
	sc.x = resize(sc.x, len(shares))
	x := products(sc.x, shares, n)
	seats := sc.seats[:0]
	left := n
	for i, s := range shares {
		f := math.Floor(x[i])
		q[i] = int(f)
		left -= q[i]
		if x[i] > f {
			sticky := current[i] > q[i]
			class := 3
			switch {
			case sticky && s.weight >= s.prev:
				class = 0
			case sticky:
				class = 1
			case s.weight > s.prev:
				class = 2
			}
			seats = append(seats, seat{i: i, class: class, rem: x[i] - f})
		}
	}
	slices.SortStableFunc(seats, func(a, b seat) int {
		switch {
		case a.class != b.class:
			return a.class - b.class
		case a.rem > b.rem:
			return -1
		case a.rem < b.rem:
			return 1
		}
		return 0 // stable: lower version first
	})
	for _, s := range seats[:min(left, len(seats))] {
		q[s.i]++
	}
	sc.seats = seats
	balance(q, shares, n)
	return q
}

// balance makes the counts sum to n if rounding left them off by a seat
// (it cannot when the products bracket n, which products ensures).
func balance(q []int, shares []share, n int) {
	sum := 0
	for _, c := range q {
		sum += c
	}
	for ; sum > n; sum-- {
		i := 0
		for j := range q {
			if q[j] > q[i] {
				i = j
			}
		}
		q[i]--
	}
	if !slices.ContainsFunc(shares, func(s share) bool { return s.weight > 0 }) {
		return
	}
	for i := 0; sum < n; i = (i + 1) % len(q) {
		if shares[i].weight > 0 {
			q[i]++
			sum++
		}
	}
}

// products returns each version's share of n, w·n, snapped to whole numbers
// within rounding error; normalised by Σw when the raw products could not
// add up to n.
func products(x []float64, shares []share, n int) []float64 {
	var sum float64
	for _, s := range shares {
		sum += s.weight
	}
	norm := 1.0
	if math.Abs(sum-1)*float64(n) >= 1 {
		norm = sum
	}
	for i, s := range shares {
		x[i] = snap(s.weight / norm * float64(n))
	}
	// The floors and ceilings must bracket n; rounding in the snapping can
	// only leave them off by a hair, so fall back to normalising then.
	lo, hi := 0.0, 0.0
	for _, v := range x {
		lo += math.Floor(v)
		hi += math.Ceil(v)
	}
	if lo > float64(n) || hi < float64(n) {
		for i, s := range shares {
			x[i] = snap(s.weight / sum * float64(n))
		}
	}
	return x
}

// snap rounds products that are whole numbers up to the rounding error of
// the multiplication (weights such as 0.29 are not exact in binary), and no
// further, so that large n stays sticky.
func snap(x float64) float64 {
	if r := math.Round(x); math.Abs(x-r) <= 1e-12*math.Max(1, math.Abs(x)) {
		return r
	}
	return x
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

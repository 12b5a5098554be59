package spatial

// BrutePairs appends to dst every pair {A, B}, A < B, of entities whose circles
// of the given radius overlap, and returns dst. Entity i is at
// (pos[2i], pos[2i+1]); a trailing odd element of pos is ignored. Two entities
// overlap when
//
//	dx := float64(pos[2a]) - float64(pos[2b])
//	dy := float64(pos[2a+1]) - float64(pos[2b+1])
//	float64(dx*dx)+float64(dy*dy) <= (2*float64(radius))*(2*float64(radius))
//
// which never holds for a NaN or infinite coordinate. Pairs come in
// lexicographic order (A, then B). If radius is not positive and finite,
// BrutePairs returns dst unchanged.
//
// BrutePairs compares every pair, O(n²): it is the reference [Grid.Pairs] is
// tested against and the baseline it is benchmarked against. It only reads
// pos and is safe for concurrent use on shared input.
func BrutePairs(dst []Pair, pos []float32, radius float32) []Pair {
	if !validLength(radius) {
		return dst
	}
	lim := pairLimit(radius)
	n := len(pos) / 2
	pos = pos[:2*n]
	for i := 0; i < n; i++ {
		xi, yi := pos[2*i], pos[2*i+1]
		rest := pos[2*i+2:]
		for k := 0; k+1 < len(rest); k += 2 {
			if dist2(xi, yi, rest[k], rest[k+1]) <= lim {
				dst = append(dst, Pair{A: int32(i), B: int32(i + 1 + k/2)})
			}
		}
	}
	return dst
}

// BruteNeighbors appends to dst, in increasing order, the index of every
// entity within distance radius of (x, y), and returns dst. Entity i is at
// (pos[2i], pos[2i+1]) and qualifies when
//
//	dx := float64(pos[2i]) - float64(x)
//	dy := float64(pos[2i+1]) - float64(y)
//	float64(dx*dx)+float64(dy*dy) <= float64(radius)*float64(radius)
//
// If radius is not positive and finite, BruteNeighbors returns dst unchanged.
// It is the O(n) reference for [Grid.Neighbors]; it only reads pos and is
// safe for concurrent use on shared input.
func BruteNeighbors(dst []int32, pos []float32, x, y, radius float32) []int32 {
	if !validLength(radius) {
		return dst
	}
	lim := pointLimit(radius)
	n := len(pos) / 2
	pos = pos[:2*n]
	for k := 0; k+1 < len(pos); k += 2 {
		if dist2(pos[k], pos[k+1], x, y) <= lim {
			dst = append(dst, int32(k/2))
		}
	}
	return dst
}

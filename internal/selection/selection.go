package selection

import "cmp"

// Nth returns the k-th smallest value of x (from 0), reordering x: on
// return x[k] holds it, with no larger value before it and no smaller one
// after. It panics if k is outside x, as an index would. NaNs are not
// ordered: a float slice must hold none.
func Nth[T cmp.Ordered](x []T, k int) T {
	_ = x[k]
	lo, hi := 0, len(x)-1
	for lo < hi {
		p := x[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	return x[k]
}

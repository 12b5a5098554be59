package htmlreport

import (
	"math"
	"strconv"
	"strings"
)

// scale maps a data interval [d0, d1] linearly onto pixels [p0, p1].
type scale struct {
	d0, d1, p0, p1 float64
}

// at returns the pixel position of v.
func (s scale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return s.p0
	}
	return s.p0 + (v-s.d0)*(s.p1-s.p0)/(s.d1-s.d0)
}

// niceStep returns a step of 1, 2 or 5 times a power of ten such that span
// is covered by at most about maxTicks steps.
func niceStep(span float64, maxTicks int) float64 {
	if !(span > 0) || !isFinite(span) || maxTicks < 1 {
		return 1
	}
	raw := span / float64(maxTicks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// ticks returns the multiples of step within [lo, hi].
func ticks(lo, hi, step float64) []float64 {
	if !(step > 0) || !(hi >= lo) {
		return nil
	}
	eps := step * 1e-9
	first := math.Ceil((lo - eps) / step)
	var out []float64
	for i := first; i*step <= hi+eps && len(out) < 1000; i++ {
		v := i * step
		if math.Abs(v) < eps {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

// niceDomain widens [lo, hi] outwards to multiples of a nice step and
// returns the widened domain and the step. An empty or degenerate input
// gives a small domain around it.
func niceDomain(lo, hi float64, maxTicks int) (float64, float64, float64) {
	if !isFinite(lo) || !isFinite(hi) || lo > hi {
		lo, hi = 0, 1
	}
	if lo == hi {
		if lo == 0 {
			hi = 1
		} else {
			d := math.Abs(lo) * 0.1
			lo, hi = lo-d, hi+d
		}
	}
	step := niceStep(hi-lo, maxTicks)
	lo = math.Floor(lo/step+1e-9) * step
	hi = math.Ceil(hi/step-1e-9) * step
	return lo, hi, step
}

// tickFormatter returns a function that formats tick values of the given
// step over a domain whose largest magnitude is maxAbs: with just enough
// decimals for the step, and a k or M suffix for large values.
func tickFormatter(step, maxAbs float64) func(float64) string {
	div, suffix := 1.0, ""
	switch {
	case maxAbs >= 1e7:
		div, suffix = 1e6, "M"
	case maxAbs >= 1e4:
		div, suffix = 1e3, "k"
	}
	// as many decimals as the step needs (0.25 needs two, 2.5k one)
	s := step / div
	dec := 0
	for ; dec < 6 && isFinite(s) && s > 0; dec++ {
		scaled := s * math.Pow(10, float64(dec))
		if math.Abs(scaled-math.Round(scaled)) < 1e-6*max(scaled, 1) {
			break
		}
	}
	return func(v float64) string {
		return strconv.FormatFloat(v/div, 'f', dec, 64) + suffix
	}
}

// formatSeconds formats a time in seconds with at most three decimals and
// no trailing zeros ("10", "12.5", "0.017").
func formatSeconds(t float64) string {
	if !isFinite(t) {
		return "–"
	}
	s := strconv.FormatFloat(t, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// textWidth estimates the rendered width in pixels of s at the given font
// size: there is no font metrics here, so an average advance of 0.6 em per
// character is assumed (a little wide for proportional sans-serif fonts,
// which keeps labels from colliding).
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * size * 0.6
}

package htmlreport

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		span  float64
		ticks int
		want  float64
	}{
		{150, 15, 10}, {150, 5, 50}, {1000, 5, 200}, {1, 5, 0.2}, {0.003, 3, 0.001},
		{7, 10, 1}, {12, 5, 5}, {0, 5, 1}, {-3, 5, 1}, {math.NaN(), 5, 1}, {10, 0, 1},
	} {
		assert.InDelta(t, tc.want, niceStep(tc.span, tc.ticks), 1e-12, "span %v ticks %d", tc.span, tc.ticks)
	}
}

func TestNiceDomainAndTicks(t *testing.T) {
	lo, hi, step := niceDomain(0, 1000, 5)
	assert.Equal(t, []float64{0, 1000, 200}, []float64{lo, hi, step})
	assert.Equal(t, []float64{0, 200, 400, 600, 800, 1000}, ticks(lo, hi, step))

	lo, hi, step = niceDomain(0, 163.4, 5)
	assert.Equal(t, []float64{0, 200, 50}, []float64{lo, hi, step})

	lo, hi, _ = niceDomain(-3, 7, 5)
	assert.Equal(t, []float64{-4, 8}, []float64{lo, hi})

	lo, hi, _ = niceDomain(5, 5, 5)
	assert.Less(t, lo, 5.0)
	assert.Greater(t, hi, 5.0)
	lo, hi, _ = niceDomain(0, 0, 5)
	assert.Equal(t, []float64{0, 1}, []float64{lo, hi})
	lo, hi, _ = niceDomain(math.NaN(), 1, 5)
	assert.Equal(t, []float64{0, 1}, []float64{lo, hi})

	assert.Equal(t, []float64{0, 0.1, 0.2, 0.3}, roundAll(ticks(0, 0.3, 0.1)))
	assert.Equal(t, []float64{10, 20}, ticks(5, 25, 10))
	assert.Nil(t, ticks(1, 0, 1))
	assert.Nil(t, ticks(0, 1, 0))
}

func roundAll(vs []float64) []float64 {
	for i, v := range vs {
		vs[i] = math.Round(v*1e9) / 1e9
	}
	return vs
}

func TestTickFormatter(t *testing.T) {
	assert.Equal(t, "150", tickFormatter(10, 150)(150))
	assert.Equal(t, "0.2", tickFormatter(0.2, 1)(0.2))
	assert.Equal(t, "0.25", tickFormatter(0.25, 1)(0.25))
	assert.Equal(t, "0.05", tickFormatter(0.05, 1)(0.05))
	assert.Equal(t, "20k", tickFormatter(10000, 100000)(20000))
	assert.Equal(t, "12.5k", tickFormatter(2500, 50000)(12500))
	assert.Equal(t, "3M", tickFormatter(1e6, 1e7)(3e6))
	assert.Equal(t, "-5", tickFormatter(5, 10)(-5))
}

func TestFormatSeconds(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 10: "10", 12.5: "12.5", 1.0 / 60: "0.017", 0.1 + 0.2: "0.3", -0.0001: "0", math.NaN(): "–"} {
		assert.Equal(t, want, formatSeconds(in), "%v", in)
	}
}

func TestClip(t *testing.T) {
	assert.Equal(t, "short", clip("short", 100, 10))
	long := clip("a rather long deployment name", 60, 10)
	assert.LessOrEqual(t, textWidth(long, 10), 60.0)
	assert.Equal(t, "a rather…", long)
}

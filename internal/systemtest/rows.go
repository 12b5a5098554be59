package systemtest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grove-engine/grove/ecs"
)

// NewRand returns a generator seeded with seed, and logs the seed, so that a
// failing random test says how to reproduce it (the log shows with -v or on
// failure).
func NewRand(t testing.TB, seed uint64) *rand.Rand {
	t.Helper()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// BitPatterns are float32 values a migration must carry over bit for bit:
// signed zeros, denormals, extremes, infinities and NaNs with payloads.
var BitPatterns = []uint32{
	0x00000000, 0x80000000, // ±0
	0x00000001, 0x807fffff, 0x00012345, // denormals
	0x7f7fffff, 0xff7fffff, // ±MaxFloat32
	0x7f800000, 0xff800000, // ±Inf
	0x7fc00000, 0xffc00001, 0x7f800001, 0x7fa5a5a5, // quiet, negative and signalling NaNs
	0x3f800000, 0xc47a0000, // 1, -1000
}

// RandomFloat is an ordinary value or, one time in three, a bit pattern.
func RandomFloat(rng *rand.Rand) float32 {
	if rng.IntN(3) == 0 {
		return math.Float32frombits(BitPatterns[rng.IntN(len(BitPatterns))])
	}
	return float32(rng.NormFloat64() * 500)
}

// putScalar writes the scalar x of kind k at b (native byte order).
func putScalar(b []byte, k ecs.Kind, x uint64) {
	switch k.Size() {
	case 1:
		b[0] = byte(x)
	case 2:
		binary.NativeEndian.PutUint16(b, uint16(x))
	case 4:
		binary.NativeEndian.PutUint32(b, uint32(x))
	case 8:
		binary.NativeEndian.PutUint64(b, x)
	}
}

// randomScalar is a random value of kind k, as bits: a random bool, float
// values from [RandomFloat] (float64 ones widened from it, or one time in
// three raw random bits), integers of random bits.
func randomScalar(rng *rand.Rand, k ecs.Kind) uint64 {
	switch k {
	case ecs.KindBool:
		return uint64(rng.IntN(2))
	case ecs.KindFloat32:
		return uint64(math.Float32bits(RandomFloat(rng)))
	case ecs.KindFloat64:
		if rng.IntN(3) == 0 {
			return rng.Uint64()
		}
		return math.Float64bits(float64(RandomFloat(rng)))
	}
	return rng.Uint64()
}

// junkScalar is the value a reused buffer holds where nothing wrote yet: true
// for a bool, 7 for a number. It differs from every documented default.
func junkScalar(k ecs.Kind) uint64 {
	switch k {
	case ecs.KindBool:
		return 1
	case ecs.KindFloat32:
		return uint64(math.Float32bits(7))
	case ecs.KindFloat64:
		return math.Float64bits(7)
	}
	return 7
}

// fillRow writes one value per scalar of comp's schema into row (the
// component's bytes), from value; padding is left alone.
func fillRow(row []byte, s *ecs.Schema, value func(ecs.Kind) uint64) {
	for _, f := range s.Fields {
		for k := range f.Count {
			off := f.Offset + k*f.Kind.Size()
			putScalar(row[off:], f.Kind, value(f.Kind))
		}
	}
}

// JunkRow is one value of comp as [ReusedBuffer] leaves it: true flags, 7
// in every number.
func JunkRow(comp *ecs.Component) []byte {
	s := comp.Schema()
	row := make([]byte, s.Size)
	fillRow(row, &s, junkScalar)
	return row
}

// ReusedBuffer returns an empty buffer in layout l whose memory, enough for
// at least rows rows of every component, holds junk ([JunkRow]), as a buffer
// the engine reuses would: a step that appends to it must really write every
// value of every row it appends.
func ReusedBuffer(l *ecs.Layout, rows int) ecs.Columns {
	c := ecs.MakeColumns(l, rows)
	for _, comp := range l.Components() {
		raw := c.Raw(comp.ID())
		all := raw[:cap(raw)]
		junk := JunkRow(comp)
		for off := 0; off < len(all); off += len(junk) {
			copy(all[off:], junk)
		}
	}
	c.Reset(l)
	return c
}

// AppendRandomRows appends n rows to c with keys of indexes base..base+n-1
// (random generations) and a random value in every scalar of every
// component: floats mix in [BitPatterns].
func AppendRandomRows(rng *rand.Rand, c *ecs.Columns, n, base int) {
	old := c.Len()
	c.AppendDefaults(n)
	for i := range n {
		c.Keys[old+i] = ecs.NewKey(uint32(base+i), rng.Uint32())
	}
	value := func(k ecs.Kind) uint64 { return randomScalar(rng, k) }
	for _, comp := range c.Layout().Components() {
		s := comp.Schema()
		raw := c.Raw(comp.ID())
		for i := old; i < old+n; i++ {
			fillRow(raw[i*s.Size:(i+1)*s.Size], &s, value)
		}
	}
}

// MigrationRows returns n random rows in layout l ([AppendRandomRows], keys
// 0..n-1 in row order) in a [ReusedBuffer] with room for a few more.
func MigrationRows(rng *rand.Rand, l *ecs.Layout, n int) ecs.Columns {
	c := ReusedBuffer(l, n+3)
	AppendRandomRows(rng, &c, n, 0)
	return c
}

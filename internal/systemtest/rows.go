package systemtest

import (
	"math"
	"math/rand/v2"

	"github.com/grove-engine/grove/ecs"
)

// VersionMask is every version's documented column set, written out here so
// that migrations are checked against the documentation rather than against
// the packages' own constants.
var VersionMask = map[int]ecs.Mask{
	1: ecs.MaskPosition | ecs.MaskVelocity,
	2: ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskCollided,
	3: ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskCollided | ecs.MaskMass,
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

// MigrationRows builds n rows holding exactly the columns of mask, with
// unique keys in row order. The columns mask lacks are given spare capacity
// holding junk (true flags, mass 7), as a reused buffer would have, so a
// migration that adds them must really initialise them.
func MigrationRows(rng *rand.Rand, mask ecs.Mask, n int) ecs.Columns {
	c := ecs.Columns{Mask: mask}
	for i := range n {
		c.Keys = append(c.Keys, ecs.NewKey(uint32(i), rng.Uint32()))
		c.Position = append(c.Position, ecs.Position{X: RandomFloat(rng), Y: RandomFloat(rng)})
		if mask.Has(ecs.MaskVelocity) {
			c.Velocity = append(c.Velocity, ecs.Velocity{X: RandomFloat(rng), Y: RandomFloat(rng)})
		}
		if mask.Has(ecs.MaskCollided) {
			c.Collided = append(c.Collided, ecs.Collided(rng.IntN(2) == 0))
		}
		if mask.Has(ecs.MaskMass) {
			c.Mass = append(c.Mass, ecs.Mass(RandomFloat(rng)))
		}
	}
	if !mask.Has(ecs.MaskCollided) {
		junk := make([]ecs.Collided, n+3)
		for i := range junk {
			junk[i] = true
		}
		c.Collided = junk[:0]
	}
	if !mask.Has(ecs.MaskMass) {
		junk := make([]ecs.Mass, n+3)
		for i := range junk {
			junk[i] = 7
		}
		c.Mass = junk[:0]
	}
	return c
}

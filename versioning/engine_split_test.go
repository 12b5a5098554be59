package versioning

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

var allVersions = []int{1, 2, 3}

// setupAll is setup with v2 and v3 loaded too and n v1 entities spawned.
func setupAll(t testing.TB, rng *rand.Rand, n int, opts ...Option) (*Engine, []ecs.Key) {
	t.Helper()
	e := setup(t, opts...)
	require.NoError(t, e.Load(mod, 2))
	require.NoError(t, e.Load(mod, 3))
	var keys []ecs.Key
	if n > 0 {
		keys = spawn(t, e, rng, n)
	}
	return e, keys
}

func countByVersion(loc map[ecs.Key]int) map[int]int {
	c := map[int]int{}
	for _, v := range loc {
		c[v]++
	}
	return c
}

// checkMinimalMoves verifies that going from before to after moved exactly
// the entities that had to move: every version lost or gained only its
// change in count, and the number of moved entities is half the sum of
// |Δcount|.
func checkMinimalMoves(t testing.TB, before, after map[ecs.Key]int) {
	t.Helper()
	cb, ca := countByVersion(before), countByVersion(after)
	left, entered := map[int]int{}, map[int]int{}
	moved := 0
	for k, v := range before {
		if w := after[k]; w != v {
			moved++
			left[v]++
			entered[w]++
		}
	}
	delta := 0
	for _, v := range allVersions {
		d := ca[v] - cb[v]
		delta += max(d, -d)
		assert.Equal(t, max(0, -d), left[v], "v%d: %d → %d entities but %d left", v, cb[v], ca[v], left[v])
		assert.Equal(t, max(0, d), entered[v], "v%d: %d → %d entities but %d entered", v, cb[v], ca[v], entered[v])
	}
	assert.Equal(t, delta/2, moved)
}

func TestSetSplitExactAndSticky(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for _, n := range []int{0, 1, 2, 7, 100, 1000, 1 + rng.IntN(500), 1 + rng.IntN(500)} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			checkExact(t, e, nil)
			for range 25 {
				before := locations(t, e, keys)
				ws := randomSplit(rng, allVersions)
				require.NoError(t, e.SetSplit(mod, ws))
				got, err := e.Split(mod)
				require.NoError(t, err)
				assert.Equal(t, ws, got)
				checkExact(t, e, nil)
				after := locations(t, e, keys)
				checkMinimalMoves(t, before, after)
				// Setting the same split again moves nothing.
				require.NoError(t, e.SetSplit(mod, ws))
				assert.Equal(t, after, locations(t, e, keys))
			}
		})
	}
}

func TestSetSplitExactForWholeProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	e, _ := setupAll(t, rng, 100)
	for _, c := range []struct {
		ws   map[int]float64
		want map[int]int
	}{
		{map[int]float64{1: 0.9, 2: 0.1}, map[int]int{1: 90, 2: 10}},
		{map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, map[int]int{1: 20, 2: 30, 3: 50}},
		{map[int]float64{1: 0.29, 3: 0.71}, map[int]int{1: 29, 3: 71}},
		{map[int]float64{2: 1}, map[int]int{2: 100}},
	} {
		require.NoError(t, e.SetSplit(mod, c.ws))
		mm, err := e.Metrics(mod)
		require.NoError(t, err)
		got := map[int]int{}
		for _, v := range mm.Versions {
			if v.Entities > 0 {
				got[v.Version] = v.Entities
			}
			assert.Equal(t, c.ws[v.Version], v.Traffic)
		}
		assert.Equal(t, c.want, got, "split %v", c.ws)
	}
}

// TestSetSplitMonotone raises one version's weight and lowers (or keeps) the
// others: that version gains entities and none of its entities leave.
func TestSetSplitMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	for _, n := range []int{1, 7, 100, 1000, 1 + rng.IntN(300)} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			for range 25 {
				units := randomCounts(rng, 3, 1000)
				require.NoError(t, e.SetSplit(mod, unitsSplit(units)))
				before := locations(t, e, keys)
				up := 1 + rng.IntN(3)
				room := 1000 - units[up-1]
				if room == 0 {
					continue
				}
				d := 1 + rng.IntN(room)
				units[up-1] += d
				for d > 0 {
					j := rng.IntN(3)
					if j == up-1 || units[j] == 0 {
						continue
					}
					take := min(d, 1+rng.IntN(units[j]))
					units[j] -= take
					d -= take
				}
				require.NoError(t, e.SetSplit(mod, unitsSplit(units)))
				checkExact(t, e, nil)
				after := locations(t, e, keys)
				for k, v := range before {
					if v == up {
						require.Equal(t, up, after[k], "an entity left v%d, whose weight rose (%v)", up, units)
					}
				}
				checkMinimalMoves(t, before, after)
			}
		})
	}
}

// unitsSplit turns thousandths into weights, leaving out zeros.
func unitsSplit(units []int) map[int]float64 {
	ws := map[int]float64{}
	for i, u := range units {
		if u > 0 {
			ws[i+1] = float64(u) / 1000
		}
	}
	return ws
}

func TestPinsHoldThroughSplitsAndUnpinRoutesAgain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for _, n := range []int{1, 7, 100, 500} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			require.NoError(t, e.SetSplit(mod, randomSplit(rng, allVersions)))
			pins := map[ecs.Key]int{}
			for _, k := range keys {
				if rng.IntN(5) == 0 {
					v := 1 + rng.IntN(3)
					require.NoError(t, e.Pin(mod, k, v))
					pins[k] = v
					got, err := e.Locate(mod, k)
					require.NoError(t, err)
					require.Equal(t, v, got, "Pin moves the entity now")
				}
			}
			got, err := e.Pins(mod)
			require.NoError(t, err)
			require.Equal(t, pins, got)
			checkExact(t, e, pins)
			for range 20 {
				before := locations(t, e, keys)
				require.NoError(t, e.SetSplit(mod, randomSplit(rng, allVersions)))
				checkExact(t, e, pins)
				after := locations(t, e, keys)
				for k, v := range pins {
					assert.Equal(t, v, after[k])
				}
				checkMinimalMoves(t, before, after)
			}
			// Unpinning returns the entities to routing: the split is exact
			// again over all of them.
			for k := range pins {
				if rng.IntN(2) == 0 {
					require.NoError(t, e.Unpin(mod, k))
					delete(pins, k)
					checkExact(t, e, pins)
				}
			}
			for k := range pins {
				require.NoError(t, e.Unpin(mod, k))
				delete(pins, k)
			}
			got, err = e.Pins(mod)
			require.NoError(t, err)
			assert.Empty(t, got)
			checkExact(t, e, nil)
			// Unpinning an entity that is not pinned is a no-op.
			if n > 0 {
				before := state(t, e)
				require.NoError(t, e.Unpin(mod, keys[0]))
				requireSameStates(t, before, state(t, e))
			}
		})
	}
}

func TestPinRejectsBadTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	e := setup(t)
	keys := spawn(t, e, rng, 10)
	before := state(t, e)
	assert.ErrorIs(t, e.Pin(mod, keys[0], 2), ErrNotLoaded)
	assert.ErrorIs(t, e.Pin(mod, ecs.NewKey(999, 1), 1), ErrUnknownEntity)
	assert.ErrorIs(t, e.Unpin(mod, ecs.NewKey(999, 1)), ErrUnknownEntity)
	assert.ErrorIs(t, e.Pin("nope", keys[0], 1), ErrUnknownModule)
	requireSameStates(t, before, state(t, e))
	pins, err := e.Pins(mod)
	require.NoError(t, err)
	assert.Empty(t, pins)
}

// TestConservation runs random operations and checks after each that the
// live keys are exactly those spawned and not despawned, each held once, and
// that the split stays exact.
func TestConservation(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	e, _ := setupAll(t, rng, 0)
	live := map[ecs.Key]bool{}
	pins := map[ecs.Key]int{}
	pick := func() (ecs.Key, bool) {
		for k := range live {
			return k, true
		}
		return 0, false
	}
	for step := range 300 {
		switch op := rng.IntN(6); op {
		case 0:
			// Spawn in any version's layout.
			layout := 1 + rng.IntN(3)
			keys, err := e.Spawn(mod, layout, layoutRows(rng, layout, rng.IntN(60)))
			require.NoError(t, err)
			for _, k := range keys {
				require.False(t, live[k], "key %#x handed out twice", uint64(k))
				live[k] = true
			}
		case 1:
			var del []ecs.Key
			for k := range live {
				if rng.IntN(4) == 0 {
					del = append(del, k)
				}
			}
			require.NoError(t, e.Despawn(mod, del...))
			for _, k := range del {
				delete(live, k)
				delete(pins, k)
				_, err := e.Locate(mod, k)
				require.ErrorIs(t, err, ErrUnknownEntity)
			}
		case 2:
			require.NoError(t, e.SetSplit(mod, randomSplit(rng, allVersions)))
		case 3:
			if k, ok := pick(); ok {
				v := 1 + rng.IntN(3)
				require.NoError(t, e.Pin(mod, k, v))
				pins[k] = v
			}
		case 4:
			for k := range pins {
				require.NoError(t, e.Unpin(mod, k))
				delete(pins, k)
				break
			}
		case 5:
			require.NoError(t, e.Tick(frame))
		}
		st := state(t, e)
		require.Len(t, st, len(live), "step %d", step)
		for k := range live {
			_, ok := st[k]
			require.True(t, ok, "step %d: key %#x lost", step, uint64(k))
		}
		mm, err := e.Metrics(mod)
		require.NoError(t, err)
		require.Equal(t, len(live), mm.Entities)
		checkExact(t, e, pins)
	}
}

// layoutRows builds n rows in version layout's columns.
func layoutRows(rng *rand.Rand, layout, n int) *ecs.Columns {
	c := v1Rows(rng, n)
	if layout >= 2 {
		c.Mask |= ecs.MaskCollided
		for range n {
			c.Collided = append(c.Collided, ecs.Collided(rng.IntN(2) == 0))
		}
	}
	if layout == 3 {
		c.Mask |= ecs.MaskMass
		for range n {
			c.Mass = append(c.Mass, ecs.Mass(1+rng.Float32()))
		}
	}
	return c
}

func TestSpawnInForeignLayoutIsMigrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 16))
	e := setup(t)
	rows := layoutRows(rng, 3, 20)
	keys, err := e.Spawn(mod, 3, rows)
	require.NoError(t, err)
	st := state(t, e)
	for i, k := range keys {
		en := st[k]
		assert.Equal(t, 1, en.ver)
		assert.True(t, bitsEqual(rows.Position[i].X, en.pos.X) && bitsEqual(rows.Velocity[i].Y, en.vel.Y))
	}
}

func TestSpawnRejectsBadInputAndChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	e := setup(t)
	spawn(t, e, rng, 5)
	before := state(t, e)
	_, err := e.Spawn(mod, 9, v1Rows(rng, 3))
	assert.ErrorIs(t, err, ErrUnknownVersion)
	_, err = e.Spawn(mod, 2, v1Rows(rng, 3)) // lacks collided
	assert.ErrorIs(t, err, ecs.ErrMissingColumns)
	ragged := v1Rows(rng, 3)
	ragged.Velocity = ragged.Velocity[:2]
	_, err = e.Spawn(mod, 1, ragged)
	assert.ErrorIs(t, err, ecs.ErrColumnLength)
	_, err = e.Spawn("nope", 1, v1Rows(rng, 3))
	assert.ErrorIs(t, err, ErrUnknownModule)
	requireSameStates(t, before, state(t, e))
	// Keys are not consumed by failed spawns.
	keys := spawn(t, e, rng, 1)
	assert.Equal(t, uint32(5), keys[0].Index())
}

func TestDespawnUnknownOrDuplicateChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 18))
	e, keys := setupAll(t, rng, 50)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.3, 2: 0.3, 3: 0.4}))
	gone := keys[10]
	require.NoError(t, e.Despawn(mod, gone))
	keys = append(keys[:10], keys[11:]...)
	// The slot of the despawned key is recycled with a new generation.
	fresh := spawn(t, e, rng, 1)[0]
	require.Equal(t, gone.Index(), fresh.Index())
	require.NotEqual(t, gone, fresh)
	keys = append(keys, fresh)

	before := state(t, e)
	loc := locations(t, e, keys)
	split, err := e.Split(mod)
	require.NoError(t, err)
	for _, bad := range [][]ecs.Key{
		{gone},                           // stale generation
		{ecs.NewKey(9999, 1)},            // never issued
		{ecs.NewKey(keys[0].Index(), 7)}, // wrong generation
		{keys[0], keys[0]},               // listed twice
		{keys[1], keys[2], keys[1]},      // listed twice, not adjacent
		{keys[3], gone},                  // a valid key with an unknown one
		{ecs.NewKey(9999, 1), keys[4]},   // the unknown one first
	} {
		err := e.Despawn(mod, bad...)
		require.ErrorIs(t, err, ErrUnknownEntity, "%v", bad)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		got, err := e.Split(mod)
		require.NoError(t, err)
		assert.Equal(t, split, got)
	}
	assert.ErrorIs(t, e.Despawn("nope", keys[0]), ErrUnknownModule)
}

func TestDespawnReappliesSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 19))
	e, keys := setupAll(t, rng, 100)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	// Despawn 20 entities all from v1: v2 must hand some back.
	loc := locations(t, e, keys)
	var del []ecs.Key
	for _, k := range keys {
		if loc[k] == 1 && len(del) < 20 {
			del = append(del, k)
		}
	}
	require.NoError(t, e.Despawn(mod, del...))
	counts := checkExact(t, e, nil)
	assert.Equal(t, map[int]int{1: 40, 2: 40}, counts)
}

func TestSetSplitRejectsBadWeightsAndChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 20))
	e := setup(t)
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	before := state(t, e)
	loc := locations(t, e, keys)
	for _, c := range []struct {
		ws   map[int]float64
		want error
	}{
		{map[int]float64{1: 0.5, 2: 0.6}, ErrBadWeights},
		{map[int]float64{}, ErrBadWeights},
		{map[int]float64{1: -0.5, 2: 1.5}, ErrBadWeights},
		{map[int]float64{1: 0.5, 3: 0.5}, ErrNotLoaded},
		{map[int]float64{1: 0.5, 7: 0.5}, ErrNotLoaded},
	} {
		assert.ErrorIs(t, e.SetSplit(mod, c.ws), c.want, "%v", c.ws)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		split, err := e.Split(mod)
		require.NoError(t, err)
		assert.Equal(t, map[int]float64{1: 0.5, 2: 0.5}, split)
	}
	assert.ErrorIs(t, e.SetSplit("nope", map[int]float64{1: 1}), ErrUnknownModule)
}

// TestSpawnKeysMatchRows spawns into a three-way split: the i-th returned
// key names the entity made from row i, wherever it was routed.
func TestSpawnKeysMatchRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	e, _ := setupAll(t, rng, 37)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	for _, layout := range allVersions {
		rows := layoutRows(rng, layout, 101)
		keys, err := e.Spawn(mod, layout, rows)
		require.NoError(t, err)
		require.Len(t, keys, 101)
		st := state(t, e)
		for i, k := range keys {
			en := st[k]
			require.True(t, bitsEqual(rows.Position[i].X, en.pos.X) && bitsEqual(rows.Position[i].Y, en.pos.Y) &&
				bitsEqual(rows.Velocity[i].X, en.vel.X) && bitsEqual(rows.Velocity[i].Y, en.vel.Y),
				"row %d (key %#x): want %+v %+v, got %+v", i, uint64(k), rows.Position[i], rows.Velocity[i], en)
		}
		checkExact(t, e, nil)
	}
}

package versioning

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
)

var allVersions = []int{1, 2, 3}

// setupAll is setup with v2 and v3 loaded too and n v1 entities spawned.
func setupAll(t testing.TB, rng *rand.Rand, n int, opts ...Option) (*Engine, []ecs.Key) {
	t.Helper()
	e := setup(t, opts...)
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	var keys []ecs.Key
	if n > 0 {
		keys = spawn(t, e, rng, n)
	}
	return e, keys
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

func TestRealVersionsHaveTheDocumentedLayouts(t *testing.T) {
	for _, v := range []Version{v1.Version{}, v2.Version{}, v3Version(t)} {
		got := v.Components()
		want := layoutOf(v.Number())
		assert.True(t, want.Same(got), "v%d: %v, want %v", v.Number(), got, want)
		for _, c := range want.Components() {
			assert.Equal(t, want.DefaultBytes(c.ID()), got.DefaultBytes(c.ID()), "v%d default of %s", v.Number(), c.Name())
		}
	}
}

func TestSetSplitExactAndSticky(t *testing.T) {
	rng := newRand(t, 10)
	for _, n := range []int{0, 1, 2, 7, 100, 1000, 1 + rng.IntN(500), 1 + rng.IntN(500)} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			checkExact(t, e, nil)
			for range 25 {
				before := locations(t, e, keys)
				ws := randomSplit(rng, allVersions)
				require.NoError(t, e.SetSplit(game, ws))
				got, err := e.Split(game)
				require.NoError(t, err)
				assert.Equal(t, ws, got)
				checkExact(t, e, nil)
				after := locations(t, e, keys)
				checkMinimalMoves(t, before, after)
				// Setting the same split again moves nothing.
				plan, err := e.PlanSplit(game, ws)
				require.NoError(t, err)
				assert.Empty(t, plan.Moves)
				require.NoError(t, e.SetSplit(game, ws))
				assert.Equal(t, after, locations(t, e, keys))
			}
		})
	}
}

func TestSetSplitExactForWholeProducts(t *testing.T) {
	rng := newRand(t, 11)
	e, _ := setupAll(t, rng, 100)
	for _, c := range []struct {
		ws   map[int]float64
		want map[int]int
	}{
		{map[int]float64{1: 0.9, 2: 0.1}, map[int]int{1: 90, 2: 10}},
		{map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, map[int]int{1: 20, 2: 30, 3: 50}},
		{map[int]float64{1: 0.29, 3: 0.71}, map[int]int{1: 29, 3: 71}},
		{map[int]float64{1: 0.07, 2: 0.13, 3: 0.8}, map[int]int{1: 7, 2: 13, 3: 80}},
		{map[int]float64{2: 1}, map[int]int{2: 100}},
	} {
		plan, err := e.PlanSplit(game, c.ws)
		require.NoError(t, err)
		require.NoError(t, e.SetSplit(game, c.ws))
		mm, err := e.Metrics(game)
		require.NoError(t, err)
		got := map[int]int{}
		for _, v := range mm.Versions {
			if v.Entities > 0 {
				got[v.Version] = v.Entities
			}
			assert.Equal(t, c.ws[v.Version], v.Traffic)
			assert.Equal(t, plan.Quota[v.Version], v.Entities)
		}
		assert.Equal(t, c.want, got, "split %v", c.ws)
	}
}

// TestSetSplitMonotone raises one version's weight and lowers (or keeps) the
// others: that version gains entities, none of its entities leave, and no
// entity moves anywhere else.
func TestSetSplitMonotone(t *testing.T) {
	rng := newRand(t, 12)
	for _, n := range []int{1, 7, 100, 1000, 1 + rng.IntN(300)} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			for range 25 {
				units := randomCounts(rng, 3, 1000)
				require.NoError(t, e.SetSplit(game, unitsSplit(units)))
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
				require.NoError(t, e.SetSplit(game, unitsSplit(units)))
				checkExact(t, e, nil)
				after := locations(t, e, keys)
				for k, v := range before {
					if v == up {
						require.Equal(t, up, after[k], "an entity left v%d, whose weight rose (%v)", up, units)
					} else if after[k] != v {
						require.Equal(t, up, after[k], "an entity moved v%d→v%d, but only v%d's weight rose (%v)", v, after[k], up, units)
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
	rng := newRand(t, 13)
	for _, n := range []int{1, 7, 100, 500} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			require.NoError(t, e.SetSplit(game, randomSplit(rng, allVersions)))
			pins := map[ecs.Key]int{}
			for _, k := range keys {
				if rng.IntN(5) == 0 {
					v := 1 + rng.IntN(3)
					require.NoError(t, e.Pin(game, k, v))
					pins[k] = v
					got, err := e.Locate(game, k)
					require.NoError(t, err)
					require.Equal(t, v, got, "Pin moves the entity now")
				}
			}
			got, err := e.Pins(game)
			require.NoError(t, err)
			require.Equal(t, pins, got)
			checkExact(t, e, pins)
			for range 20 {
				before := locations(t, e, keys)
				ws := randomSplit(rng, allVersions)
				plan, err := e.PlanSplit(game, ws)
				require.NoError(t, err)
				require.NoError(t, e.SetSplit(game, ws))
				checkExact(t, e, pins)
				after := locations(t, e, keys)
				for k, v := range pins {
					assert.Equal(t, v, after[k])
				}
				checkMinimalMoves(t, before, after)
				checkPlanned(t, plan, before, after)
			}
			// Unpinning returns the entities to routing: the split is exact
			// again over all of them.
			for k := range pins {
				if rng.IntN(2) == 0 {
					require.NoError(t, e.Unpin(game, k))
					delete(pins, k)
					checkExact(t, e, pins)
				}
			}
			for k := range pins {
				require.NoError(t, e.Unpin(game, k))
				delete(pins, k)
			}
			got, err = e.Pins(game)
			require.NoError(t, err)
			assert.Empty(t, got)
			checkExact(t, e, nil)
			// Unpinning an entity that is not pinned is a no-op.
			if n > 0 {
				before := state(t, e)
				require.NoError(t, e.Unpin(game, keys[0]))
				requireSameStates(t, before, state(t, e))
			}
		})
	}
}

func TestPinRejectsBadTargets(t *testing.T) {
	rng := newRand(t, 14)
	e := setup(t)
	keys := spawn(t, e, rng, 10)
	before := state(t, e)
	assertErr(t, e.Pin(game, keys[0], 2), ErrNotLoaded)
	assertErr(t, e.Pin(game, keys[0], 9), ErrUnknownVersion)
	assertErr(t, e.Pin(game, ecs.NewKey(999, 1), 1), ErrUnknownEntity)
	assertErr(t, e.Unpin(game, ecs.NewKey(999, 1)), ErrUnknownEntity)
	assertErr(t, e.Pin("nope", keys[0], 1), ErrUnknownModule)
	assertErr(t, e.Unpin("nope", keys[0]), ErrUnknownModule)
	requireSameStates(t, before, state(t, e))
	pins, err := e.Pins(game)
	require.NoError(t, err)
	assert.Empty(t, pins)
	_, err = e.Pins("nope")
	assertErr(t, err, ErrUnknownModule)
	_, err = e.Locate("nope", keys[0])
	assertErr(t, err, ErrUnknownModule)
}

// TestPinsToAFailedOrUnloadedVersionAreDropped: pins to a version are
// dropped when it fails or is unloaded.
func TestPinsToAFailedOrUnloadedVersionAreDropped(t *testing.T) {
	rng := newRand(t, 141)
	r := newRig(t, []int{2}, nil)
	e := r.e
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	keys := spawn(t, e, rng, 10)
	require.NoError(t, e.Pin(game, keys[0], 2))
	require.NoError(t, e.Pin(game, keys[1], 3))
	require.NoError(t, e.Pin(game, keys[2], 1))
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	pins, err := e.Pins(game)
	require.NoError(t, err)
	assert.Equal(t, map[ecs.Key]int{keys[1]: 3, keys[2]: 1}, pins)
	require.NoError(t, e.Unpin(game, keys[1]))
	st, err := e.State(game, 3)
	require.NoError(t, err)
	assert.Equal(t, StateIdle, st)
	require.NoError(t, e.Pin(game, keys[1], 3))
	st, err = e.State(game, 3)
	require.NoError(t, err)
	assert.Equal(t, StateDraining, st, "entities but no traffic")
	checkIndex(t, e)
}

// TestConservation runs random operations and checks after each that the
// live keys are exactly those spawned and not despawned, each held once, and
// that the split stays exact.
func TestConservation(t *testing.T) {
	rng := newRand(t, 15)
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
			keys, err := e.Spawn(game, layout, layoutRows(rng, layout, rng.IntN(60)))
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
			require.NoError(t, e.Despawn(game, del...))
			for _, k := range del {
				delete(live, k)
				delete(pins, k)
				_, err := e.Locate(game, k)
				assertErr(t, err, ErrUnknownEntity)
			}
		case 2:
			require.NoError(t, e.SetSplit(game, randomSplit(rng, allVersions)))
		case 3:
			if k, ok := pick(); ok {
				v := 1 + rng.IntN(3)
				require.NoError(t, e.Pin(game, k, v))
				pins[k] = v
			}
		case 4:
			for k := range pins {
				require.NoError(t, e.Unpin(game, k))
				delete(pins, k)
				break
			}
		case 5:
			require.NoError(t, e.Tick(frame))
		}
		st := checkIndex(t, e)
		require.Len(t, st, len(live), "step %d", step)
		for k := range live {
			_, ok := st[k]
			require.True(t, ok, "step %d: key %#x lost", step, uint64(k))
		}
		got, err := e.Pins(game)
		require.NoError(t, err)
		require.Equal(t, pins, got)
		checkExact(t, e, pins)
	}
}

func TestSpawnInForeignLayoutIsMigrated(t *testing.T) {
	rng := newRand(t, 16)
	e := setup(t)
	rows := layoutRows(rng, 3, 20)
	keys, err := e.Spawn(game, 3, rows)
	require.NoError(t, err)
	st := state(t, e)
	for i, k := range keys {
		en := st[k]
		assert.Equal(t, 1, en.ver)
		assert.True(t, sameMotion(convert(rowOf(rows, 3, i), 1), en))
	}
}

func TestSpawnRejectsBadInputAndChangesNothing(t *testing.T) {
	rng := newRand(t, 17)
	e := setup(t)
	spawn(t, e, rng, 5)
	before := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	_, err := e.Spawn(game, 9, v1Rows(rng, 3))
	assertErr(t, err, ErrUnknownVersion)
	_, err = e.Spawn(game, 2, v1Rows(rng, 3)) // lacks collided
	assertErr(t, err, ErrBadColumns)
	ragged := v1Rows(rng, 3)
	ragged.Keys = ragged.Keys[:2]
	_, err = e.Spawn(game, 1, ragged)
	assertErr(t, err, ErrBadColumns, ecs.ErrColumnLength)
	_, err = e.Spawn("nope", 1, v1Rows(rng, 3))
	assertErr(t, err, ErrUnknownModule)
	requireSameStates(t, before, state(t, e))
	assert.Empty(t, c.all())
	// Keys are not consumed by failed spawns.
	keys := spawn(t, e, rng, 1)
	assert.Equal(t, uint32(5), keys[0].Index())
	// An empty spawn is fine and returns no keys.
	none, err := e.Spawn(game, 1, v1Rows(rng, 0))
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestDespawnUnknownOrDuplicateChangesNothing(t *testing.T) {
	rng := newRand(t, 18)
	e, keys := setupAll(t, rng, 50)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.3, 2: 0.3, 3: 0.4}))
	gone := keys[10]
	require.NoError(t, e.Despawn(game, gone))
	keys = append(keys[:10], keys[11:]...)
	// The slot of the despawned key is recycled with a new generation.
	fresh := spawn(t, e, rng, 1)[0]
	require.Equal(t, gone.Index(), fresh.Index())
	require.NotEqual(t, gone, fresh)
	keys = append(keys, fresh)

	before := state(t, e)
	loc := locations(t, e, keys)
	split, err := e.Split(game)
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
		err := e.Despawn(game, bad...)
		requireErr(t, err, ErrUnknownEntity)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		got, err := e.Split(game)
		require.NoError(t, err)
		assert.Equal(t, split, got)
	}
	assertErr(t, e.Despawn("nope", keys[0]), ErrUnknownModule)
	_, err = e.Locate(game, gone)
	assertErr(t, err, ErrUnknownEntity)
}

func TestDespawnReappliesSplit(t *testing.T) {
	rng := newRand(t, 19)
	e, keys := setupAll(t, rng, 100)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	// Despawn 20 entities all from v1: v2 must hand some back.
	loc := locations(t, e, keys)
	var del []ecs.Key
	for _, k := range keys {
		if loc[k] == 1 && len(del) < 20 {
			del = append(del, k)
		}
	}
	require.NoError(t, e.Despawn(game, del...))
	counts := checkExact(t, e, nil)
	assert.Equal(t, map[int]int{1: 40, 2: 40}, counts)
	checkIndex(t, e)
}

func TestSetSplitRejectsBadWeightsAndChangesNothing(t *testing.T) {
	rng := newRand(t, 20)
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	before := state(t, e)
	loc := locations(t, e, keys)
	for _, c := range []struct {
		ws   map[int]float64
		want error
	}{
		{map[int]float64{1: 0.5, 2: 0.6}, ErrBadWeights},
		{map[int]float64{}, ErrBadWeights},
		{nil, ErrBadWeights},
		{map[int]float64{1: -0.5, 2: 1.5}, ErrBadWeights},
		{map[int]float64{1: math.NaN(), 2: 1}, ErrBadWeights},
		{map[int]float64{1: math.Inf(1)}, ErrBadWeights},
		{map[int]float64{1: 0.5, 2: 0.5 - 2e-6}, ErrBadWeights},
		{map[int]float64{1: 0.5, 3: 0.5}, ErrNotLoaded},
		{map[int]float64{1: 0.5, 7: 0.5}, ErrUnknownVersion},
	} {
		assertErr(t, e.SetSplit(game, c.ws), c.want)
		_, err := e.PlanSplit(game, c.ws)
		assertErr(t, err, c.want)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		split, err := e.Split(game)
		require.NoError(t, err)
		assert.Equal(t, map[int]float64{1: 0.5, 2: 0.5}, split)
	}
	assertErr(t, e.SetSplit("nope", map[int]float64{1: 1}), ErrUnknownModule)
	_, err := e.PlanSplit("nope", map[int]float64{1: 1})
	assertErr(t, err, ErrUnknownModule)
	_, err = e.Split("nope")
	assertErr(t, err, ErrUnknownModule)
}

// TestSpawnKeysMatchRows spawns into a three-way split: the i-th returned
// key names the entity made from row i, wherever it was routed.
func TestSpawnKeysMatchRows(t *testing.T) {
	rng := newRand(t, 21)
	e, _ := setupAll(t, rng, 37)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	for _, layout := range allVersions {
		rows := layoutRows(rng, layout, 101)
		keys, err := e.Spawn(game, layout, rows)
		require.NoError(t, err)
		require.Len(t, keys, 101)
		st := checkIndex(t, e)
		for i, k := range keys {
			want := rowOf(rows, layout, i)
			require.True(t, sameMotion(want, st[k]), "row %d (key %#x): want %+v, got %+v", i, uint64(k), want, st[k])
		}
		checkExact(t, e, nil)
	}
}

// moveSet is a set of moves: key → [from, to].
type moveSet map[ecs.Key][2]int

// movesOf lists the entities whose version differs between before and
// after.
func movesOf(before, after map[ecs.Key]int) moveSet {
	out := moveSet{}
	for k, v := range before {
		if after[k] != v {
			out[k] = [2]int{v, after[k]}
		}
	}
	return out
}

// checkPlanned verifies that a plan predicted exactly the moves that
// happened and the counts that resulted.
func checkPlanned(t testing.TB, plan Plan, before, after map[ecs.Key]int) {
	t.Helper()
	predicted := moveSet{}
	for _, mv := range plan.Moves {
		for _, k := range mv.Keys {
			_, dup := predicted[k]
			assert.False(t, dup, "key %#x planned twice", uint64(k))
			predicted[k] = [2]int{mv.From, mv.To}
		}
	}
	assert.Equal(t, movesOf(before, after), predicted, "PlanSplit's moves")
	counts := countByVersion(after)
	for v, q := range plan.Quota {
		assert.Equal(t, q, counts[v], "PlanSplit's quota of v%d", v)
	}
}

// randomWeights returns random weights over the versions, summing to 1
// within rounding, with some zero but not all, and sometimes off 1 by up to
// 1e-7 (valid weights, used as given).
func randomWeights(rng *rand.Rand, versions []int) map[int]float64 {
	for {
		ws := map[int]float64{}
		var sum float64
		for _, v := range versions {
			if rng.IntN(4) == 0 {
				continue
			}
			w := rng.Float64()
			if rng.IntN(3) == 0 {
				w = float64(rng.IntN(20)) / 20 // round fractions: whole products
			}
			if w > 0 {
				ws[v] = w
				sum += w
			}
		}
		if sum == 0 {
			continue
		}
		for v := range ws {
			ws[v] /= sum
		}
		if rng.IntN(4) == 0 {
			v := slices.Sorted(maps.Keys(ws))[0]
			ws[v] = max(0, ws[v]+(rng.Float64()-0.5)*2e-7)
		}
		if validWeights(ws) {
			return ws
		}
	}
}

// raiseOne returns ws with one version's weight raised by what some of the
// others give up in proportion to their weights (the rest keep theirs), so
// that the weights still sum to 1 within rounding and no other rises.
func raiseOne(rng *rand.Rand, ws map[int]float64, versions []int) map[int]float64 {
	up := versions[rng.IntN(len(versions))]
	out := maps.Clone(ws)
	var donors []int
	var pool float64
	for _, v := range versions {
		if v != up && ws[v] > 0 && (len(donors) == 0 || rng.IntN(3) != 0) {
			donors = append(donors, v)
			pool += ws[v]
		}
	}
	if pool == 0 {
		return out
	}
	d := pool * rng.Float64()
	for _, v := range donors {
		out[v] = ws[v] * (1 - d/pool)
	}
	out[up] = ws[up] + d
	return out
}

// TestDefect5MonotoneExamples: the two documented examples. Three entities
// at (1/3, 1/3, 1/3) → {1: 0.5, 2: 0.5, 3: 0}: v3's entity goes only to a
// version whose quota rose. Two entities at {.55, .1, .35} → {.5, .2, .3}:
// the one entity that moves lands in v2, the only version whose weight rose,
// never in v3.
func TestDefect5MonotoneExamples(t *testing.T) {
	rng := newRand(t, 105)
	t.Run("thirds", func(t *testing.T) {
		e, keys := setupAll(t, rng, 3)
		third := 1.0 / 3
		require.NoError(t, e.SetSplit(game, map[int]float64{1: third, 2: third, 3: third}))
		before := locations(t, e, keys)
		require.Equal(t, map[int]int{1: 1, 2: 1, 3: 1}, countByVersion(before))
		plan, err := e.PlanSplit(game, map[int]float64{1: 0.5, 2: 0.5})
		require.NoError(t, err)
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
		after := locations(t, e, keys)
		checkPlanned(t, plan, before, after)
		mv := movesOf(before, after)
		require.Len(t, mv, 1)
		for _, ft := range mv {
			assert.Equal(t, 3, ft[0])
			assert.Equal(t, 2, countByVersion(after)[ft[1]], "v%d's quota rose to 2", ft[1])
		}
		checkExact(t, e, nil)
	})
	t.Run("one rises", func(t *testing.T) {
		// The defect's case: the entity v1 gives up went to v3, whose
		// weight fell, not to v2, the one that rose. (From {v1: 1, v3: 1}
		// nothing moves now: v3 keeps the seat it holds.)
		e, keys := setupAll(t, rng, 2)
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.55, 2: 0.1, 3: 0.35}))
		before := locations(t, e, keys)
		require.Equal(t, map[int]int{1: 2}, countByVersion(before), "v1 keeps the seat it holds")
		plan, err := e.PlanSplit(game, map[int]float64{1: 0.5, 2: 0.2, 3: 0.3})
		require.NoError(t, err)
		require.Len(t, plan.Moves, 1)
		assert.Equal(t, 2, plan.Moves[0].To)
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.2, 3: 0.3}))
		after := locations(t, e, keys)
		checkPlanned(t, plan, before, after)
		for k, ft := range movesOf(before, after) {
			assert.Equal(t, 2, ft[1], "key %#x moved v%d→v%d", uint64(k), ft[0], ft[1])
		}
		checkExact(t, e, nil)
	})
}

// TestSplitMonotoneRoundingLimit documents what rounding does to "when one
// weight rises, entities move only into that version": four versions at
// 0.25 each hold two entities, on v4 and v5. Then v5 rises to 0.5, v4
// falls to 0, v1 and v6 stay. v5's quota is exactly 0.5·2 = 1, which it
// holds already, so the entity v4 must give up cannot go into v5: it goes
// to v1 (of v1 and v6, whose weights stayed, the lower version), the one
// seat rounding leaves no other choice for.
func TestSplitMonotoneRoundingLimit(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	for _, n := range []int{4, 5, 6} {
		require.NoError(t, e.Register(game, fakeVersion{num: n, migs: []ecs.Migration{identity(1, n), identity(n, 1)}}))
	}
	for _, n := range []int{1, 4, 5, 6} {
		require.NoError(t, e.Load(game, n))
	}
	keys := spawn(t, e, newRand(t, 150), 2)
	require.NoError(t, e.SetSplit(game, map[int]float64{4: 0.5, 5: 0.5}))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.25, 4: 0.25, 5: 0.25, 6: 0.25}))
	before := locations(t, e, keys)
	require.Equal(t, map[int]int{4: 1, 5: 1}, countByVersion(before))
	ws := map[int]float64{1: 0.25, 5: 0.5, 6: 0.25}
	plan, err := e.PlanSplit(game, ws)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, ws))
	after := locations(t, e, keys)
	checkPlanned(t, plan, before, after)
	checkExact(t, e, nil)
	assert.Equal(t, map[int]int{1: 1, 5: 1}, countByVersion(after))
	for k, ft := range movesOf(before, after) {
		assert.Equal(t, [2]int{4, 1}, ft, "key %#x", uint64(k))
	}
}

// TestDefect5SplitProperties drives the engine through random weight
// sequences (seeded) and checks after every SetSplit that (a) each version
// holds ⌊w·N⌋ or ⌈w·N⌉ with w as given, (b) every moved entity went from a
// version above its new quota to one below it, (c) when exactly one weight
// rose, entities moved only into that version (but for the seat rounding
// may force elsewhere, see checkOneRose), (d) the same split again
// moves nothing, and that PlanSplit predicted exactly the moves SetSplit
// made (keys, from and to) and the resulting counts.
func TestDefect5SplitProperties(t *testing.T) {
	rng := newRand(t, 205)
	for round := range 6 {
		n := []int{1, 2, 3, 10, 97, 400}[round]
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, keys := setupAll(t, rng, n)
			ws, err := e.Split(game)
			require.NoError(t, err)
			for step := range 40 {
				next := randomWeights(rng, allVersions)
				if rng.IntN(2) == 0 {
					next = raiseOne(rng, ws, allVersions)
					if !validWeights(next) {
						continue
					}
				}
				rose, up := 0, 0
				for _, v := range allVersions {
					if next[v] > ws[v] {
						rose++
						up = v
					}
				}
				before := locations(t, e, keys)
				plan, err := e.PlanSplit(game, next)
				require.NoError(t, err)
				require.NoError(t, e.SetSplit(game, next), "step %d: %v", step, next)
				after := locations(t, e, keys)
				counts := checkExact(t, e, nil)      // (a)
				checkPlanned(t, plan, before, after) // PlanSplit
				cb := countByVersion(before)
				for k, ft := range movesOf(before, after) {
					assert.Greater(t, cb[ft[0]], counts[ft[0]], "(b) key %#x left v%d, not above its quota", uint64(k), ft[0])
					assert.Less(t, cb[ft[1]], counts[ft[1]], "(b) key %#x entered v%d, not below its quota", uint64(k), ft[1])
				}
				if rose == 1 {
					// (c) as far as rounding allows (see checkOneRose).
					cur, q := make([]int, 3), make([]int, 3)
					for i, v := range allVersions {
						cur[i], q[i] = cb[v], counts[v]
					}
					_, hiUp := quotaBounds(next[up], weightTotal(next), n)
					checkOneRose(t, up-1, cur, q, hiUp, fmt.Sprintf("%v → %v, counts %v → %v", ws, next, cur, q))
				}
				// (d) sticky.
				again, err := e.PlanSplit(game, next)
				require.NoError(t, err)
				assert.Empty(t, again.Moves, "(d)")
				require.NoError(t, e.SetSplit(game, next))
				assert.Equal(t, after, locations(t, e, keys), "(d)")
				ws, err = e.Split(game)
				require.NoError(t, err)
			}
		})
	}
}

// TestDefect6ExactAtScale: weights {1: 0.5, 2: 0.5−1e-7} are valid and used
// as given: v1 holds exactly N/2 at every size, v2 the floor or ceiling of
// its product.
func TestDefect6ExactAtScale(t *testing.T) {
	ws := map[int]float64{1: 0.5, 2: 0.5 - 1e-7}
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e := setup(t)
			require.NoError(t, e.Load(game, 2))
			rows := ecs.MakeColumns(layoutV1, n)
			_, err := e.Spawn(game, 1, &rows)
			require.NoError(t, err)
			plan, err := e.PlanSplit(game, ws)
			require.NoError(t, err)
			assert.Equal(t, n/2, plan.Quota[1])
			require.NoError(t, e.SetSplit(game, ws))
			_, by := metricsOf(t, e)
			assert.Equal(t, n/2, by[1].Entities, "v1: exactly 0.5·N")
			x := ws[2] * float64(n)
			assert.True(t, by[2].Entities == int(math.Floor(x)) || by[2].Entities == int(math.Ceil(x)),
				"v2 holds %d, w·N = %v", by[2].Entities, x)
			assert.Equal(t, n, by[1].Entities+by[2].Entities)
			assert.Equal(t, plan.Quota[2], by[2].Entities)
		})
	}
}

// TestDefect9SpawnErrorsWrapBadColumns: every refused input is an
// ErrBadColumns (nil, another layout, ragged, non-finite) and changes
// nothing; the keys in the input are ignored.
func TestDefect9SpawnErrorsWrapBadColumns(t *testing.T) {
	rng := newRand(t, 109)
	e := setup(t)
	spawn(t, e, rng, 4)
	before := state(t, e)
	ragged := v1Rows(rng, 3)
	ragged.Keys = append(ragged.Keys, 0)
	nan := v1Rows(rng, 3)
	ecs.Column(nan, scenario.Velocity)[1].Y = float32(math.NaN())
	inf := v1Rows(rng, 3)
	ecs.Column(inf, scenario.Position)[2].X = float32(math.Inf(-1))
	for name, c := range map[string]*ecs.Columns{
		"nil":          nil,
		"no layout":    {},
		"v2's layout":  layoutRows(rng, 2, 3),
		"v3's layout":  layoutRows(rng, 3, 1),
		"other layout": layoutRows(rng, 0, 3),
		"ragged":       ragged,
		"NaN":          nan,
		"infinite":     inf,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.Spawn(game, 1, c)
			assertErr(t, err, ErrBadColumns)
			requireSameStates(t, before, state(t, e))
		})
	}
	// Arbitrary keys in the input are ignored: duplicates, huge, stale.
	rows := v1Rows(rng, 5)
	for i := range rows.Keys {
		rows.Keys[i] = ecs.NewKey(7, 7)
	}
	rows.Keys[4] = ecs.Key(math.MaxUint64)
	in := rows.Clone()
	keys, err := e.Spawn(game, 1, rows)
	require.NoError(t, err)
	require.Len(t, keys, 5)
	assert.True(t, ecs.Equal(&in, rows), "Spawn does not change its input")
	st := checkIndex(t, e)
	seen := map[ecs.Key]bool{}
	for i, k := range keys {
		assert.False(t, seen[k])
		seen[k] = true
		_, old := before[k]
		assert.False(t, old, "a fresh key")
		assert.True(t, sameMotion(rowOf(rows, 1, i), st[k]))
	}
	_, err = e.Locate(game, ecs.NewKey(7, 7))
	assertErr(t, err, ErrUnknownEntity)
}

// TestDefect11SpawnRefusesOneNaNRow: a batch with one NaN row is refused
// whole and changes nothing, not even the next key.
func TestDefect11SpawnRefusesOneNaNRow(t *testing.T) {
	rng := newRand(t, 211)
	e, _ := setupAll(t, rng, 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
	before := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	for _, layout := range allVersions {
		rows := layoutRows(rng, layout, 50)
		ecs.Column(rows, scenario.Position)[37].Y = float32(math.NaN())
		_, err := e.Spawn(game, layout, rows)
		assertErr(t, err, ErrBadColumns, ErrNonFinite)
		requireSameStates(t, before, checkIndex(t, e))
	}
	assert.Empty(t, c.all())
	keys := spawn(t, e, rng, 1)
	assert.Equal(t, uint32(10), keys[0].Index(), "no key was consumed")
	// With state checks off, the engine does not scan spawned rows.
	e2 := setup(t, WithStateChecks(false))
	rows := v1Rows(rng, 3)
	ecs.Column(rows, scenario.Position)[1].Y = float32(math.NaN())
	_, err := e2.Spawn(game, 1, rows)
	assert.NoError(t, err)
}

// countingVersion is v4: v1's layout and logic, with migrations to and from
// v1 whose Convert functions count the rows they convert.
func countingVersion(rows *atomic.Int64) fakeVersion {
	count := func(src, dst *ecs.Columns) error {
		rows.Add(int64(src.Len()))
		return nil
	}
	return fakeVersion{num: 4, migs: []ecs.Migration{{From: 1, To: 4, Convert: count}, {From: 4, To: 1, Convert: count}}}
}

// TestPinUnpinDespawnOneKeyAtScale: with a million entities, pinning,
// unpinning and despawning one key converts at most a couple of rows (the
// entity itself and at most one the split re-balances), and the key index
// stays right for the entity that a removal moves into the hole (checked
// by peeking at it and by operating on it next), and for every key at the
// end.
func TestPinUnpinDespawnOneKeyAtScale(t *testing.T) {
	const n = 1_000_000
	var converted atomic.Int64
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, countingVersion(&converted)))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 4))
	rows := ecs.MakeColumns(layoutV1, n)
	pos := ecs.Column(&rows, scenario.Position)
	for i := range pos {
		pos[i].X = float32(i) // exact up to 2^24: row i's entity is recognisable
	}
	keys, err := e.Spawn(game, 1, &rows)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 4: 0.5}))
	require.Equal(t, int64(n/2), converted.Load())
	var c collector
	e.Subscribe(c.listen)

	// peek checks that key i lives on version v with its own state.
	peek := func(i, v int) {
		t.Helper()
		got, err := e.Locate(game, keys[i])
		require.NoError(t, err)
		require.Equal(t, v, got, "key %d", i)
		one, err := e.Peek(game, []ecs.Key{keys[i]})
		require.NoError(t, err)
		cols, ok := one[v]
		require.True(t, ok)
		require.Equal(t, []ecs.Key{keys[i]}, cols.Keys)
		require.Equal(t, float32(i), ecs.Column(&cols, scenario.Position)[0].X, "key %d", i)
	}
	moved := func() int {
		m := 0
		for _, ev := range c.of(EventMigration) {
			m += ev.Entities
		}
		c.reset()
		return m
	}
	// v1 holds keys[:n/2] in spawn order (the split moved the tail).
	peek(10, 1)
	peek(n/2-1, 1)
	peek(n/2, 4)

	converted.Store(0)
	require.NoError(t, e.Pin(game, keys[10], 4)) // the last of v1 fills its hole
	assert.LessOrEqual(t, moved(), 2)
	assert.LessOrEqual(t, converted.Load(), int64(2))
	peek(10, 4)
	peek(n/2-1, 1)

	converted.Store(0)
	require.NoError(t, e.Unpin(game, keys[10]))
	assert.LessOrEqual(t, moved(), 2)
	assert.LessOrEqual(t, converted.Load(), int64(2))

	// Operate on the entity the pin moved: its new row must be known.
	converted.Store(0)
	require.NoError(t, e.Pin(game, keys[n/2-1], 4))
	assert.LessOrEqual(t, converted.Load(), int64(2))
	peek(n/2-1, 4)
	require.NoError(t, e.Despawn(game, keys[n/2-1]))
	_, err = e.Locate(game, keys[n/2-1])
	assertErr(t, err, ErrUnknownEntity)

	converted.Store(0)
	moved()
	victim := n / 4
	require.NoError(t, e.Despawn(game, keys[victim]))
	assert.LessOrEqual(t, moved(), 1)
	assert.LessOrEqual(t, converted.Load(), int64(1))
	_, err = e.Locate(game, keys[victim])
	assertErr(t, err, ErrUnknownEntity)
	plan, err := e.PlanSplit(game, map[int]float64{1: 0.5, 4: 0.5})
	require.NoError(t, err)
	assert.Empty(t, plan.Moves, "the split is exact after the despawn")
	assert.Equal(t, n-2, plan.Quota[1]+plan.Quota[4])

	// Every key: Locate agrees with Export, and each entity kept its state.
	ex, err := e.Export(game)
	require.NoError(t, err)
	total := 0
	for v, cols := range ex {
		total += cols.Len()
		x := ecs.Column(&cols, scenario.Position)
		for r, k := range cols.Keys {
			if i := int(x[r].X); keys[i] != k {
				require.Failf(t, "wrong state", "v%d row %d: key %#x holds the state of key %#x", v, r, uint64(k), uint64(keys[i]))
			}
			if r%997 == 0 || r >= cols.Len()-3 {
				got, err := e.Locate(game, k)
				require.NoError(t, err)
				require.Equal(t, v, got)
			}
		}
	}
	assert.Equal(t, n-2, total)
}

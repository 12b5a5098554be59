package versioning

import (
	"fmt"
	"slices"

	"github.com/grove-engine/grove/ecs"
)

// keyTable allocates entity keys and records where every live entity is:
// its version and its row in that version's world. The row index is kept up
// to date in bulk by every structural change, so finding an entity is O(1).
// Generations and locations are two arrays, so a capture copies the
// generations with one memmove.
type keyTable struct {
	gens  []uint32 // generation of each slot, indexed by Key.Index
	locs  []loc    // where each slot's live entity is
	free  []uint32
	live  int
	epoch uint64 // changes whenever gens or free change
}

// loc is where a live entity is.
type loc struct {
	ver int32 // 0: free
	row int32
}

// peek returns the keys the next n spawned entities will get, without
// taking them.
func (t *keyTable) peek(n int) []ecs.Key {
	keys := make([]ecs.Key, n)
	reuse := min(n, len(t.free))
	for i := range reuse {
		idx := t.free[len(t.free)-1-i]
		keys[i] = ecs.NewKey(idx, t.gens[idx])
	}
	next := uint32(len(t.gens))
	fresh := keys[reuse:]
	for i := range fresh {
		fresh[i] = ecs.NewKey(next+uint32(i), 1)
	}
	return keys
}

// take marks the keys peek returned as live: the first ones reuse free
// slots, the rest are new slots, appended in one go.
func (t *keyTable) take(keys []ecs.Key) {
	reuse := min(len(keys), len(t.free))
	t.free = t.free[:len(t.free)-reuse]
	if fresh := keys[reuse:]; len(fresh) > 0 {
		old := len(t.gens)
		t.gens = slices.Grow(t.gens, len(fresh))[:old+len(fresh)]
		t.locs = slices.Grow(t.locs, len(fresh))[:old+len(fresh)]
		gens, locs := t.gens[old:], t.locs[old:]
		for i, k := range fresh {
			gens[i] = k.Gen()
			locs[i] = loc{}
		}
	}
	t.live += len(keys)
	t.epoch++
}

// release frees a live key: its slot's generation advances so the key is
// never valid again.
func (t *keyTable) release(k ecs.Key) {
	i := k.Index()
	t.locs[i] = loc{}
	t.gens[i]++
	t.free = append(t.free, i)
	t.live--
	t.epoch++
}

// lookup returns where a live entity is, or an error wrapping
// ErrUnknownEntity.
func (t *keyTable) lookup(module string, k ecs.Key) (ver, row int, err error) {
	idx := k.Index()
	if int(idx) >= len(t.gens) || t.gens[idx] != k.Gen() || t.locs[idx].ver == 0 {
		return 0, 0, fmt.Errorf("%w: %s key %#x", ErrUnknownEntity, module, uint64(k))
	}
	l := t.locs[idx]
	return int(l.ver), int(l.row), nil
}

// place records that keys[i] lives in version ver at row first+i.
func (t *keyTable) place(keys []ecs.Key, ver, first int) {
	for i, k := range keys {
		t.locs[k.Index()] = loc{ver: int32(ver), row: int32(first + i)}
	}
}

// afterRemove re-indexes a world after World.RemoveRows(rows): every row
// if it was rebuilt, else the removed rows below the new length, which now
// hold entities from the old tail.
func (t *keyTable) afterRemove(keys []ecs.Key, ver int, rows []int32, rebuilt bool) {
	if rebuilt {
		t.place(keys, ver, 0)
		return
	}
	for _, r := range rows {
		if int(r) >= len(keys) {
			break
		}
		t.locs[keys[r].Index()] = loc{ver: int32(ver), row: r}
	}
}

// reset makes the table hold the given generations and free list, with no
// entity placed yet.
func (t *keyTable) reset(gens, free []uint32) {
	*t = keyTable{gens: slices.Clone(gens), locs: make([]loc, len(gens)), free: slices.Clone(free), epoch: t.epoch + 1}
}

func (t *keyTable) memoryBytes() int { return cap(t.gens)*4 + cap(t.locs)*8 + cap(t.free)*4 }

package versioning

import (
	"fmt"
	"slices"

	"github.com/grove-engine/grove/ecs"
)

// keyTable allocates entity keys and records where every live entity is:
// its version and its row in that version's world. The row index is kept up
// to date in bulk by every structural change, so finding an entity is O(1).
type keyTable struct {
	slots []slot // indexed by Key.Index
	free  []uint32
	live  int
}

// slot records the entity with a given key index.
type slot struct {
	gen uint32
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
		keys[i] = ecs.NewKey(idx, t.slots[idx].gen)
	}
	next := uint32(len(t.slots))
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
		old := len(t.slots)
		t.slots = slices.Grow(t.slots, len(fresh))[:old+len(fresh)]
		s := t.slots[old:]
		for i, k := range fresh {
			s[i] = slot{gen: k.Gen()}
		}
	}
	t.live += len(keys)
}

// release frees a live key: its slot's generation advances so the key is
// never valid again.
func (t *keyTable) release(k ecs.Key) {
	s := &t.slots[k.Index()]
	s.ver, s.row = 0, 0
	s.gen++
	t.free = append(t.free, k.Index())
	t.live--
}

// lookup returns where a live entity is, or an error wrapping
// ErrUnknownEntity.
func (t *keyTable) lookup(module string, k ecs.Key) (ver, row int, err error) {
	idx := k.Index()
	if int(idx) >= len(t.slots) || t.slots[idx].gen != k.Gen() || t.slots[idx].ver == 0 {
		return 0, 0, fmt.Errorf("%w: %s key %#x", ErrUnknownEntity, module, uint64(k))
	}
	s := t.slots[idx]
	return int(s.ver), int(s.row), nil
}

// place records that keys[i] lives in version ver at row first+i.
func (t *keyTable) place(keys []ecs.Key, ver, first int) {
	for i, k := range keys {
		s := &t.slots[k.Index()]
		s.ver, s.row = int32(ver), int32(first+i)
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
		s := &t.slots[keys[r].Index()]
		s.ver, s.row = int32(ver), r
	}
}

func (t *keyTable) memoryBytes() int { return cap(t.slots)*12 + cap(t.free)*4 }

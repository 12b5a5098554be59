package bench

import (
	"fmt"
	"testing"
	"unsafe"

	arche "github.com/mlange-42/arche/ecs"
)

// The floor: what moving entities costs in arche itself, with no Grove code
// in the loop. This file is the one place outside ecs/ that imports arche:
// it measures arche, so the README can state Grove's overhead over it as a
// ratio from the same run.

type (
	floorKey  uint64
	floorVec2 struct{ X, Y float32 }
	floorVel  struct{ X, Y float32 }
	floorFlag bool
)

// floorWorld is an arche world whose entities hold the v2 layout (key,
// position, velocity, collided) in one archetype.
type floorWorld struct {
	w      arche.World
	ids    []arche.ID
	filter arche.CachedFilter
}

func newFloorWorld(capacity int) *floorWorld {
	f := &floorWorld{w: arche.NewWorld(capacity + 2)}
	f.ids = []arche.ID{arche.ComponentID[floorKey](&f.w), arche.ComponentID[floorVec2](&f.w),
		arche.ComponentID[floorVel](&f.w), arche.ComponentID[floorFlag](&f.w)}
	flt := arche.All(f.ids...).Exclusive()
	f.filter = f.w.Cache().Register(&flt)
	return f
}

// columns returns the world's columns as raw bytes, in ids order.
func (f *floorWorld) columns() (n int, cols [4][]byte) {
	q := f.w.Query(&f.filter)
	n = q.Count()
	if n > 0 && q.Next() {
		sizes := [4]int{8, 8, 8, 1}
		for i, id := range f.ids {
			cols[i] = unsafe.Slice((*byte)(q.Get(id)), n*sizes[i])
		}
	}
	q.Close()
	return n, cols
}

// moveAll moves every entity of src to dst by whole columns: read the
// columns, batch-create in dst, copy, batch-remove from src.
func moveAll(src, dst *floorWorld) {
	n, from := src.columns()
	if n == 0 {
		return
	}
	q := dst.w.Batch().NewQ(n, dst.ids...)
	q.Close()
	_, to := dst.columns()
	for i := range from {
		copy(to[i][len(to[i])-len(from[i]):], from[i])
	}
	src.w.Batch().RemoveEntities(&src.filter)
}

// BenchmarkFloor is arche's own floor for the engine's entity moves:
// impl=arche-move moves every entity between two warm worlds by whole
// columns (BenchmarkMigrate's floor); impl=arche-create batch-creates n
// entities into a fresh presized world and fills their columns
// (BenchmarkSpawn/fresh's floor); impl=copy copies the same bytes with a
// plain copy (the memory floor).
func BenchmarkFloor(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("impl=arche-move/n=%d", n), func(b *testing.B) {
			a, c := newFloorWorld(n), newFloorWorld(n)
			q := a.w.Batch().NewQ(n, a.ids...)
			q.Close()
			moveAll(a, c)
			moveAll(c, a) // both worlds warm
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					moveAll(a, c)
				} else {
					moveAll(c, a)
				}
			}
			perEntity(b, n)
		})
		b.Run(fmt.Sprintf("impl=arche-create/n=%d", n), func(b *testing.B) {
			src := make([]byte, n*25)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w := newFloorWorld(n)
				q := w.w.Batch().NewQ(n, w.ids...)
				q.Close()
				_, to := w.columns()
				off := 0
				for i := range to {
					off += copy(to[i], src[off:])
				}
			}
			perEntity(b, n)
		})
		b.Run(fmt.Sprintf("impl=copy/n=%d", n), func(b *testing.B) {
			src, dst := make([]byte, n*25), make([]byte, n*25)
			b.SetBytes(int64(n * 25))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				copy(dst, src)
			}
			perEntity(b, n)
		})
	}
}

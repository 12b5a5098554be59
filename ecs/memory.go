package ecs

import (
	"runtime"
	"sync"
)

// overhead is the heap an empty world costs beyond what arche's statistics
// report (its archetype graph, component registry, filter cache and so on),
// measured once per process.
var overhead struct {
	once  sync.Once
	bytes int
}

// WorldOverhead is the heap one empty [World] occupies beyond arche's own
// accounting of entities and components. It is measured the first time it
// is needed, by creating a few worlds between two runtime.GC calls, and
// included in [World.MemoryBytes].
func WorldOverhead() int {
	overhead.once.Do(func() {
		const k = 16
		var a, b runtime.MemStats
		l, _ := NewLayout()
		runtime.GC()
		runtime.ReadMemStats(&a)
		ws := make([]*World, k)
		one := MakeColumns(l, 1)
		for i := range ws {
			// A world that has held entities: its archetype exists.
			ws[i], _ = NewWorld(l, 0)
			_ = ws[i].Append(&one)
			ws[i].RemoveAll()
		}
		runtime.GC()
		runtime.ReadMemStats(&b)
		stats := 0
		for _, w := range ws {
			stats += w.w.Stats().Memory
		}
		runtime.KeepAlive(ws)
		overhead.bytes = max(0, (int(b.HeapAlloc)-int(a.HeapAlloc)-stats)/k)
	})
	return overhead.bytes
}

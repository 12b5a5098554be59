package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/grove-engine/grove/versioning"
)

// steadyState is how long a run must tick before it is in steady state:
// longer than every window the engine keeps (the failure policy's default
// 10 s of recent steps, the 1024 step times of the p99), so every buffer
// has reached the size it keeps.
const steadyState = 20 * time.Second

// tickAllocEngine builds the engine of BenchmarkTickAlloc: default options
// (backups every frame, state checks on, no logger, no listener), the frame
// budget off so that a slow, shared machine cannot fail a step, v1, v2 and
// v3 loaded and splitting n entities 20/30/50, run to steady state.
func tickAllocEngine(tb testing.TB, n int) *versioning.Engine {
	tb.Helper()
	e := engine(tb, n, []int{1, 2, 3}, versioning.WithFrameBudget(0))
	must(tb, e.SetSplit("game", map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	for range int(steadyState / frame) {
		must(tb, e.Tick(frame))
	}
	return e
}

// BenchmarkTickAlloc shows what one Tick allocates in steady state without
// a logger: 3 versions over 100,000 entities with the engine's default
// options. It must report 0 allocs/op (TestTickDoesNotAllocate enforces it
// at a smaller size).
func BenchmarkTickAlloc(b *testing.B) {
	const n = 100000
	e := tickAllocEngine(b, n) // once: the sub-benchmark's runs share it
	b.Run(fmt.Sprintf("versions=3/n=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			must(b, e.Tick(frame))
		}
		perEntity(b, n)
	})
}

// TestTickDoesNotAllocate fails if a steady-state Tick (3 versions, default
// options, no logger) allocates at all.
func TestTickDoesNotAllocate(t *testing.T) {
	e := tickAllocEngine(t, 1000)
	allocs := testing.AllocsPerRun(200, func() { must(t, e.Tick(frame)) })
	if allocs != 0 {
		t.Errorf("Tick allocates %v times per frame in steady state, want 0", allocs)
	}
}

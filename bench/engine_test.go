package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// BenchmarkMigrate moves every entity between two versions (v1 and v2, one
// direction per iteration): copy out, migrate, remove, append. Target: ≤ 100
// ns per entity moved.
func BenchmarkMigrate(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			e := engine(b, n, []int{1, 2})
			// Warm up: both worlds and every buffer have held n entities.
			must(b, e.SetSplit("game", map[int]float64{2: 1}))
			must(b, e.SetSplit("game", map[int]float64{1: 1}))
			b.ReportAllocs()
			b.ResetTimer()
			splits := []map[int]float64{{2: 1}, {1: 1}}
			for i := range b.N {
				must(b, e.SetSplit("game", splits[i%2]))
			}
			perEntity(b, n)
		})
	}
}

// BenchmarkRollback rolls a version of n entities back to v1: restore from
// the backup, migrate, append to v1. target=loaded has v1 loaded and empty;
// target=unloaded has it unloaded and its memory collected first (as the
// engine's automatic GC does), so the rollback loads it again (the scenario's
// phase 4). Target: ≤ 60 ns per entity.
func BenchmarkRollback(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		for _, target := range []string{"loaded", "unloaded"} {
			b.Run(fmt.Sprintf("n=%d/target=%s", n, target), func(b *testing.B) {
				e := engine(b, n, []int{1, 2})
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					must(b, e.SetSplit("game", map[int]float64{2: 1}))
					must(b, e.Tick(frame)) // takes v2's backup
					if target == "unloaded" {
						// As the engine's automatic GC does: drop the
						// version, then collect, so its memory is freed.
						must(b, e.Unload("game", 1))
						runtime.GC()
					}
					b.StartTimer()
					must(b, e.Rollback("game", 1))
				}
				perEntity(b, n)
			})
		}
	}
}

// BenchmarkBackup takes one backup of a world of n entities between
// structural changes, as the engine does before every frame: only the
// columns the version's systems write are copied. Target: ≤ 1 ns per entity.
func BenchmarkBackup(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		for _, v := range versions(b) {
			b.Run(fmt.Sprintf("n=%d/version=%d", n, v.Number()), func(b *testing.B) {
				w := world(b, v, n)
				logic, err := v.NewLogic()
				must(b, err)
				writes := logic.Schedule().Writes()
				var bk ecs.Backup
				bk.Take(w, writes) // the full copy after a structural change
				b.SetBytes(int64(bk.Take(w, writes)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					bk.Take(w, writes)
				}
				perEntity(b, n)
			})
		}
	}
}

// BenchmarkTick compares one engine frame of three versions (v1/v2/v3 at
// 20/30/50%) with stepping the same systems over the same worlds directly.
// mode=engine has backups and state checks off, so the difference is the
// engine's own routing and metrics cost (target ≤ 5% of the systems' time);
// mode=engine+checks adds the non-finite state check, mode=engine+backups the
// per-frame backups, to show what each costs.
func BenchmarkTick(b *testing.B) {
	const n = 100000
	split := map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}
	modes := []struct {
		name string
		opts []versioning.Option
	}{
		{"engine", []versioning.Option{versioning.WithBackupEvery(0), versioning.WithStateChecks(false), versioning.WithFrameBudget(0)}},
		{"engine+checks", []versioning.Option{versioning.WithBackupEvery(0), versioning.WithFrameBudget(0)}},
		{"engine+backups", []versioning.Option{versioning.WithStateChecks(false), versioning.WithFrameBudget(0)}},
	}
	for _, mode := range modes {
		sizes := []int{n}
		if mode.name == "engine" {
			sizes = append(sizes, 1000000)
		}
		for _, size := range sizes {
			b.Run(fmt.Sprintf("mode=%s/n=%d", mode.name, size), func(b *testing.B) {
				e := engine(b, size, []int{1, 2, 3}, mode.opts...)
				defer e.Close()
				must(b, e.SetSplit("game", split))
				must(b, e.Tick(frame))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					must(b, e.Tick(frame))
				}
				perEntity(b, size)
			})
		}
	}
	b.Run(fmt.Sprintf("mode=direct/n=%d", n), func(b *testing.B) {
		type stepper struct {
			w     *ecs.World
			sched ecs.Schedule
		}
		var steps []stepper
		for i, v := range versions(b) {
			share := int(split[i+1] * n)
			logic, err := v.NewLogic()
			must(b, err)
			steps = append(steps, stepper{world(b, v, share), logic.Schedule()})
		}
		dt := float32(frame.Seconds())
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			for _, s := range steps {
				for _, sys := range s.sched {
					must(b, sys.Run(s.w.View(), dt))
				}
			}
		}
		perEntity(b, n)
	})
}

// BenchmarkStateCheck is the engine's per-frame non-finite state check alone:
// the SIMD scan of a v3 world's position, velocity and mass columns, in
// ns/entity, so its cost can be read apart from BenchmarkTick.
func BenchmarkStateCheck(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			w := world(b, versions(b)[2], n)
			b.SetBytes(int64(n) * 20)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c := w.Columns()
				if row, _ := c.FirstNonFinite(); row >= 0 {
					b.Fatalf("non-finite value at row %d", row)
				}
			}
			perEntity(b, n)
		})
	}
}

// BenchmarkSpawn spawns n entities as v1 into a fresh engine (v1 loaded,
// empty): checking the input, assigning keys, routing, and creating the
// entities in one presized batch. Its floor is BenchmarkFloor's
// impl=arche-create (target: ≤ 1.5× it).
func BenchmarkSpawn(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("fresh/n=%d", n), func(b *testing.B) {
			src := entities(n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				e := engine(b, 0, []int{1})
				b.StartTimer()
				if _, err := e.Spawn("game", 1, src); err != nil {
					b.Fatal(err)
				}
			}
			perEntity(b, n)
		})
	}
}

// BenchmarkSplit applies a three-way split of n entities from all-v1 to
// v1/v2/v3 at 20/30/50 (and back), the scenario's phase 5: planning, the
// moves and the migrations. Target at n=1,000,000: ≤ 25 ms.
func BenchmarkSplit(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			e := engine(b, n, []int{1, 2, 3})
			three := map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}
			one := map[int]float64{1: 1}
			must(b, e.SetSplit("game", three))
			must(b, e.SetSplit("game", one))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				must(b, e.SetSplit("game", three))
				b.StopTimer()
				must(b, e.SetSplit("game", one))
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/split")
		})
	}
}

// BenchmarkRecover is a failing frame: v2, holding every entity, fails its
// step (an injected failure, after it ran), and the frame restores its
// entities from the backup, moves them to v1 and steps them there. Compare
// with BenchmarkTick's cost of one frame and with the floor's move.
func BenchmarkRecover(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		for _, target := range []string{"loaded", "unloaded"} {
			b.Run(fmt.Sprintf("n=%d/target=%s", n, target), func(b *testing.B) {
				e := engine(b, n, []int{1, 2}, versioning.WithFrameBudget(0))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					must(b, e.Reload("game", 2)) // clears the failure
					must(b, e.SetSplit("game", map[int]float64{2: 1}))
					if target == "unloaded" {
						must(b, e.Unload("game", 1))
						runtime.GC()
					}
					must(b, e.InjectFailure("game", 2, versioning.PhaseStep, nil))
					b.StartTimer()
					must(b, e.Tick(frame))
				}
				perEntity(b, n)
			})
		}
	}
}

package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/persist"
)

// The persistence benchmarks (versioning/persist), at 1,000,000 entities
// over v1, v2 and v3 at 20/30/50%, each against its target:
//
//	BenchmarkPersistStall   frame stall of a non-blocking save   ≤ 1 ns/entity
//	BenchmarkPersistEncode  encode + write to the page cache     ≥ 1000 MB/s
//	BenchmarkPersistLoad    read + decode + bind + Restore       ≤ 60 ns/entity
//	BenchmarkPersistDelta   delta after 1% changed, vs full      ≤ 5% (delta/full)
//	BenchmarkPersistText    XML and JSON, both directions        ≥ 50 MB/s
//
// Each reports the target's unit as a metric (ns/entity, MB/s, delta/full),
// from wall time, and the same from the process's CPU time (cpu-ns/entity,
// cpu-MB/s), which does not grow when other processes load the machine.

const persistN = 1_000_000

// persistWorld is the shared fixture: an engine holding persistN entities
// split 20/30/50 over v1, v2 and v3, built once per process.
var persistWorld struct {
	once sync.Once
	e    *versioning.Engine
	bin  []byte // its binary snapshot
}

func persistEngine(b *testing.B) (*versioning.Engine, []byte) {
	b.Helper()
	persistWorld.once.Do(func() {
		e := engine(b, persistN, []int{1, 2, 3})
		must(b, e.SetSplit("game", map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
		must(b, e.Tick(frame))
		s, err := e.Capture()
		must(b, err)
		var buf bytes.Buffer
		must(b, persist.WriteSnapshot(&buf, s))
		persistWorld.e, persistWorld.bin = e, buf.Bytes()
	})
	if persistWorld.e == nil {
		b.Fatal("the fixture failed to build")
	}
	return persistWorld.e, persistWorld.bin
}

// BenchmarkPersistStall measures what a non-blocking save costs the frame:
// how=capture is Engine.CaptureInto with reused buffers (all a save does
// on the game's goroutine); how=saver is Saver.Save, the capture plus the
// hand-off (the background write is waited for outside the timer).
func BenchmarkPersistStall(b *testing.B) {
	e, _ := persistEngine(b)
	b.Run(fmt.Sprintf("how=capture/n=%d", persistN), func(b *testing.B) {
		var s versioning.Snapshot
		must(b, e.CaptureInto(&s)) // warm the buffers
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			must(b, e.CaptureInto(&s))
		}
		perEntity(b, persistN)
		reportCPU(b, cpu0, persistN, 0)
	})
	b.Run(fmt.Sprintf("how=saver/n=%d", persistN), func(b *testing.B) {
		st, err := persist.NewStore(b.TempDir(), persist.WithFullEvery(1))
		must(b, err)
		done := make(chan persist.SaveResult, 1)
		sv, err := persist.NewSaver(st, persist.WithInFlight(1), persist.OnSave(func(r persist.SaveResult) { done <- r }))
		must(b, err)
		defer sv.Close()
		for range 2 { // warm the pool
			must(b, sv.Save(e))
			must(b, (<-done).Err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			must(b, sv.Save(e))
			b.StopTimer()
			must(b, (<-done).Err)
			b.StartTimer()
		}
		perEntity(b, persistN)
	})
}

// BenchmarkPersistEncode measures encoding a snapshot and writing it to a
// file in the OS page cache (no fsync): WriteSnapshot into a new file, as
// the Store writes each save into a new temporary file. The previous file
// is removed in the timed loop. (Truncating and rewriting the same file
// instead waits for the kernel's writeback of the old pages: on the
// README's machine that halves the wall-clock rate without costing CPU.)
func BenchmarkPersistEncode(b *testing.B) {
	e, bin := persistEngine(b)
	s, err := e.Capture()
	must(b, err)
	path := filepath.Join(b.TempDir(), "world.grove")
	b.Run(fmt.Sprintf("n=%d", persistN), func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				b.Fatal(err)
			}
			f, err := os.Create(path)
			must(b, err)
			must(b, persist.WriteSnapshot(f, s))
			must(b, f.Close())
		}
		perEntity(b, persistN)
		reportCPU(b, cpu0, persistN, int64(len(bin)))
		b.ReportMetric(float64(len(bin))/persistN, "bytes/entity")
	})
}

// BenchmarkPersistLoad measures loading a save into an engine: reading the
// file (from the page cache), decoding it (CRCs included), binding it to
// the engine's layouts and Restore. The phases are reported too. Each load
// starts from a collected heap (runtime.GC outside the timer), as a
// server's load at start-up does: the garbage of the previous iteration
// (the worlds the Restore replaced) is the benchmark's, not the load's;
// the collections the load's own allocations cause are counted.
func BenchmarkPersistLoad(b *testing.B) {
	_, bin := persistEngine(b)
	path := filepath.Join(b.TempDir(), "world.grove")
	must(b, os.WriteFile(path, bin, 0o644))
	target := engine(b, 0, []int{1, 2, 3})
	b.Run(fmt.Sprintf("n=%d", persistN), func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		var read, decode, bind, restore int64
		var cpu int64
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			runtime.GC()
			cpu0 := cpuTime()
			b.StartTimer()
			t0 := nanotime()
			data, err := os.ReadFile(path)
			must(b, err)
			t1 := nanotime()
			f, err := persist.ReadFile(data)
			must(b, err)
			t2 := nanotime()
			s, err := f.Snapshot(target)
			must(b, err)
			t3 := nanotime()
			must(b, target.Restore(s))
			t4 := nanotime()
			read, decode, bind, restore = read+t1-t0, decode+t2-t1, bind+t3-t2, restore+t4-t3
			cpu += cpuTime() - cpu0
		}
		b.StopTimer()
		perEntity(b, persistN)
		reportCPUTime(b, cpu, persistN, int64(len(bin)))
		n := float64(b.N) * persistN
		b.ReportMetric(float64(read)/n, "read-ns/entity")
		b.ReportMetric(float64(decode)/n, "decode-ns/entity")
		b.ReportMetric(float64(bind)/n, "bind-ns/entity")
		b.ReportMetric(float64(restore)/n, "restore-ns/entity")
	})
}

// BenchmarkPersistDelta saves a full save, changes the position of 1% of
// the entities (chosen at random, in every version), and saves again: the
// second save is a delta. It reports the delta's size over the full
// save's, and the time of the delta save (diff, encode, write, fsync).
func BenchmarkPersistDelta(b *testing.B) {
	e, _ := persistEngine(b)
	base, err := e.Capture()
	must(b, err)
	cur, err := e.Capture()
	must(b, err)
	cur.Frame++
	rng := rand.New(rand.NewPCG(1, 2))
	changed := 0
	for i := range cur.Modules[0].Versions {
		v := &cur.Modules[0].Versions[i]
		pos := v.Columns.Raw(scenario.Position.ID())
		for r := range v.Columns.Len() {
			if rng.IntN(100) == 0 {
				pos[r*8] ^= 0x5a
				changed++
			}
		}
	}
	b.Run("changed=1%", func(b *testing.B) {
		var full, delta int64
		for b.Loop() {
			b.StopTimer()
			st, err := persist.NewStore(b.TempDir(), persist.WithFullEvery(8))
			must(b, err)
			_, err = st.Save(base)
			must(b, err)
			b.StartTimer()
			_, err = st.Save(cur)
			must(b, err)
			b.StopTimer()
			saves, err := st.Saves()
			must(b, err)
			if len(saves) != 2 || saves[1].Kind != persist.KindDelta {
				b.Fatalf("want a full save then a delta, got %+v", saves)
			}
			full, delta = saves[0].Bytes(), saves[1].Bytes()
			b.StartTimer()
		}
		perEntity(b, persistN)
		b.ReportMetric(float64(delta)/float64(full), "delta/full")
		b.ReportMetric(float64(delta), "delta-bytes")
		b.ReportMetric(float64(full), "full-bytes")
		b.ReportMetric(float64(changed), "changed")
	})
}

// BenchmarkPersistText converts the binary snapshot to XML and JSON and
// back; MB/s counts the text's bytes.
func BenchmarkPersistText(b *testing.B) {
	_, bin := persistEngine(b)
	f, err := persist.ReadFile(bin)
	must(b, err)
	forms := []struct {
		name  string
		write func(*bytes.Buffer, *persist.File) error
		read  func(*bytes.Reader) (*persist.File, error)
	}{
		{"xml", func(w *bytes.Buffer, f *persist.File) error { return persist.WriteXML(w, f) },
			func(r *bytes.Reader) (*persist.File, error) { return persist.ReadXML(r) }},
		{"json", func(w *bytes.Buffer, f *persist.File) error { return persist.WriteJSON(w, f) },
			func(r *bytes.Reader) (*persist.File, error) { return persist.ReadJSON(r) }},
	}
	for _, form := range forms {
		var text bytes.Buffer
		must(b, form.write(&text, f))
		b.Run(fmt.Sprintf("form=%s/dir=write/n=%d", form.name, persistN), func(b *testing.B) {
			b.SetBytes(int64(text.Len()))
			var out bytes.Buffer
			out.Grow(text.Len())
			cpu0 := cpuTime()
			for b.Loop() {
				out.Reset()
				must(b, form.write(&out, f))
			}
			perEntity(b, persistN)
			reportCPU(b, cpu0, persistN, int64(text.Len()))
		})
		b.Run(fmt.Sprintf("form=%s/dir=read/n=%d", form.name, persistN), func(b *testing.B) {
			b.SetBytes(int64(text.Len()))
			cpu0 := cpuTime()
			for b.Loop() {
				g, err := form.read(bytes.NewReader(text.Bytes()))
				must(b, err)
				_ = g
			}
			perEntity(b, persistN)
			reportCPU(b, cpu0, persistN, int64(text.Len()))
			b.ReportMetric(float64(text.Len())/persistN, "bytes/entity")
		})
	}
}

// nanotime is the wall clock in nanoseconds, for the phases of a load.
func nanotime() int64 { return time.Now().UnixNano() }

// reportCPU reports the CPU time used since cpu0 per entity and, if size
// is set, as MB/s of size bytes per operation.
func reportCPU(b *testing.B, cpu0 int64, n int, size int64) {
	if cpu0 == 0 {
		return
	}
	reportCPUTime(b, cpuTime()-cpu0, n, size)
}

// reportCPUTime reports cpu nanoseconds of the process's CPU time spent
// over b.N ops of n entities (and size bytes) each.
func reportCPUTime(b *testing.B, cpu int64, n int, size int64) {
	if cpu <= 0 {
		return
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/float64(n), "cpu-ns/entity")
	if size > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/(float64(cpu)/1e9), "cpu-MB/s")
	}
}

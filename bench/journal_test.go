package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
)

// The journal's benchmarks: 100,000 entities over v1/v2/v3 at 20/30/50%,
// with 1,000 entity commands a frame (player input).
const (
	journalN    = 100000
	journalCmds = 1000
)

var journalSplit = map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}

// push adds the payload's two float32 to an entity's velocity.
func push(row *ecs.Columns, payload []byte) error {
	if len(payload) != 8 {
		return fmt.Errorf("payload of %d bytes", len(payload))
	}
	vel := ecs.Column(row, scenario.Velocity)
	vel[0].X += math.Float32frombits(binary.LittleEndian.Uint32(payload))
	vel[0].Y += math.Float32frombits(binary.LittleEndian.Uint32(payload[4:]))
	return nil
}

// journalEngine is the benchmarks' game: module "game" with v1..v3 and the
// push command (a journal.Factory).
func journalEngine(tb testing.TB) journal.Factory {
	return func(opts ...versioning.Option) (*versioning.Engine, error) {
		e, err := versioning.New(opts...)
		if err != nil {
			return nil, err
		}
		if err := e.AddModule("game"); err != nil {
			return nil, err
		}
		for _, v := range versions(tb) {
			if err := e.Register("game", v); err != nil {
				return nil, err
			}
		}
		return e, e.RegisterCommand("game", "push", push)
	}
}

// populate loads v1..v3, spawns n entities, splits them and ticks once.
func populate(tb testing.TB, e *versioning.Engine, n int) []ecs.Key {
	for v := 1; v <= 3; v++ {
		must(tb, e.Load("game", v))
	}
	keys, err := e.Spawn("game", 1, entities(n))
	must(tb, err)
	must(tb, e.SetSplit("game", journalSplit))
	must(tb, e.Tick(frame))
	return keys
}

// commands is one frame of player input: k commands to random entities.
type command struct {
	key     ecs.Key
	payload [8]byte
}

func commands(rng *rand.Rand, keys []ecs.Key, k int) []command {
	out := make([]command, k)
	for i := range out {
		out[i].key = keys[rng.IntN(len(keys))]
		binary.LittleEndian.PutUint32(out[i].payload[:], math.Float32bits(rng.Float32()-0.5))
		binary.LittleEndian.PutUint32(out[i].payload[4:], math.Float32bits(rng.Float32()-0.5))
	}
	return out
}

// frameWith sends the commands and ticks; it returns the wall time.
func frameWith(tb testing.TB, e *versioning.Engine, cmds []command) time.Duration {
	t0 := time.Now()
	for i := range cmds {
		must(tb, e.Command("game", cmds[i].key, "push", cmds[i].payload[:]))
	}
	must(tb, e.Tick(frame))
	return time.Since(t0)
}

// nopRecorder is a recorder that keeps nothing: what the engine's recording
// hooks cost alone (building every op), without a journal.
type nopRecorder struct{}

func (nopRecorder) Record(versioning.Op) {}

// BenchmarkJournal is the journal's cost to the frame. Three identical
// engines take turns at the same frames with the same 1,000 commands: one
// without a recorder (off), one recording into a recorder that keeps
// nothing (hooks: the engine's own cost of building the ops), one recording
// into a journal (on: a checksum of every version every 60 frames, fsync
// per the sub-benchmark's policy: sync=1s is the default, sync=frame
// fsyncs at every frame). It reports each one's median time per frame
// (commands and Tick) and the journal's whole cost in percent of a frame
// (%overhead, target ≤ 2%), split into the engine's hooks (%hooks) and the
// writer (%writer): each the median of the per-frame differences between
// two engines (which ran the same frame back to back), over the median
// frame without a recorder. Taking turns and pairing keep a noisy machine
// out of the ratio.
func BenchmarkJournal(b *testing.B) {
	for _, sync := range []struct {
		name   string
		policy journal.SyncPolicy
	}{{"1s", journal.SyncEvery(time.Second)}, {"frame", journal.SyncEveryFrame}} {
		b.Run(fmt.Sprintf("n=%d/commands=%d/sync=%s", journalN, journalCmds, sync.name), func(b *testing.B) {
			w, err := journal.Create(b.TempDir(), journal.WithLogger(nil), journal.WithSync(sync.policy))
			must(b, err)
			defer w.Close()
			opts := []versioning.Option{versioning.WithFrameBudget(0)}
			off, err := journalEngine(b)(opts...)
			must(b, err)
			hooks, err := journalEngine(b)(append(opts, versioning.WithRecorder(nopRecorder{}), versioning.WithChecksumEvery(60))...)
			must(b, err)
			on, err := journalEngine(b)(append(opts, versioning.WithRecorder(w), versioning.WithChecksumEvery(60))...)
			must(b, err)
			keys := populate(b, off, journalN)
			populate(b, hooks, journalN)
			populate(b, on, journalN)
			engines := []*versioning.Engine{off, hooks, on}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 3 { // warm up: buffers, the journal's first segment
				cmds := commands(rng, keys, journalCmds)
				for _, e := range engines {
					frameWith(b, e, cmds)
				}
			}
			times := make([][]time.Duration, len(engines))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				cmds := commands(rng, keys, journalCmds)
				for k := range engines {
					k = (k + i) % len(engines) // each engine in each position in turn
					times[k] = append(times[k], frameWith(b, engines[k], cmds))
				}
			}
			b.StopTimer()
			must(b, w.Sync())
			// Frame i of each engine ran on the same input, back to back:
			// the median of the per-frame differences is the cost, with
			// the machine's drift cancelled out of each pair.
			diff := func(a, z int) float64 {
				d := make([]time.Duration, len(times[a]))
				for i := range d {
					d[i] = times[a][i] - times[z][i]
				}
				slices.Sort(d)
				return float64(d[len(d)/2].Nanoseconds())
			}
			dOver, dHooks, dWriter := diff(2, 0), diff(1, 0), diff(2, 1)
			med := make([]float64, len(times))
			for k := range times {
				slices.Sort(times[k])
				med[k] = float64(times[k][len(times[k])/2].Nanoseconds())
			}
			b.ReportMetric(med[0], "ns/frame-off")
			b.ReportMetric(med[2], "ns/frame-on")
			b.ReportMetric(100*dOver/med[0], "%overhead")
			b.ReportMetric(100*dHooks/med[0], "%hooks")
			b.ReportMetric(100*dWriter/med[0], "%writer")
			b.ReportMetric(float64(w.Stats().Bytes)/float64(b.N+3), "journal-B/frame")
		})
	}
}

// BenchmarkReplay compares replaying a journal with running the same
// frames live: from the same snapshot, a fresh engine runs 30 frames with
// 1,000 commands each (live, no journal), then Replay re-applies the
// journal of those frames (decoding, re-applying the commands, ticking,
// checking a checksum every 10 frames), in turns. It reports both median
// rates in frames per second and their ratio, replay/live (target ≥ 0.9).
func BenchmarkReplay(b *testing.B) {
	const frames = 30
	b.Run(fmt.Sprintf("n=%d/commands=%d/frames=%d", journalN, journalCmds, frames), func(b *testing.B) {
		dir := b.TempDir()
		w, err := journal.Create(dir, journal.WithLogger(nil))
		must(b, err)
		factory := journalEngine(b)
		rec, err := factory(versioning.WithFrameBudget(0), versioning.WithRecorder(w), versioning.WithChecksumEvery(10))
		must(b, err)
		keys := populate(b, rec, journalN)
		snap, err := rec.Capture()
		must(b, err)
		must(b, w.Checkpoint(snap.Frame))
		rng := rand.New(rand.NewPCG(3, 4))
		inputs := make([][]command, frames)
		for f := range inputs {
			inputs[f] = commands(rng, keys, journalCmds)
			frameWith(b, rec, inputs[f])
		}
		must(b, w.Close())
		want, err := rec.Checksum("game")
		must(b, err)

		b.ReportAllocs()
		b.ResetTimer()
		var tLive, tReplay []time.Duration
		for range b.N {
			t0 := time.Now()
			live, err := factory()
			must(b, err)
			must(b, live.Restore(snap))
			for f := range inputs {
				frameWith(b, live, inputs[f])
			}
			tLive = append(tLive, time.Since(t0))

			t0 = time.Now()
			j, err := journal.Open(dir)
			must(b, err)
			e, err := journal.Replay(snap, j, journal.End, factory)
			must(b, err)
			tReplay = append(tReplay, time.Since(t0))
			must(b, j.Close())
			got, err := e.Checksum("game")
			must(b, err)
			for v, s := range want {
				if got[v] != s {
					b.Fatalf("v%d: replayed checksum %08x, recorded %08x", v, got[v], s)
				}
			}
		}
		slices.Sort(tLive)
		slices.Sort(tReplay)
		live, replay := tLive[len(tLive)/2].Seconds(), tReplay[len(tReplay)/2].Seconds()
		b.ReportMetric(frames/live, "live-frames/s")
		b.ReportMetric(frames/replay, "replay-frames/s")
		b.ReportMetric(live/replay, "replay/live")
	})
}

package main

// Persistence: -save DIR writes a save every 5 simulated seconds (through
// persist's non-blocking Saver) and a journal of the whole run into DIR;
// -replay DIR rebuilds the run from DIR's first save and the journal and
// checks that it ends in the live run's final state, bit for bit.
//
// Phase 4's fault replays because arming it is itself journaled: the demo
// arms v2's fault with Engine.Configure(demogame.Arm), so the replay arms
// it at the same frame and v2 panics or writes its NaN again, and the
// engine detects the failure again. The lag fault fails v2 on the frame
// budget, which depends on wall time: the replay runs without a budget and
// re-injects that failure from the journal instead (so its fault need not
// stall).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/grove-engine/grove/internal/demogame"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
	"github.com/grove-engine/grove/versioning/persist"
)

// saveEvery is the simulated time between two saves.
const saveEvery = 5 * fps // frames

// armFault arms phase 4's fault through the engine, so that the journal
// records it.
func (r *runner) armFault() {
	if err := r.e.Configure(module, 2, demogame.Arm{Kind: r.opt.fault}); err != nil {
		r.crash("arm the fault", err)
	}
}

// persister writes the saves and the journal of a -save run.
type persister struct {
	dir   string
	store *persist.Store
	saver *persist.Saver
	w     *journal.Writer

	mu     sync.Mutex // the saver reports on its goroutine
	saves  int
	bytes  int64
	failed []string
	busy   int
	final  uint64
	stats  journal.Stats
	// idle is when each idle version was first seen idle (-1: the saves
	// were drained for this idle spell).
	idle map[int]time.Duration
}

// newPersister opens DIR for a -save run (nil, nil without -save). DIR
// must be empty or not exist: a journal holds one run.
func newPersister(dir string) (*persister, error) {
	if dir == "" {
		return nil, nil
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("-save %s: the directory is not empty (a save directory holds one run)", dir)
	}
	p := &persister{dir: dir, idle: map[int]time.Duration{}}
	var err error
	if p.store, err = persist.NewStore(dir); err != nil {
		return nil, err
	}
	if p.w, err = journal.Create(dir); err != nil {
		return nil, err
	}
	p.saver, err = persist.NewSaver(p.store, persist.OnSave(p.onSave))
	return p, err
}

// onSave counts the saves written in the background.
func (p *persister) onSave(res persist.SaveResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if res.Err != nil {
		p.failed = append(p.failed, fmt.Sprintf("save at frame %d: %v", res.Frame, res.Err))
		return
	}
	p.saves++
	p.bytes += res.Bytes()
}

// options are the engine options a -save run adds: the journal, and a
// checksum of every version every simulated second.
func (p *persister) options() []versioning.Option {
	if p == nil {
		return nil
	}
	return []versioning.Option{versioning.WithRecorder(p.w), versioning.WithChecksumEvery(fps)}
}

// save saves the engine now, if the run saves.
func (r *runner) save() {
	p := r.persist
	if p == nil {
		return
	}
	err := p.w.Save(p.saver, r.e)
	if errors.Is(err, persist.ErrBusy) {
		p.busy++ // the disk is behind: this save is skipped, the next one will do
		return
	}
	if err != nil {
		r.crash("save", err)
	}
}

// saveIfDue saves every 5 simulated seconds. Before a frame that may
// collect an idle version, it lets the saves in flight finish and lets go
// of the saves it keeps: GC measures what it frees from the process's
// heap, and a save encoding in the background meanwhile, or a kept
// snapshot that still refers to the version's world, would count as memory
// not freed.
func (r *runner) saveIfDue() {
	p := r.persist
	if p == nil {
		return
	}
	if r.frame%saveEvery == 0 {
		r.save()
	}
	loaded, _ := r.e.Loaded(module)
	now := r.e.Now()
	for _, v := range loaded {
		if st, _ := r.e.State(module, v); st != versioning.StateIdle {
			delete(p.idle, v)
			continue
		}
		since, seen := p.idle[v]
		if !seen {
			since = now // it went idle at this frame or the one before
			p.idle[v] = since
		}
		if since >= 0 && now+2*r.dt-since >= demogame.GCAfter {
			p.idle[v] = -1 // drained once for this idle spell
			r.drainSaves()
		}
	}
}

// drainSaves waits for the saves in flight, and starts a fresh saver on a
// fresh store. (A snapshot remembers the worlds it was captured from, to
// copy only what changed next time, and the store keeps the last one as the
// base of the next delta: a dropped version's world would stay reachable
// through them, and GC would not free it. The next save is a full one.)
func (r *runner) drainSaves() {
	p := r.persist
	if err := p.saver.Close(); err != nil {
		r.crash("save", err)
	}
	var err error
	if p.store, err = persist.NewStore(p.dir); err != nil {
		r.crash("save", err)
		return
	}
	if p.saver, err = persist.NewSaver(p.store, persist.OnSave(p.onSave)); err != nil {
		r.crash("save", err)
	}
}

// closePersist waits for the saves in flight, writes the final state as
// the last save (synchronously, so that it exists whatever the saver was
// doing), and closes the journal.
func (r *runner) closePersist() {
	p := r.persist
	if p == nil {
		return
	}
	if err := p.saver.Close(); err != nil {
		r.crash("save", err)
	}
	s, err := r.e.Capture()
	if err == nil {
		if _, err = p.store.Save(s); err == nil {
			err = p.w.Checkpoint(s.Frame)
			p.final = s.Frame
		}
	}
	if err != nil {
		r.crash("final save", err)
	}
	// The final save may have replaced one the saver wrote at that frame:
	// count what the directory holds.
	if saves, err := p.store.Saves(); err == nil {
		p.saves, p.bytes = len(saves), 0
		for i := range saves {
			p.bytes += saves[i].Bytes()
		}
	}
	if err := p.w.Close(); err != nil {
		r.crash("journal", err)
	}
	p.stats = p.w.Stats()
	for _, f := range p.failed {
		r.crash("save", errors.New(f))
	}
	r.printf("=== Persistence (-save %s) ===\n", p.dir)
	r.printf("  %s %d saves, one every %ds of simulated time, the last at frame %d (%.2f MB; %d skipped while the disk was busy)\n",
		mark(len(p.failed) == 0), p.saves, saveEvery/fps, p.final, float64(p.bytes)/1e6, p.busy)
	r.printf("  %s Journal: %d records in %d blocks and %d segments, %.2f MB, %d fsyncs, %d stalls\n\n",
		mark(p.stats.Dropped == 0), p.stats.Records, p.stats.Blocks, p.stats.Segments, float64(p.stats.Bytes)/1e6, p.stats.Syncs, p.stats.Stalls)
}

// saveJSON is the -save section of the JSON report.
func (p *persister) saveJSON() map[string]any {
	return map[string]any{"dir": p.dir, "saves": p.saves, "skipped_busy": p.busy, "final_frame": p.final, "save_bytes": p.bytes,
		"journal_records": p.stats.Records, "journal_bytes": p.stats.Bytes, "journal_segments": p.stats.Segments, "fsyncs": p.stats.Syncs}
}

// replayFactory builds the demo's engine as newRunner does, for a replay:
// v2 carries a fault that the journaled configuration arms (the replay
// re-injects the lag fault's budget failure, so it need not stall).
func replayFactory(f *demogame.Fault) journal.Factory {
	build := demogame.Factory(f)
	return func(opts ...versioning.Option) (*versioning.Engine, error) {
		return build(append([]versioning.Option{versioning.WithIsolationCheck(true)}, opts...)...)
	}
}

// replayResult is what -replay found.
type replayResult struct {
	saves     int
	segments  int
	from, to  uint64
	last      uint64
	stats     journal.ReplayStats
	want, got map[int]uint32 // final checksums by version: the live run's last save, the replay
	fired     int
	diff      *journal.Difference
	err       error
	identical bool
	simulated time.Duration
}

// replayDir rebuilds the run in dir from its first save and the journal,
// and compares the result with the last save.
func replayDir(dir string) *replayResult {
	res := &replayResult{}
	fail := func(err error) *replayResult {
		res.err = err
		return res
	}
	st, err := persist.NewStore(dir)
	if err != nil {
		return fail(err)
	}
	saves, err := st.Saves()
	if err != nil {
		return fail(err)
	}
	if len(saves) == 0 {
		return fail(fmt.Errorf("%s holds no save", dir))
	}
	res.saves = len(saves)
	first, err := st.Load(saves[0].Frame)
	if err != nil {
		return fail(err)
	}
	last, err := st.Load(saves[len(saves)-1].Frame)
	if err != nil {
		return fail(err)
	}
	f := &demogame.Fault{}
	factory := replayFactory(f)
	binder, err := factory()
	if err != nil {
		return fail(err)
	}
	snap, err := first.Snapshot(binder)
	if err != nil {
		return fail(err)
	}
	j, err := journal.Open(dir)
	if err != nil {
		return fail(err)
	}
	defer j.Close()
	res.segments = len(j.Segments())
	res.from, res.last = snap.Frame, last.Frame
	e, err := journal.Replay(snap, j, journal.End, factory, journal.ReplayInto(&res.stats))
	if err != nil {
		return fail(err)
	}
	res.to, res.fired, res.simulated = e.Frame(), f.Fired(), e.Now()-snap.Now
	want, err := last.Snapshot(e)
	if err != nil {
		return fail(err)
	}
	got, err := e.Capture()
	if err != nil {
		return fail(err)
	}
	res.diff = journal.Compare(want, got)
	res.want, res.got = map[int]uint32{}, map[int]uint32{}
	for i := range want.Modules {
		for _, v := range want.Modules[i].Versions {
			if v.Loaded {
				res.want[v.Number] = v.Columns.Checksum()
			}
		}
	}
	if res.got, err = e.Checksum(module); err != nil {
		return fail(err)
	}
	res.identical = res.diff == nil && res.to == res.last && maps.Equal(res.want, res.got)
	return res
}

// runReplay is -replay DIR: it replays, prints the report and writes the
// JSON file if asked. 0 identical, 1 not.
func runReplay(opt options, stdout io.Writer) (int, error) {
	line := "================================================================================"
	pr := func(format string, args ...any) { fmt.Fprintf(stdout, format, args...) }
	pr("%s\nREPLAY: the run saved in %s, re-simulated from its first save\n%s\n", line, opt.replay, line)
	res := replayDir(opt.replay)
	if res.saves > 0 {
		pr("  %d saves, journal in %d segments; replaying from frame %d to the journal's end\n", res.saves, res.segments, res.from)
	}
	if res.err != nil {
		pr("  ✗ %v\n", res.err)
	} else {
		st := res.stats
		pr("  ✓ Replayed %d frames (%.2fs simulated) in %v: %.0f frames/s\n", st.Frames, res.simulated.Seconds(), st.Wall.Round(time.Microsecond),
			float64(st.Frames)/max(st.Wall.Seconds(), 1e-9))
		pr("  ✓ %d recorded checksums matched; %d failures reproduced (%d re-injected: frame budget); phase 4's fault fired %d time(s)\n",
			st.Checksums, st.Failures, st.Reinjected, res.fired)
		pr("  %s Final state at frame %d identical to the live run's last save (frame %d):", mark(res.identical), res.to, res.last)
		for _, v := range slices.Sorted(maps.Keys(res.want)) {
			pr(" v%d %08x/%08x", v, res.got[v], res.want[v])
		}
		pr("\n")
		if res.diff != nil {
			pr("  ✗ first difference: %s v%d: %s\n", res.diff.Module, res.diff.Version, res.diff.What)
		}
	}
	passed := res.err == nil && res.identical
	if passed {
		pr("\nResult: ✅ PASSED\n%s\n", line)
	} else {
		pr("\nResult: ❌ FAILED\n%s\n", line)
	}
	if opt.json != "" {
		rep := map[string]any{"frames": res.stats.Frames, "identical": passed, "from": res.from, "to": res.to,
			"checksums": res.stats.Checksums, "failures": res.stats.Failures, "reinjected": res.stats.Reinjected,
			"wall_ms": float64(res.stats.Wall) / float64(time.Millisecond)}
		if res.err != nil {
			rep["error"] = res.err.Error()
		}
		b, err := json.MarshalIndent(map[string]any{"passed": passed, "replay": rep}, "", "  ")
		if err != nil {
			return 1, err
		}
		if err := os.WriteFile(opt.json, append(b, '\n'), 0o644); err != nil {
			return 1, err
		}
	}
	if !passed {
		return 1, nil
	}
	return 0, nil
}

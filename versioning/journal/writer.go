package journal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/grove-engine/grove/versioning"
)

// Writer is an append-only journal of an engine's ops: a
// [versioning.Recorder] to pass to [versioning.WithRecorder]. Record encodes
// each op into an in-memory buffer, grouped in per-frame blocks, and
// returns; a background goroutine appends the buffers to the current
// segment file and fsyncs per the [SyncPolicy]. [Writer.Checkpoint] starts
// a new segment where a snapshot was taken, so a replay from that snapshot
// reads only the segments from there on.
//
// A Writer's methods are safe for concurrent use. When a write or an fsync
// fails, the writer fails for good: [Writer.Err] returns the error, ops are
// dropped from then on (counted in [Stats].Dropped), and the engine runs on
// unjournaled.
type Writer struct {
	dir string
	o   options

	mu       sync.Mutex
	cond     sync.Cond
	bw       blockWriter // the buffer Record encodes into
	head     entityHead  // the last entity op's constant parts
	ticked   bool        // bw holds a tick
	chunks   []chunk     // sealed buffers, for the writer goroutine
	spare    [][]byte    // buffers to reuse
	queued   int64       // bytes encoded and not yet written
	recorded int64       // bytes encoded, in all
	durable  int64       // bytes written and fsynced, in all
	syncReq  int64       // Sync wants bytes up to here durable
	last     uint64      // frame of the last op or checkpoint
	closed   bool
	err      error
	stats    Stats
	reg      registry

	wake chan struct{}
	done chan struct{}

	// Owned by the writer goroutine.
	f     File
	seg   segment
	dirty bool // written since the last fsync
}

// chunk is a sealed buffer of whole blocks.
type chunk struct {
	data   []byte
	frame  uint64  // the first block's frame
	rotate *uint64 // a checkpoint: start a segment at this frame first
	ticked bool    // holds a tick (the every-frame policy fsyncs it)
}

// tmpSuffix marks a segment being created. It is not ".tmp": a save
// directory is shared with persist's Store, which removes the *.tmp files
// it finds.
const tmpSuffix = ".new"

// writeEvery is how often a writer under a SyncEvery policy writes what
// was recorded (it fsyncs at the policy's interval).
const writeEvery = 100 * time.Millisecond

// sealSize is the buffer size past which Record hands the buffer over
// without waiting for the frame to end.
const sealSize = 1 << 20

// Stats are a writer's counters.
type Stats struct {
	// Records and Blocks encoded; Bytes written to the segments (headers
	// included); Segments created.
	Records, Blocks, Bytes uint64
	Segments               int
	// Syncs is the number of fsyncs.
	Syncs uint64
	// Queued is the bytes encoded and not yet written.
	Queued int64
	// Stalls counts the Record calls that waited for room (backpressure),
	// Stalled the wall time they waited.
	Stalls  uint64
	Stalled time.Duration
	// Dropped counts ops recorded after the writer failed or closed.
	Dropped uint64
	// Frame is the frame of the last op recorded.
	Frame uint64
}

// registry tracks the modules and registered versions the ops declare, for
// checkpoints.
type registry struct {
	known   bool
	order   []string
	modules map[string][]int
}

func (g *registry) apply(op *versioning.Op) {
	switch op.Kind {
	case versioning.OpAddModule:
		if g.modules == nil {
			g.modules = map[string][]int{}
		}
		g.order = append(g.order, op.Module)
		g.modules[op.Module] = []int{}
	case versioning.OpRemoveModule:
		g.order = slices.DeleteFunc(g.order, func(m string) bool { return m == op.Module })
		delete(g.modules, op.Module)
	case versioning.OpRegister:
		if vs, ok := g.modules[op.Module]; ok {
			vs = append(vs, op.Version)
			slices.Sort(vs)
			g.modules[op.Module] = vs
		}
	}
}

func (g *registry) checkpoint(frame uint64) *Checkpoint {
	cp := &Checkpoint{Frame: frame, Known: g.known}
	if g.known {
		for _, m := range g.order {
			cp.Modules = append(cp.Modules, ModuleVersions{Name: m, Versions: slices.Clone(g.modules[m])})
		}
	}
	return cp
}

func (g *registry) reset(cp *Checkpoint) {
	*g = registry{known: cp.Known, modules: map[string][]int{}}
	for _, m := range cp.Modules {
		g.order = append(g.order, m.Name)
		g.modules[m.Name] = slices.Clone(m.Versions)
	}
}

// Create opens the journal in dir for appending, creating dir if needed. If
// dir holds a journal, its last segment is checked: a torn tail is
// truncated (with a warning) and new ops are appended after the last
// intact block; damage before the tail is an error wrapping [ErrCorrupt]. A
// journal holds one timeline: the engine must continue from the journal's
// last frame (see [Load] and [Forward]), else the writer fails with
// [ErrRewind].
//
// Options: [WithSync], [WithMaxBuffer], [WithFS], [WithLogger],
// [WithConfigs], [OnError].
func Create(dir string, opts ...Option) (*Writer, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := o.fs.MkdirAll(dir); err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, o: o, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.cond.L = &w.mu
	w.bw.start = -1
	w.reg.known = true
	if err := w.recover(); err != nil {
		return nil, err
	}
	go w.loop()
	return w, nil
}

// recover prepares an existing journal for appending.
func (w *Writer) recover() error {
	names, err := w.o.fs.ReadDir(w.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if base, ok := cutSuffix(n, tmpSuffix); ok {
			if _, ok := ParseSegmentName(base); ok {
				// A segment whose creation a crash interrupted.
				w.o.log.Warn("journal: removing an unfinished segment", "file", n)
				if err := w.o.fs.Remove(filepath.Join(w.dir, n)); err != nil {
					return err
				}
			}
		}
	}
	segs, err := listSegments(w.o.fs, w.dir)
	if err != nil || len(segs) == 0 {
		return err
	}
	last := segs[len(segs)-1]
	if len(segs) > 1 {
		w.reg.known = false
	}
	s, err := openSeg(w.o.fs, last.path)
	if err != nil {
		return err
	}
	end := s.off
	var damage *CorruptError
	for {
		b, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.As(err, &damage) || s.validAfter(damage.Offset) {
				_ = s.close()
				return err
			}
			break
		}
		recs, err := decodeBlock(b, s.path, nil)
		if err != nil {
			_ = s.close()
			return err
		}
		for i := range recs {
			if cp := recs[i].Checkpoint; cp != nil {
				w.reg.reset(cp)
				continue
			}
			w.reg.apply(&recs[i].Op)
		}
		end = s.off
		w.last = b.frame
	}
	_ = s.close()
	if damage != nil {
		w.o.log.Warn("journal: truncating a torn tail", "file", last.path, "offset", end, "after_frame", w.last, "what", damage.What)
		if err := w.o.fs.Truncate(last.path, end); err != nil {
			return err
		}
	}
	f, err := w.o.fs.Append(last.path)
	if err != nil {
		return err
	}
	w.f, w.seg = f, last
	return nil
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// Record appends op to the journal: it implements [versioning.Recorder].
// It encodes the op into the writer's buffer and returns; it waits only
// when the buffer bound is reached ([WithMaxBuffer]). An OpConfigure's
// configuration is encoded with the writer's [Configs].
func (w *Writer) Record(op versioning.Op) {
	var cfg *RawConfig
	if op.Kind == versioning.OpConfigure {
		raw, err := w.o.configs.Encode(op.Config)
		if err != nil {
			w.o.log.Error("journal: a configuration cannot be encoded; a replay will fail there", "module", op.Module, "version", op.Version, "err", err)
			raw = RawConfig{Codec: failedCodec, Data: []byte(err.Error())}
		}
		cfg = &raw
	}
	w.mu.Lock()
	if w.closed || w.err != nil {
		w.stats.Dropped++
		w.mu.Unlock()
		return
	}
	if op.Frame < w.last {
		err := fmt.Errorf("%w: %v at frame %d after frame %d (start a new journal, or replay this one to its end with Load and Forward)", ErrRewind, op.Kind, op.Frame, w.last)
		w.stats.Dropped++
		report := w.failLocked(err)
		w.mu.Unlock()
		report()
		return
	}
	if w.queued >= w.o.maxBuffer && !w.room() {
		w.stats.Dropped++
		w.mu.Unlock()
		return
	}
	n := len(w.bw.buf)
	w.bw.begin(op.Frame)
	if entityOp(&op) {
		w.bw.buf = appendEntityOp(w.bw.buf, &op, &w.head)
	} else {
		w.bw.buf = appendOp(w.bw.buf, &op, cfg, nil)
	}
	n = len(w.bw.buf) - n
	w.queued += int64(n)
	w.recorded += int64(n)
	w.stats.Records++
	w.last = op.Frame
	if op.Kind == versioning.OpAddModule || op.Kind == versioning.OpRemoveModule || op.Kind == versioning.OpRegister {
		w.reg.apply(&op)
	}
	tick := op.Kind == versioning.OpTick
	w.ticked = w.ticked || tick
	// Under SyncAlways and SyncEveryFrame the buffer is sealed and the
	// writer woken at once (at every op, at every tick). Under SyncEvery the
	// writer seals the buffer itself when its timer fires, so that the same
	// two buffers take turns whatever the frame rate; a full buffer wakes
	// it early.
	wake := w.o.sync.every < 0 || (tick && w.o.sync.every == 0) || len(w.bw.buf) >= sealSize
	if wake {
		w.seal()
	}
	w.mu.Unlock()
	if wake {
		w.signal()
	}
}

// room waits, with mu held, until the writer has written enough to go
// under its buffer bound (backpressure). It reports false if the writer
// failed or closed meanwhile.
func (w *Writer) room() bool {
	t0 := time.Now()
	w.stats.Stalls++
	w.seal()
	for w.queued >= w.o.maxBuffer && w.err == nil && !w.closed {
		w.signal()
		w.cond.Wait()
	}
	w.stats.Stalled += time.Since(t0)
	return w.err == nil && !w.closed
}

// seal hands the buffer to the writer goroutine. The caller holds mu.
func (w *Writer) seal() {
	w.bw.close()
	if len(w.bw.buf) == 0 {
		return
	}
	w.stats.Blocks += uint64(w.bw.blocks)
	w.chunks = append(w.chunks, chunk{data: w.bw.buf, frame: w.bw.first, ticked: w.ticked})
	var next []byte
	if k := len(w.spare); k > 0 {
		next, w.spare = w.spare[k-1][:0], w.spare[:k-1]
	} else {
		// The writer still holds the others: a buffer as large as this
		// one, so that the next frame does not grow it again.
		next = make([]byte, 0, min(cap(w.bw.buf), 4*sealSize))
	}
	w.bw.buf, w.bw.start, w.bw.blocks = next, -1, 0
	w.ticked = false
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// failLocked makes the writer fail for good and returns the call to make,
// with no lock held, to report it.
func (w *Writer) failLocked(err error) func() {
	if w.err != nil {
		return func() {}
	}
	w.err = err
	w.cond.Broadcast()
	return func() {
		w.o.log.Error("journal: writer failed; the engine runs on unjournaled", "dir", w.dir, "err", err)
		if w.o.onError != nil {
			w.o.onError(err)
		}
	}
}

// Checkpoint marks the current point of the op stream as the one where a
// snapshot of the engine at frame was taken, and starts a new segment there
// (journal.<frame>), so that a replay from that snapshot begins right after
// the mark. Call it right after capturing the snapshot, on the goroutine
// that makes the engine's control calls (the game loop), so that no op is
// recorded between the capture and the mark; and after restoring an engine
// from a snapshot, before its first op. It fails with [ErrRewind] if frame
// is below the journal's last frame.
func (w *Writer) Checkpoint(frame uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case frame < w.last:
		return fmt.Errorf("%w: checkpoint at frame %d after frame %d", ErrRewind, frame, w.last)
	}
	w.seal()
	cp := w.reg.checkpoint(frame)
	var bw blockWriter
	bw.start = -1
	bw.add(frame, func(b []byte) []byte { return appendCheckpoint(b, cp) })
	bw.close()
	f := frame
	w.chunks = append(w.chunks, chunk{data: bw.buf, frame: frame, rotate: &f})
	w.queued += int64(len(bw.buf))
	w.recorded += int64(len(bw.buf))
	w.stats.Records++
	w.stats.Blocks++
	w.last = frame
	w.signal()
	return nil
}

// Sync waits until every op recorded before the call is durable (written
// and fsynced), whatever the policy, and returns the writer's error if it
// failed.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	target := w.recorded
	w.syncReq = max(w.syncReq, target)
	w.seal()
	for w.durable < target && w.err == nil && !w.closed {
		w.signal()
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	if w.durable < target {
		return ErrClosed
	}
	return nil
}

// Err returns the error the writer failed with, or nil.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Queued = w.queued
	s.Frame = w.last
	return s
}

// Dir is the journal's directory.
func (w *Writer) Dir() string { return w.dir }

// Close writes and fsyncs what is buffered, closes the segment and stops
// the writer. Ops recorded afterwards are dropped. It returns the error the
// writer failed with, if any; closing twice returns [ErrClosed].
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.seal()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	w.signal()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// loop is the background goroutine: it takes the sealed buffers, writes
// them and fsyncs per the policy, until the writer is closed.
func (w *Writer) loop() {
	defer close(w.done)
	// With SyncEvery(d), the writer writes every writeEvery and fsyncs
	// every d.
	var tick, write <-chan time.Time
	if d := w.o.sync.every; d > 0 {
		var stop func()
		tick, stop = w.o.ticker(d)
		defer stop()
		if we := min(d, writeEvery); we < d {
			write, stop = w.o.ticker(we)
			defer stop()
		}
	}
	var done []chunk
	for {
		timed := false
		select {
		case <-w.wake:
		case <-write:
		case <-tick:
			timed = true
		}
		w.mu.Lock()
		if w.o.sync.every > 0 {
			w.seal()
		}
		batch := w.chunks
		w.chunks = done[:0]
		closing, failed := w.closed, w.err != nil
		force := timed || closing || w.syncReq > w.durable
		w.mu.Unlock()

		var st Stats
		var err error
		synced := false
		if !failed {
			err = protect(func() error {
				var err error
				synced, err = w.write(batch, force, &st)
				return err
			})
		}
		if closing && w.f != nil {
			if cerr := w.f.Close(); err == nil && !failed {
				err = cerr
			}
			w.f = nil
		}

		w.mu.Lock()
		var size int64
		for i := range batch {
			size += int64(len(batch[i].data))
			if len(w.spare) < 8 && cap(batch[i].data) <= 4*sealSize && batch[i].rotate == nil {
				w.spare = append(w.spare, batch[i].data[:0])
			}
		}
		clear(batch)
		done = batch
		w.queued -= size
		if synced {
			w.durable = w.recorded - w.queued // everything written
		}
		w.stats.Bytes += st.Bytes
		w.stats.Segments += st.Segments
		w.stats.Syncs += st.Syncs
		report := func() {}
		if err != nil {
			report = w.failLocked(err)
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		report()
		if closing {
			return
		}
	}
}

// protect runs f, turning a panic into an error.
func protect(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("journal: writer panicked: %v", p)
		}
	}()
	return f()
}

// write appends a batch of buffers, rotating segments at checkpoints, and
// fsyncs per the policy (or if force). It reports whether everything
// written is durable.
func (w *Writer) write(batch []chunk, force bool, st *Stats) (bool, error) {
	ticked := false
	for i := range batch {
		c := &batch[i]
		switch {
		case c.rotate != nil && (w.f == nil || w.seg.start != *c.rotate):
			if err := w.newSegment(*c.rotate, st); err != nil {
				return false, err
			}
		case w.f == nil:
			if err := w.newSegment(c.frame, st); err != nil {
				return false, err
			}
		}
		n, err := w.f.Write(c.data)
		st.Bytes += uint64(max(n, 0))
		w.dirty = true
		if err == nil && n < len(c.data) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return false, fmt.Errorf("journal: writing %s: %w", w.seg.path, err)
		}
		ticked = ticked || c.ticked
	}
	sync := force || w.o.sync.every < 0 || (w.o.sync.every == 0 && ticked)
	if sync && w.dirty {
		if err := w.f.Sync(); err != nil {
			return false, fmt.Errorf("journal: fsync %s: %w", w.seg.path, err)
		}
		st.Syncs++
		w.dirty = false
	}
	return !w.dirty, nil
}

// newSegment finishes the current segment (fsynced) and starts one at
// frame: written as a temporary file with its header, fsynced, renamed
// into place, and the directory fsynced, so that a segment is never seen
// half created.
func (w *Writer) newSegment(frame uint64, st *Stats) error {
	if w.f != nil {
		if w.dirty {
			if err := w.f.Sync(); err != nil {
				return fmt.Errorf("journal: fsync %s: %w", w.seg.path, err)
			}
			st.Syncs++
			w.dirty = false
		}
		if err := w.f.Close(); err != nil {
			return err
		}
		w.f = nil
	}
	seg := segment{path: filepath.Join(w.dir, SegmentName(frame)), start: frame}
	tmp := seg.path + tmpSuffix
	f, err := w.o.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("journal: creating segment %s: %w", seg.path, err)
	}
	hdr := appendHeader(nil, frame)
	n, err := f.Write(hdr)
	if err == nil && n < len(hdr) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.o.fs.Rename(tmp, seg.path)
	}
	if err == nil {
		err = w.o.fs.SyncDir(w.dir)
	}
	if err == nil {
		w.f, err = w.o.fs.Append(seg.path)
	}
	if err != nil {
		return fmt.Errorf("journal: creating segment %s: %w", seg.path, err)
	}
	w.seg = seg
	st.Segments++
	st.Bytes += headerSize
	return nil
}

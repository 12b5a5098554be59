package journal

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grove-engine/grove/versioning"
)

// End, as the frame to replay until, replays the whole journal.
const End uint64 = math.MaxUint64

// Factory creates a fresh engine for a replay. It must pass opts to
// [versioning.New] after the game's own options (the replay adds its
// recorder and turns the frame budget off with [versioning.WithFrameBudget]
// (0)); use the same options as the recorded run otherwise (the backup
// cadence and the state checks change what a failure does). Then it adds the
// game's modules and registers the versions and entity commands the
// recorded run had at the snapshot, in the same order. It must not load,
// spawn or tick: the snapshot brings the state.
type Factory func(opts ...versioning.Option) (*versioning.Engine, error)

// ReplayStats describe a replay; see [ReplayInto].
type ReplayStats struct {
	// Frames is the number of Ticks replayed, Records the records read
	// after the snapshot's position.
	Frames, Records int
	// Checksums is the number of version checksums compared; Failures the
	// failures reproduced, of which Reinjected were re-injected (frame
	// budget) rather than detected again.
	Checksums, Failures, Reinjected int
	// From and To are the engine's frame before and after the replay.
	From, To uint64
	// Wall is the wall time the replay took.
	Wall time.Duration
}

// ReplayInto makes [Replay] and [Load] fill s.
func ReplayInto(s *ReplayStats) Option {
	return func(o *options) error {
		o.stats = s
		return nil
	}
}

// Replay rebuilds the engine at frame until from a snapshot and the
// journal recorded after it: it creates an engine with newEngine,
// restores snap, and re-applies every record that follows the snapshot's
// checkpoint, up to the state right after Tick number until (and the
// automatic GC that followed it); [End] replays to the journal's end,
// including the control calls after its last Tick. j is read from where it
// stands; Replay skips its records before the snapshot.
//
// Control calls (load, split, spawn, commands, configurations, ...) are
// made again in order. Failures that depend on wall time (a step over the
// frame budget) are re-injected with [versioning.Engine.InjectFailure]
// before the Tick of their frame; every other failure must happen again
// the same way. Automatic GC is off while the replay runs and each recorded
// collection is applied as an unload at its place in the stream, so GC
// happens exactly where it did; the recorded GC thresholds are set again at
// the end. After every frame with recorded checksums, each version's
// [versioning.Engine.Checksum] must match. The first difference — a
// checksum, a failure missing or extra, a key assigned differently, a call
// that fails — returns a [*DivergenceError] wrapping [ErrDivergence] that
// names the frame, module and version.
//
// The snapshot's position is the journal's last checkpoint at its frame
// ([Writer.Checkpoint]). Without one, the snapshot is taken to be captured
// right after its frame's Tick returned (logged as a warning).
//
// Options: [Forward], [ReplayInto], [WithConfigs], [WithLogger].
func Replay(snap *versioning.Snapshot, j *Reader, until uint64, newEngine Factory, opts ...Option) (*versioning.Engine, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if snap == nil || j == nil || newEngine == nil {
		return nil, fmt.Errorf("journal: Replay needs a snapshot, a journal and a factory")
	}
	p, err := newPlayer(o, newEngine)
	if err != nil {
		return nil, err
	}
	if err := p.restore(snap); err != nil {
		return nil, err
	}
	j.SkipTo(snap.Frame)
	if err := p.run(j, snap.Frame, until); err != nil {
		return nil, err
	}
	return p.e, nil
}

// player replays records into an engine.
type player struct {
	o     options
	e     *versioning.Engine
	obs   *observer
	src   source
	gc    map[string]time.Duration // the recorded GC thresholds
	spare map[string]map[int]versioning.Version
	stats ReplayStats
	t0    time.Time
}

// observer is the replay engine's recorder: it collects the failures each
// Tick detects, and forwards every op once the replay is over.
type observer struct {
	mu       sync.Mutex
	failures []versioning.Op
	seen     int
	fwd      atomic.Pointer[versioning.Recorder]
}

func (o *observer) Record(op versioning.Op) {
	if f := o.fwd.Load(); f != nil {
		(*f).Record(op)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen++
	if op.Kind == versioning.OpFailure {
		o.failures = append(o.failures, op)
	}
}

func (o *observer) take() []versioning.Op {
	o.mu.Lock()
	defer o.mu.Unlock()
	f := o.failures
	o.failures = nil
	return f
}

func newPlayer(o options, newEngine Factory) (*player, error) {
	p := &player{o: o, obs: &observer{}, gc: map[string]time.Duration{}, spare: map[string]map[int]versioning.Version{}, t0: time.Now()}
	var err error
	perr := protect(func() error {
		p.e, err = newEngine(versioning.WithRecorder(p.obs), versioning.WithFrameBudget(0))
		return nil
	})
	switch {
	case perr != nil:
		return nil, fmt.Errorf("%w: the factory panicked: %w", ErrEngine, perr)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	case p.e == nil:
		return nil, fmt.Errorf("%w: the factory returned no engine", ErrEngine)
	}
	if p.obs.seen == 0 && len(p.e.Modules()) > 0 {
		return nil, fmt.Errorf("%w: the factory must pass the replay's options to versioning.New", ErrEngine)
	}
	return p, nil
}

// restore puts the snapshot's state in the engine and turns automatic GC
// off. Modules the factory adds that the snapshot lacks are removed, their
// versions kept for the records that add them again.
func (p *player) restore(snap *versioning.Snapshot) error {
	inSnap := map[string]bool{}
	var names []string
	for i := range snap.Modules {
		inSnap[snap.Modules[i].Name] = true
		names = append(names, snap.Modules[i].Name)
	}
	mods := p.e.Modules()
	for i := len(mods) - 1; i >= 0; i-- {
		m := mods[i]
		if inSnap[m] {
			continue
		}
		nums, _ := p.e.Registered(m)
		p.spare[m] = map[int]versioning.Version{}
		for _, n := range nums {
			if v, err := p.e.VersionOf(m, n); err == nil {
				p.spare[m][n] = v
			}
		}
		if err := p.e.RemoveModule(m); err != nil {
			return fmt.Errorf("%w: module %s is not in the snapshot and cannot be removed: %w", ErrEngine, m, err)
		}
	}
	if mods := p.e.Modules(); !slices.Equal(mods, names) {
		return fmt.Errorf("%w: the factory adds modules %v, the snapshot holds %v", ErrEngine, mods, names)
	}
	if err := p.e.Restore(snap); err != nil {
		return fmt.Errorf("%w: %w", ErrEngine, err)
	}
	for i := range snap.Modules {
		ms := &snap.Modules[i]
		p.gc[ms.Name] = ms.GCAfter
		if ms.GCAfter > 0 {
			if err := p.e.DisableAutoGC(ms.Name); err != nil {
				return err
			}
		}
	}
	p.stats.From = snap.Frame
	return nil
}

// source is a reader with records pushed back in front.
type source struct {
	r    *Reader
	back []Record
}

func (s *source) next() (Record, error) {
	if len(s.back) > 0 {
		rec := s.back[0]
		s.back[0] = Record{}
		s.back = s.back[1:]
		return rec, nil
	}
	return s.r.Next()
}

func (s *source) unread(recs ...Record) { s.back = append(slices.Clone(recs), s.back...) }

// seek positions the source right after the snapshot's checkpoint.
func (p *player) seek(frame uint64) error {
	var buf []Record
	var cp *Checkpoint
	for {
		rec, err := p.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if rec.Frame() < frame {
			continue
		}
		if rec.Frame() > frame {
			p.src.unread(rec)
			break
		}
		if rec.Checkpoint != nil {
			buf, cp = buf[:0], rec.Checkpoint
			continue
		}
		buf = append(buf, rec)
	}
	if cp != nil {
		if err := p.checkRegistered(cp); err != nil {
			return err
		}
		p.src.unread(buf...)
		return nil
	}
	if frame == 0 {
		return fmt.Errorf("%w: no checkpoint at frame 0: cannot tell which records the snapshot holds", ErrIncomplete)
	}
	p.o.log.Warn("journal: no checkpoint at the snapshot's frame; assuming it was captured right after that frame's tick", "frame", frame)
	i := 0
	for i < len(buf) && isOutput(buf[i].Op.Kind) {
		i++
	}
	p.src.unread(buf[i:]...)
	return nil
}

// isOutput reports whether a kind is recorded by Tick itself.
func isOutput(k versioning.OpKind) bool {
	return k == versioning.OpFailure || k == versioning.OpChecksum || k == versioning.OpGC
}

// checkRegistered checks that the engine registers what the checkpoint says
// the recorded run did.
func (p *player) checkRegistered(cp *Checkpoint) error {
	if !cp.Known {
		return nil
	}
	var names []string
	for _, m := range cp.Modules {
		names = append(names, m.Name)
	}
	if mods := p.e.Modules(); !slices.Equal(mods, names) {
		return fmt.Errorf("%w: at frame %d the recorded run had modules %v, the engine %v", ErrEngine, cp.Frame, names, mods)
	}
	for _, m := range cp.Modules {
		reg, err := p.e.Registered(m.Name)
		if err != nil || !slices.Equal(reg, m.Versions) {
			return fmt.Errorf("%w: at frame %d the recorded run had %s versions %v registered, the engine %v", ErrEngine, cp.Frame, m.Name, m.Versions, reg)
		}
	}
	return nil
}

// run replays from the snapshot at frame from until frame until.
func (p *player) run(j *Reader, from, until uint64) error {
	if until < from {
		return fmt.Errorf("%w: frame %d is before the snapshot's frame %d", ErrIncomplete, until, from)
	}
	p.src = source{r: j}
	if until > from {
		if err := p.seek(from); err != nil {
			return err
		}
		if err := p.play(until); err != nil {
			return err
		}
	}
	for _, m := range p.e.Modules() {
		if t := p.gc[m]; t > 0 {
			if err := p.e.EnableAutoGC(m, t); err != nil {
				return err
			}
		}
	}
	p.stats.To = p.e.Frame()
	p.stats.Wall = time.Since(p.t0)
	if p.o.stats != nil {
		*p.o.stats = p.stats
	}
	if p.o.forward != nil {
		p.obs.fwd.Store(&p.o.forward)
	}
	return nil
}

// play applies records until the state right after Tick until.
func (p *player) play(until uint64) error {
	reached := false
	for {
		rec, err := p.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if reached && !(rec.Op.Kind == versioning.OpGC && rec.Frame() == until && rec.Checkpoint == nil) {
			return nil
		}
		p.stats.Records++
		if cp := rec.Checkpoint; cp != nil {
			if err := p.checkRegistered(cp); err != nil {
				return err
			}
			if p.o.onCheckpoint != nil {
				at := rec
				if err := p.o.onCheckpoint(p.e, cp, &at); err != nil {
					return err
				}
			}
			continue
		}
		switch rec.Op.Kind {
		case versioning.OpTick:
			if rec.Frame() >= until {
				return nil
			}
			if err := p.tick(&rec); err != nil {
				return err
			}
			reached = rec.Frame()+1 == until
		case versioning.OpCapture:
			// A snapshot was taken here: a marker, nothing to apply.
		case versioning.OpFailure, versioning.OpChecksum:
			return &CorruptError{File: rec.File, Offset: rec.Offset, Frame: rec.Frame(), Kind: ErrCorrupt,
				What: fmt.Sprintf("%v record that does not follow a tick", rec.Op.Kind)}
		default:
			if err := p.apply(&rec); err != nil {
				return err
			}
		}
	}
	if until != End && p.e.Frame() < until {
		return fmt.Errorf("%w: the journal ends at frame %d, before frame %d", ErrIncomplete, p.e.Frame(), until)
	}
	return nil
}

// tick replays one Tick: it reads the failures and checksums recorded
// with it, re-injects the frame-budget failures, ticks, and compares.
func (p *player) tick(rec *Record) error {
	frame := rec.Frame() + 1
	var outs []Record
	for {
		r, err := p.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if r.Checkpoint != nil || r.Frame() != frame || (r.Op.Kind != versioning.OpFailure && r.Op.Kind != versioning.OpChecksum) {
			p.src.unread(r)
			break
		}
		outs = append(outs, r)
	}
	p.stats.Records += len(outs)
	var want []versioning.Op
	for i := range outs {
		op := &outs[i].Op
		if op.Kind != versioning.OpFailure {
			continue
		}
		want = append(want, *op)
		if op.Cause == "budget" {
			if err := p.e.InjectFailure(op.Module, op.Version, op.Phase, budgetError(op)); err != nil {
				return &DivergenceError{Frame: frame, Module: op.Module, Version: op.Version, Op: op.Kind, What: "cannot re-inject the frame-budget failure", Err: err}
			}
			p.stats.Reinjected++
		}
	}
	p.obs.take()
	if err := p.e.Tick(rec.Op.Dt); err != nil {
		return &DivergenceError{Frame: frame, Op: versioning.OpTick, What: "tick failed", Err: err}
	}
	p.stats.Frames++
	got := p.obs.take()
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			w := want[i]
			return &DivergenceError{Frame: frame, Module: w.Module, Version: w.Version, Op: versioning.OpFailure,
				What: fmt.Sprintf("recorded %s failure (%s) did not happen", w.Phase, w.Cause)}
		case i >= len(want):
			g := got[i]
			return &DivergenceError{Frame: frame, Module: g.Module, Version: g.Version, Op: versioning.OpFailure,
				What: fmt.Sprintf("%s failure (%s) that the recorded run did not have", g.Phase, g.Cause), Err: g.Err}
		case !sameFailure(&want[i], &got[i]):
			w, g := want[i], got[i]
			return &DivergenceError{Frame: frame, Module: w.Module, Version: w.Version, Op: versioning.OpFailure,
				What: fmt.Sprintf("recorded %s failure (%s) of %s v%d, replayed %s failure (%s) of %s v%d",
					w.Phase, w.Cause, w.Module, w.Version, g.Phase, g.Cause, g.Module, g.Version)}
		}
	}
	p.stats.Failures += len(got)
	return p.compareSums(frame, outs)
}

func sameFailure(a, b *versioning.Op) bool {
	return a.Module == b.Module && a.Version == b.Version && a.Phase == b.Phase && a.Cause == b.Cause
}

// budgetError is the error to re-inject for a recorded frame-budget
// failure: it has the cause's sentinel and the original message (without
// the prefix the engine adds again).
func budgetError(op *versioning.Op) error {
	msg := ""
	if op.Err != nil {
		msg = op.Err.Error()
	}
	msg = strings.TrimPrefix(msg, fmt.Sprintf("versioning: %s v%d: ", op.Module, op.Version))
	return &RecordedError{Cause: op.Cause, Msg: msg}
}

// compareSums compares the recorded checksums of a frame with the engine's.
func (p *player) compareSums(frame uint64, outs []Record) error {
	var mods []string
	want := map[string]map[int]uint32{}
	for i := range outs {
		op := &outs[i].Op
		if op.Kind != versioning.OpChecksum {
			continue
		}
		if want[op.Module] == nil {
			want[op.Module] = map[int]uint32{}
			mods = append(mods, op.Module)
		}
		want[op.Module][op.Version] = op.Sum
	}
	for _, m := range mods {
		got, err := p.e.Checksum(m)
		if err != nil {
			return &DivergenceError{Frame: frame, Module: m, Op: versioning.OpChecksum, What: "no such module", Err: err}
		}
		vs := slices.Sorted(func(yield func(int) bool) {
			for v := range want[m] {
				if !yield(v) {
					return
				}
			}
			for v := range got {
				if _, ok := want[m][v]; !ok && !yield(v) {
					return
				}
			}
		})
		for _, v := range vs {
			w, inWant := want[m][v]
			g, inGot := got[v]
			switch {
			case !inGot:
				return &DivergenceError{Frame: frame, Module: m, Version: v, Op: versioning.OpChecksum, What: "version loaded in the recorded run, not in the replay"}
			case !inWant:
				return &DivergenceError{Frame: frame, Module: m, Version: v, Op: versioning.OpChecksum, What: "version loaded in the replay, not in the recorded run"}
			case w != g:
				return &DivergenceError{Frame: frame, Module: m, Version: v, Op: versioning.OpChecksum,
					What: fmt.Sprintf("state checksum %#08x, recorded %#08x", g, w)}
			}
			p.stats.Checksums++
		}
	}
	return nil
}

// apply makes a recorded control call again.
func (p *player) apply(rec *Record) error {
	op := &rec.Op
	e := p.e
	key := func() error {
		if len(op.Keys) == 0 {
			return &CorruptError{File: rec.File, Offset: rec.Offset, Frame: op.Frame, Kind: ErrCorrupt, What: fmt.Sprintf("%v record without a key", op.Kind)}
		}
		return nil
	}
	var err error
	switch op.Kind {
	case versioning.OpAddModule:
		var mo []versioning.ModuleOption
		if len(op.Deps) > 0 {
			mo = append(mo, versioning.DependsOn(op.Deps...))
		}
		if op.Fallback != 0 {
			mo = append(mo, versioning.RollbackTo(op.Fallback))
		}
		if op.Policy != (versioning.FailurePolicy{}) {
			mo = append(mo, versioning.Tolerate(op.Policy))
		}
		if err = e.AddModule(op.Module, mo...); err == nil {
			p.gc[op.Module] = op.GCAfter // GC stays off until the end
		}
	case versioning.OpRemoveModule:
		err = e.RemoveModule(op.Module)
		delete(p.gc, op.Module)
	case versioning.OpRegister:
		err = p.register(op)
	case versioning.OpLoad:
		err = e.Load(op.Module, op.Version)
	case versioning.OpUnload, versioning.OpGC:
		err = e.Unload(op.Module, op.Version)
	case versioning.OpReload:
		err = e.Reload(op.Module, op.Version)
	case versioning.OpSetSplit:
		err = e.SetSplit(op.Module, op.Weights)
	case versioning.OpPin:
		if err = key(); err == nil {
			err = e.Pin(op.Module, op.Keys[0], op.Version)
		}
	case versioning.OpUnpin:
		if err = key(); err == nil {
			err = e.Unpin(op.Module, op.Keys[0])
		}
	case versioning.OpSpawn:
		return p.spawn(rec)
	case versioning.OpDespawn:
		err = e.Despawn(op.Module, op.Keys...)
	case versioning.OpRollback:
		err = e.Rollback(op.Module, op.Version)
	case versioning.OpEnableGC:
		p.gc[op.Module] = op.GCAfter
	case versioning.OpDisableGC:
		p.gc[op.Module] = 0
	case versioning.OpSetComponent, versioning.OpCommand:
		if err = key(); err == nil {
			err = p.entityRun(rec)
		}
	case versioning.OpConfigure:
		cfg := op.Config
		if rec.Config != nil {
			if cfg, err = p.o.configs.Decode(*rec.Config); err != nil {
				return &DivergenceError{Frame: op.Frame, Module: op.Module, Version: op.Version, Op: op.Kind, What: "cannot rebuild the configuration", Err: err}
			}
		}
		err = e.Configure(op.Module, op.Version, cfg)
	case versioning.OpInject:
		var cause error
		if op.Err != nil && op.Err.Error() != versioning.ErrInjected.Error() {
			cause = &RecordedError{Cause: op.Cause, Msg: op.Err.Error()}
		}
		err = e.InjectFailure(op.Module, op.Version, op.Phase, cause)
	default:
		return &CorruptError{File: rec.File, Offset: rec.Offset, Frame: op.Frame, Kind: ErrCorrupt, What: fmt.Sprintf("unexpected %v record", op.Kind)}
	}
	if err == nil {
		return nil
	}
	return divergedCall(op, err)
}

// entityRun makes again the calls of an OpSetComponent or OpCommand
// record: one per key, each with its share of the payloads (see
// [versioning.Op]).
func (p *player) entityRun(rec *Record) error {
	op := &rec.Op
	if len(op.Value)%len(op.Keys) != 0 {
		return &CorruptError{File: rec.File, Offset: rec.Offset, Frame: op.Frame, Kind: ErrCorrupt,
			What: fmt.Sprintf("%v record of %d keys with %d bytes of payloads", op.Kind, len(op.Keys), len(op.Value))}
	}
	size := len(op.Value) / len(op.Keys)
	for i, k := range op.Keys {
		payload := op.Value[i*size : (i+1)*size]
		var err error
		if op.Kind == versioning.OpCommand {
			err = p.e.Command(op.Module, k, op.Name, payload)
		} else {
			err = p.e.SetComponentBytes(op.Module, k, op.Component, payload)
		}
		if err != nil {
			return fmt.Errorf("entity %d of the run (%#x): %w", i, uint64(k), err)
		}
	}
	return nil
}

// divergedCall is the error of a recorded call that failed in the replay.
func divergedCall(op *versioning.Op, err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return &DivergenceError{Frame: op.Frame, Module: op.Module, Version: op.Version, Op: op.Kind, What: "the call failed", Err: err}
}

// register checks a recorded registration: the version must be registered
// already (by the factory) or kept from a module the factory added.
func (p *player) register(op *versioning.Op) error {
	reg, err := p.e.Registered(op.Module)
	if err != nil {
		return err
	}
	if slices.Contains(reg, op.Version) {
		return nil
	}
	if v, ok := p.spare[op.Module][op.Version]; ok {
		return p.e.Register(op.Module, v)
	}
	return fmt.Errorf("%w: %s v%d was registered in the recorded run; the factory does not register it", ErrEngine, op.Module, op.Version)
}

// spawn spawns the recorded columns again; the engine must assign the
// recorded keys.
func (p *player) spawn(rec *Record) error {
	op := &rec.Op
	div := func(what string, err error) error {
		return &DivergenceError{Frame: op.Frame, Module: op.Module, Version: op.Version, Op: op.Kind, What: what, Err: err}
	}
	if rec.Spawn == nil {
		return &CorruptError{File: rec.File, Offset: rec.Offset, Frame: op.Frame, Kind: ErrCorrupt, What: "spawn record without columns"}
	}
	l, err := p.e.LayoutOf(op.Module, op.Version)
	if err != nil {
		return div("the call failed", err)
	}
	cols, err := rec.Spawn.Columns(l)
	if err != nil {
		return div("the recorded columns do not fit the version's layout", err)
	}
	keys, err := p.e.Spawn(op.Module, op.Version, &cols)
	if err != nil {
		return div("the call failed", err)
	}
	if !slices.Equal(keys, op.Keys) {
		return div(fmt.Sprintf("spawn assigned other keys than the recorded run (%d keys)", len(keys)), nil)
	}
	return nil
}

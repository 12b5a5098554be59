package versioning

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// OpKind says what an [Op] records.
type OpKind int

// The kinds of ops. Every call that changes the engine and succeeds is
// recorded, and so is every failure a frame detects.
const (
	OpTick OpKind = iota + 1
	OpAddModule
	OpRemoveModule
	OpRegister
	OpLoad
	OpUnload
	OpReload
	OpSetSplit
	OpPin
	OpUnpin
	OpSpawn
	OpDespawn
	OpRollback
	OpEnableGC
	OpDisableGC
	OpSetComponent
	OpCommand
	OpConfigure
	OpInject
	// OpFailure: a version failed in frame Frame (Phase "step", or "serve"
	// when it failed while serving rolled-back entities); Cause names the
	// check ("budget", "panic", "error", "nonfinite", "keys", "query",
	// "injected"). Failures of the frame budget depend on wall time: a
	// replay re-injects them ([Engine.InjectFailure]) rather than detecting
	// them again.
	OpFailure
	// OpChecksum: after frame Frame, version Version of Module held state
	// whose CRC-32C (keys and every column, in row order) is Sum; recorded
	// every n frames with [WithChecksumEvery], so a replay can prove it
	// reproduces the run.
	OpChecksum
	// OpGC: automatic GC unloaded Version of Module (after the frame's
	// other ops). A replay may turn automatic GC off and apply these as
	// unloads, so that it collects exactly when the original did.
	OpGC
	// OpCapture: the engine's state was captured ([Engine.CaptureInto]) at
	// frame Frame, between the ops before and after it: where a journal's
	// replay of that snapshot starts.
	OpCapture
)

var opNames = map[OpKind]string{
	OpTick: "tick", OpAddModule: "add-module", OpRemoveModule: "remove-module", OpRegister: "register",
	OpLoad: "load", OpUnload: "unload", OpReload: "reload", OpSetSplit: "split", OpPin: "pin", OpUnpin: "unpin",
	OpSpawn: "spawn", OpDespawn: "despawn", OpRollback: "rollback", OpEnableGC: "enable-gc",
	OpDisableGC: "disable-gc", OpSetComponent: "set-component", OpCommand: "command", OpConfigure: "configure",
	OpInject: "inject", OpFailure: "failure", OpChecksum: "checksum", OpGC: "gc", OpCapture: "capture",
}

func (k OpKind) String() string {
	if s, ok := opNames[k]; ok {
		return s
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// ParseOpKind returns the kind whose String is s.
func ParseOpKind(s string) (OpKind, bool) {
	for k, n := range opNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Op is one recorded change: a call with its arguments, or a detected
// failure. Fields that do not apply to a kind are zero. An Op handed to a
// [Recorder] borrows its slices, maps and columns for the duration of
// Record: they may be the caller's or the engine's, so a recorder that keeps
// them must copy them (a journal encodes them at once).
type Op struct {
	Kind OpKind
	// Frame is the number of frames ticked before the op (for OpTick, the
	// frame it starts is Frame+1; for OpFailure, the frame it happened in).
	Frame   uint64
	Module  string
	Version int
	// Dt is OpTick's time step.
	Dt time.Duration
	// Weights is OpSetSplit's split.
	Weights map[int]float64
	// Keys are the entities of OpPin, OpUnpin, OpDespawn, OpSetComponent
	// and OpCommand, and the keys OpSpawn assigned.
	Keys []ecs.Key
	// Columns is OpSpawn's input (in Version's layout; its keys are the
	// assigned ones).
	Columns *ecs.Columns
	// Component and Value are OpSetComponent's component name and bytes;
	// Name and Value are OpCommand's command and payload. Both carry a run
	// of calls: consecutive SetComponent (or Command) calls on one module
	// with the same component (or command) and payload size are one op,
	// whose Keys are the entities in call order and whose Value holds
	// their payloads one after the other, len(Value)/len(Keys) bytes each.
	// A run reaches the recorder just before the engine's next other op
	// (a Tick, a Capture, a call on another module, ...), or at Close; its
	// place in the order of ops is the place of its calls.
	Component string
	Name      string
	Value     []byte
	// Config is OpConfigure's configuration (any value the version's logic
	// accepts; recorders that persist ops need it to be encodable).
	Config any
	// Module options (OpAddModule), and OpEnableGC's threshold.
	Deps     []string
	GCAfter  time.Duration
	Fallback int
	Policy   FailurePolicy
	// Phase and Cause describe an OpFailure or OpInject; Err is the failure.
	Phase, Cause string
	Err          error
	// Sum is OpChecksum's checksum.
	Sum uint32
}

// Recorder receives every op of an engine, in order, synchronously: on the
// goroutine of the call, while the engine is serialised, so the order of the
// ops is the order in which they changed the engine. Record must be fast and
// must not call the engine (it would wait for the call in progress); a
// journal buffers ops and writes them elsewhere. Panics in Record are
// recovered and reported as [EventError].
type Recorder interface {
	Record(op Op)
}

// WithChecksumEvery makes the engine record an [OpChecksum] for every loaded
// version after every n-th frame (0, the default: never). It costs a CRC-32C
// pass over the worlds on those frames.
func WithChecksumEvery(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: checksum cadence %d", ErrBadOption, n)
		}
		c.checksumEvery = n
		return nil
	}
}

// recordChecksums records every loaded version's checksum, if due.
func (e *Engine) recordChecksums() {
	if e.cfg.recorder == nil || e.cfg.checksumEvery == 0 || e.frame%uint64(e.cfg.checksumEvery) != 0 {
		return
	}
	for _, m := range e.order {
		for _, n := range m.loadedNums() {
			e.record(Op{Kind: OpChecksum, Module: m.name, Version: n, Sum: checksum(m.versions[n].l.world)})
		}
	}
}

// Checksum returns the CRC-32C of every loaded version's state (keys and
// every column, in row order), by version: the same sums [OpChecksum]
// records.
func (e *Engine) Checksum(module string) (map[int]uint32, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	out := map[int]uint32{}
	for _, n := range m.loadedNums() {
		out[n] = checksum(m.versions[n].l.world)
	}
	return out, nil
}

// WithRecorder sets the engine's recorder (nil: none).
func WithRecorder(r Recorder) Option {
	return func(c *config) error {
		c.recorder = r
		return nil
	}
}

// record hands an op to the recorder, if there is one. The caller holds
// ctl.
func (e *Engine) record(op Op) {
	if e.cfg.recorder == nil {
		return
	}
	e.flushRecord()
	e.hand(op)
}

// hand gives op to the recorder, recovering a panic.
func (e *Engine) hand(op Op) {
	r := e.cfg.recorder
	op.Frame = e.frame
	defer func() {
		if p := recover(); p != nil {
			err := &PanicError{Value: p, Stack: debug.Stack()}
			e.emit(Event{Kind: EventError, Module: op.Module, Err: fmt.Errorf("recording %v: %w", op.Kind, err)})
		}
	}()
	r.Record(op)
}

// recordLater is called before a command or a component write is queued
// on m. A game sends those by the thousand each frame, so they are handed
// to the recorder in runs rather than one by one: consecutive ones on one
// module with the same command (or component) and payload size become one
// op, recorded just before the engine's next other op (see [Op]).
func (e *Engine) recordLater(m *module) {
	if e.cfg.recorder == nil || e.unrecorded == m {
		return
	}
	e.flushRecord()
	e.unrecorded, m.unrecorded = m, len(m.cmds)
}

// flushRecord records the runs of commands queued since recordLater, if
// any. The caller holds ctl.
func (e *Engine) flushRecord() {
	m := e.unrecorded
	if m == nil {
		return
	}
	e.unrecorded = nil
	cmds := m.cmds[m.unrecorded:]
	for len(cmds) > 0 {
		first := &cmds[0]
		n := 1
		for n < len(cmds) && cmds[n].comp == first.comp && cmds[n].name == first.name && cmds[n].n == first.n {
			n++
		}
		keys := e.runKeys[:0]
		for i := range n {
			keys = append(keys, cmds[i].key)
		}
		e.runKeys = keys
		last := &cmds[n-1]
		op := Op{Kind: OpCommand, Module: m.name, Keys: keys, Name: first.name, Value: m.payloads[first.off : last.off+last.n : last.off+last.n]}
		if first.comp != "" {
			op.Kind, op.Component, op.Name = OpSetComponent, first.comp, ""
		}
		e.hand(op)
		cmds = cmds[n:]
	}
}

// recording reports whether ops are recorded, so callers skip building them.
func (e *Engine) recording() bool { return e.cfg.recorder != nil }

// oneKey is a one-key slice for an op, in a buffer the engine reuses (ops
// borrow their slices).
func (e *Engine) oneKey(k ecs.Key) []ecs.Key {
	e.keyBuf[0] = k
	return e.keyBuf[:]
}

// failureCause names the check that failed a step, for OpFailure.
func failureCause(err error) string {
	switch {
	case isErr(err, ErrInjected):
		return "injected"
	case isErr(err, ErrFrameBudget):
		return "budget"
	case isErr(err, ErrNonFinite):
		return "nonfinite"
	case isErr(err, ErrKeysChanged):
		return "keys"
	case isErr(err, ErrOpenQuery):
		return "query"
	case isErr(err, ErrPanic):
		return "panic"
	}
	return "error"
}

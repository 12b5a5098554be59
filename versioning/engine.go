package versioning

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/pool"
)

// Engine runs any number of named modules, each with any number of versions
// loaded at once, each version over its own [ecs.World]. The game loop drives
// it with [Engine.Tick].
//
// All methods are safe to call from several goroutines. Tick and the methods
// that change the engine (split, pin, spawn, load, unload, rollback, ...) are
// serialised: a control call made while a frame runs waits for the frame to
// end and takes effect at the frame boundary. The read-only methods
// (Metrics, Split, Loaded, Locate, Pins, Now, State) never wait for a frame.
//
// The engine holds no lock while it runs user code (a version's logic, its
// callbacks, migrations' Convert functions) or listeners, and it recovers
// every panic in them: the process never dies because of a version.
type Engine struct {
	// ctl serialises Tick and every method that changes the engine; it is
	// held while user code runs. mu guards what the read-only methods read;
	// it is released while user code runs.
	ctl     sync.Mutex
	mu      sync.Mutex
	cfg     config
	now     time.Duration // simulated time, the sum of Tick's dt
	frame   uint64
	modules map[string]*module
	order   []*module
	pending []Event

	lmu        sync.Mutex
	listeners  []listener
	nextID     int
	nlisteners atomic.Int32

	pool       *pool.Pool
	levelCache [][]*module   // modules by dependency depth (see levels)
	tasks      []*stepResult // the steps of the level being run
	stepDT     float32       // their time step
	stepTaskFn func(int)     // e.stepTask, made once so that frames allocate nothing
	keyBuf     [1]ecs.Key    // an op's one key (see oneKey)
	unrecorded *module       // whose queued commands are not all recorded (see recordLater)
	runKeys    []ecs.Key     // a run of commands' keys, for its op
}

// New creates an engine.
func New(opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	e := &Engine{cfg: cfg, modules: map[string]*module{}, pool: pool.New(cfg.workers)}
	e.stepTaskFn = e.stepTask
	return e, nil
}

// Workers is the number of goroutines that step versions and run their
// parallel kernels (see [WithWorkers]).
func (e *Engine) Workers() int { return e.pool.Workers() }

// Close stops the engine's worker goroutines and waits for them; later
// frames run serially. It is idempotent. An engine that becomes unreachable
// without Close has its workers stopped by the garbage collector. Close
// also hands the recorder ([WithRecorder]) the commands it has not been
// given yet.
func (e *Engine) Close() {
	e.begin()
	e.flushRecord()
	e.end() // delivers the event of a recorder that panicked, if any
	e.ctl.Lock()
	defer e.ctl.Unlock()
	e.pool.Close()
}

// begin starts a call that changes the engine.
func (e *Engine) begin() {
	e.ctl.Lock()
	e.mu.Lock()
}

// end finishes such a call: it releases the locks, then delivers the events
// collected meanwhile.
func (e *Engine) end() {
	ev := e.pending
	quiet := e.cfg.logger == nil && e.nlisteners.Load() == 0
	if quiet {
		clear(ev)
		e.pending = ev[:0] // nobody to tell: keep the memory
	} else {
		e.pending = nil
	}
	e.mu.Unlock()
	e.ctl.Unlock()
	if !quiet {
		e.dispatch(ev)
	}
}

// user runs user code with the read lock released (ctl stays held), turning
// a panic into an error.
func (e *Engine) user(f func() error) error {
	e.mu.Unlock()
	defer e.mu.Lock()
	return protect(f)
}

// read runs a read-only call under the read lock.
func (e *Engine) read(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f()
}

func (e *Engine) emit(ev Event) {
	ev.SimTime = e.now
	ev.Frame = e.frame
	e.pending = append(e.pending, ev)
}

func (e *Engine) module(name string) (*module, error) {
	m, ok := e.modules[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	return m, nil
}

// AddModule creates a module. Its dependencies must exist already.
func (e *Engine) AddModule(name string, opts ...ModuleOption) error {
	e.begin()
	defer e.end()
	if name == "" {
		return fmt.Errorf("%w: empty module name", ErrBadOption)
	}
	if _, ok := e.modules[name]; ok {
		return fmt.Errorf("%w: %q", ErrModuleExists, name)
	}
	m := newModule(name)
	for _, o := range opts {
		if o == nil {
			return fmt.Errorf("%w: nil module option", ErrBadOption)
		}
		if err := o(m); err != nil {
			return err
		}
	}
	for _, d := range m.deps {
		if _, ok := e.modules[d]; !ok {
			return fmt.Errorf("%w: %q depends on %q", ErrUnknownModule, name, d)
		}
	}
	e.modules[name] = m
	e.order = append(e.order, m)
	e.levelCache = nil
	if e.recording() {
		e.record(Op{Kind: OpAddModule, Module: name, Deps: slices.Clone(m.deps), GCAfter: m.gcAfter, Fallback: m.fallback, Policy: m.policy})
	}
	return nil
}

// Modules lists the modules in the order they were added.
func (e *Engine) Modules() []string {
	var out []string
	e.read(func() {
		for _, m := range e.order {
			out = append(out, m.name)
		}
	})
	return out
}

// checkDependents fails with a *DependentsError if other modules depend on
// name.
func (e *Engine) checkDependents(name string) error {
	var ds []string
	for _, m := range e.order {
		if slices.Contains(m.deps, name) {
			ds = append(ds, m.name)
		}
	}
	if len(ds) > 0 {
		return &DependentsError{Module: name, Dependents: ds}
	}
	return nil
}

// RemoveModule drops a module with all its versions and entities. It fails
// with a [*DependentsError] while other modules depend on it. Listeners get
// [EventBeforeUnload] for every loaded version before anything is removed,
// and [EventAfterUnload] after.
func (e *Engine) RemoveModule(name string) error {
	check := func() (*module, []int, error) {
		m, err := e.module(name)
		if err != nil {
			return nil, nil, err
		}
		if err := e.checkDependents(name); err != nil {
			return nil, nil, err
		}
		return m, slices.Clone(m.loadedNums()), nil
	}
	return e.unloadHandshake(name, func() ([]int, error) {
		_, nums, err := check()
		return nums, err
	}, func() []Event {
		m, _, _ := check()
		for _, n := range slices.Clone(m.loadedNums()) {
			e.drop(m, n)
		}
		delete(e.modules, name)
		e.order = slices.DeleteFunc(e.order, func(o *module) bool { return o == m })
		e.levelCache = nil
		e.record(Op{Kind: OpRemoveModule, Module: name})
		return nil
	})
}

// Register makes a version available to a module. It does not load it.
//
// The version's number must be positive and new to the module, its layout
// non-nil, and each component it shares a name with in another registered
// version must have the same layout there, unless one of the two versions
// declares a migration between them with a Convert function; otherwise the
// error wraps [ErrLayoutMismatch]. Each declared migration must name this
// version as From or To, and a step without Convert must be derivable
// ([ecs.CheckStep]). On error nothing changes.
func (e *Engine) Register(module string, v Version) error {
	if v == nil {
		return fmt.Errorf("%w: nil version", ErrBadVersion)
	}
	var num int
	var layout *ecs.Layout
	var migs []ecs.Migration
	// User code: called before any lock is taken.
	if err := protect(func() error {
		num, layout, migs = v.Number(), v.Components(), slices.Clone(v.Migrations())
		return nil
	}); err != nil {
		return fmt.Errorf("%w: %w", ErrBadVersion, err)
	}
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if err := m.checkVersion(num, layout, migs); err != nil {
		return err
	}
	m.versions[num] = &version{v: v, num: num, layout: layout, migs: migs}
	m.paths = nil // a new version may open shorter paths
	m.nums = append(m.nums, num)
	slices.Sort(m.nums)
	e.record(Op{Kind: OpRegister, Module: module, Version: num})
	return nil
}

// Registered returns the module's registered version numbers in ascending
// order.
func (e *Engine) Registered(module string) ([]int, error) {
	var out []int
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			out = slices.Clone(m.nums)
		}
	})
	return out, err
}

// Loaded returns the module's loaded version numbers in ascending order.
func (e *Engine) Loaded(module string) ([]int, error) {
	var out []int
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			out = slices.Clone(m.loadedNums())
		}
	})
	return out, err
}

// State returns a registered version's state.
func (e *Engine) State(module string, version int) (State, error) {
	var s State
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err != nil {
			return
		}
		vr, ok := m.versions[version]
		if !ok {
			err = fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
			return
		}
		s = m.state(vr)
	})
	return s, err
}

// Split returns the module's current traffic weights.
func (e *Engine) Split(module string) (map[int]float64, error) {
	var out map[int]float64
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			out = make(map[int]float64, len(m.weights))
			for n, w := range m.weights {
				out[n] = w
			}
		}
	})
	return out, err
}

// Now is the simulated time: the sum of every Tick's dt.
func (e *Engine) Now() time.Duration {
	var now time.Duration
	e.read(func() { now = e.now })
	return now
}

// Frame is the number of frames ticked so far.
func (e *Engine) Frame() uint64 {
	var f uint64
	e.read(func() { f = e.frame })
	return f
}

// EnableAutoGC makes the module unload versions that have had no entities and
// no traffic for at least threshold of simulated time.
func (e *Engine) EnableAutoGC(module string, threshold time.Duration) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if err := AutoGC(threshold)(m); err != nil {
		return err
	}
	e.record(Op{Kind: OpEnableGC, Module: module, GCAfter: threshold})
	return nil
}

// DisableAutoGC turns automatic GC off for the module.
func (e *Engine) DisableAutoGC(module string) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	m.gcAfter = 0
	e.record(Op{Kind: OpDisableGC, Module: module})
	return nil
}

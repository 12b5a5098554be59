package versioning

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// Engine runs any number of named modules, each with any number of versions
// loaded at once, each version over its own [ecs.World]. The game loop drives
// it with [Engine.Tick].
//
// All methods are safe to call from several goroutines. Tick holds the
// engine's lock for the whole frame, so control calls made from other
// goroutines (split, pin, load, unload, rollback, metrics) wait for the frame
// to end and take effect at the frame boundary. Listeners are called after
// the lock is released.
type Engine struct {
	mu      sync.Mutex
	cfg     config
	now     time.Duration // simulated time, the sum of Tick's dt
	frame   uint64
	modules map[string]*module
	order   []*module
	pending []Event

	lmu       sync.Mutex
	listeners map[int]Listener
	nextID    int
}

// module is one named module: its registered versions, the loaded ones, the
// traffic split and the location of every entity.
type module struct {
	name     string
	deps     []string
	gcAfter  time.Duration // 0: no automatic GC
	fallback int           // explicit rollback target, 0: default rule
	registry map[int]Version
	loaded   map[int]*loaded
	weights  map[int]float64 // only loaded, non-failed versions; sums to 1
	slots    []slot          // indexed by Key.Index
	free     []uint32
	pins     map[ecs.Key]int
	bad      map[int]error // versions that failed, until loaded or reloaded by hand
	live     int
	dirty    bool // the split must be re-applied at the next frame boundary
	frames   uint64
	missed   uint64 // frames in which some entity was not served

	stage   []*ecs.Columns          // staging buffers, reused
	scratch map[ecs.Mask]*ecs.World // worlds for serving rolled-back entities
}

// slot records where the entity with a given key index lives.
type slot struct {
	gen uint32
	ver int32 // 0: free
}

// loaded is one loaded version.
type loaded struct {
	v        Version
	number   int
	logic    ecs.Logic
	sched    ecs.Schedule
	writes   ecs.Mask
	world    *ecs.World
	backup   ecs.Backup
	loadedAt time.Duration // simulated
	loadTime time.Duration
	idle     bool
	idleFrom time.Duration // simulated time it became idle
	failed   error
	sinceBak int // frames since the last backup
	checksum uint32
	stats    stepStats
}

// New creates an engine.
func New(opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Engine{cfg: cfg, modules: map[string]*module{}, listeners: map[int]Listener{}}, nil
}

// unlock releases the engine's lock, then delivers the events collected
// while it was held.
func (e *Engine) unlock() {
	ev := e.pending
	e.pending = nil
	e.mu.Unlock()
	e.dispatch(ev)
}

func (e *Engine) emit(ev Event) {
	ev.SimTime = e.now
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
	e.mu.Lock()
	defer e.unlock()
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrBadOption)
	}
	if _, ok := e.modules[name]; ok {
		return fmt.Errorf("%w: %q", ErrModuleExists, name)
	}
	m := &module{name: name, registry: map[int]Version{}, loaded: map[int]*loaded{},
		weights: map[int]float64{}, pins: map[ecs.Key]int{}, bad: map[int]error{}, scratch: map[ecs.Mask]*ecs.World{}}
	for _, o := range opts {
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
	return nil
}

// dependents lists the modules that depend on name.
func (e *Engine) dependents(name string) []string {
	var out []string
	for _, m := range e.order {
		if slices.Contains(m.deps, name) {
			out = append(out, m.name)
		}
	}
	return out
}

func (e *Engine) checkDependents(name string) error {
	if ds := e.dependents(name); len(ds) > 0 {
		return fmt.Errorf("%w: %q is needed by %s", ErrDependents, name, strings.Join(ds, ", "))
	}
	return nil
}

// RemoveModule drops a module with all its versions and entities. It fails
// with [ErrDependents], naming them, while other modules depend on it.
func (e *Engine) RemoveModule(name string) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(name)
	if err != nil {
		return err
	}
	if err := e.checkDependents(name); err != nil {
		return err
	}
	for _, n := range m.sorted() {
		e.emit(Event{Kind: EventBeforeUnload, Module: name, Version: n})
		e.drop(m, n)
		e.emit(Event{Kind: EventAfterUnload, Module: name, Version: n})
	}
	delete(e.modules, name)
	e.order = slices.DeleteFunc(e.order, func(o *module) bool { return o == m })
	return nil
}

// Register makes a version available to a module. It does not load it.
func (e *Engine) Register(module string, v Version) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if v == nil {
		return fmt.Errorf("%w: nil version", ErrBadOption)
	}
	var num int
	var comps ecs.Mask
	if err := protect(func() error {
		num, comps = v.Number(), v.Components()
		_ = v.Migrations() // called again when paths are searched: it must not panic
		return nil
	}); err != nil {
		return fmt.Errorf("%w: version: %w", ErrBadOption, err)
	}
	if num <= 0 {
		return fmt.Errorf("%w: version number %d must be positive", ErrBadOption, num)
	}
	if !comps.Has(ecs.MaskPosition) || comps&^ecs.MaskAll != 0 {
		return fmt.Errorf("%w: v%d components %v", ErrBadOption, num, comps)
	}
	if _, ok := m.registry[num]; ok {
		return fmt.Errorf("%w: %s v%d", ErrVersionExists, module, num)
	}
	m.registry[num] = v
	return nil
}

// Load loads a registered version: a fresh world and a fresh logic instance.
// The first version loaded into a module receives all of its traffic; later
// ones start with none. If creating or initialising the version fails (error
// or panic) the engine is left exactly as it was and the error wraps
// [ErrLoad].
func (e *Engine) Load(module string, version int) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, err = e.load(m, version, 0); err == nil {
		delete(m.bad, version) // loaded by hand: trusted again
	}
	return err
}

// load instantiates and inserts a version; capacity pre-sizes its world.
func (e *Engine) load(m *module, n, capacity int) (*loaded, error) {
	if _, ok := m.loaded[n]; ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrAlreadyLoaded, m.name, n)
	}
	v, ok := m.registry[n]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, m.name, n)
	}
	t0 := e.cfg.clock()
	l := &loaded{v: v, number: n}
	logic, sched, err := instantiate(v)
	if err == nil {
		err = protect(func() error {
			w, err := ecs.NewWorld(v.Components(), capacity)
			if err != nil {
				return err
			}
			if in, ok := logic.(Initializer); ok {
				if err := in.Init(w); err != nil {
					return err
				}
			}
			l.logic, l.world, l.sched = logic, w, sched
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %w", ErrLoad, m.name, n, err)
	}
	l.writes = l.sched.Writes()
	l.loadTime = e.cfg.clock() - t0
	l.loadedAt = e.now
	m.loaded[n] = l
	if len(m.weights) == 0 {
		m.weights[n] = 1
		m.dirty = true
	}
	m.refreshIdle(e.now)
	e.emit(Event{Kind: EventAfterLoad, Module: m.name, Version: n, Duration: l.loadTime})
	return l, nil
}

// instantiate creates a fresh logic instance of v and reads its schedule,
// turning a panic in either into an error.
func instantiate(v Version) (logic ecs.Logic, sched ecs.Schedule, err error) {
	err = protect(func() error {
		var err error
		if logic, err = v.NewLogic(); err != nil {
			return err
		}
		if logic == nil {
			return errors.New("NewLogic returned nil")
		}
		sched = logic.Schedule()
		return nil
	})
	return logic, sched, err
}

// carryState moves a Stateful logic's own state from the old instance to the
// new one. It does nothing unless both implement Stateful.
func carryState(old, fresh ecs.Logic) error {
	from, ok1 := old.(Stateful)
	to, ok2 := fresh.(Stateful)
	if !ok1 || !ok2 {
		return nil
	}
	return protect(func() error {
		data, err := from.SaveState()
		if err != nil {
			return err
		}
		return to.RestoreState(data)
	})
}

// drop forgets a loaded version so its memory can be reclaimed.
func (e *Engine) drop(m *module, n int) {
	l := m.loaded[n]
	if c, ok := l.logic.(Closer); ok {
		_ = protect(func() error { c.Close(); return nil })
	}
	delete(m.loaded, n)
	delete(m.weights, n)
	for k, p := range m.pins {
		if p == n {
			delete(m.pins, k)
		}
	}
	*l = loaded{}
}

// Unload drops a loaded version. It fails with [ErrVersionInUse] while the
// version has entities or traffic, and with [ErrDependents] if it is the
// module's last version and other modules depend on the module.
//
// Listeners get [EventBeforeUnload] before the version is dropped and
// [EventAfterUnload] after.
func (e *Engine) Unload(module string, version int) error {
	e.mu.Lock()
	_, err := e.unloadable(module, version)
	if err == nil {
		e.emit(Event{Kind: EventBeforeUnload, Module: module, Version: version})
	}
	e.unlock()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.unlock()
	m, err := e.unloadable(module, version) // the state may have changed while listeners ran
	if err != nil {
		return err
	}
	e.drop(m, version)
	e.emit(Event{Kind: EventAfterUnload, Module: module, Version: version})
	return nil
}

// unloadable checks that a version may be unloaded now.
func (e *Engine) unloadable(name string, version int) (*module, error) {
	m, err := e.module(name)
	if err != nil {
		return nil, err
	}
	l, ok := m.loaded[version]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrNotLoaded, name, version)
	}
	if n := l.world.Len(); n > 0 || m.weights[version] > 0 {
		return nil, fmt.Errorf("%w: %s v%d has %d entities, weight %v", ErrVersionInUse, name, version, n, m.weights[version])
	}
	if len(m.loaded) == 1 {
		if err := e.checkDependents(name); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Reload replaces a loaded version's logic with a fresh instance while
// keeping its world, so entity state is preserved (a hot reload); logic that
// implements [Stateful] also has its own state carried over. It also clears
// the version's failed state. It fails with [ErrDependents] while
// other modules depend on the module; if creating the new instance fails the
// old one stays and the error wraps [ErrLoad].
func (e *Engine) Reload(module string, version int) error {
	check := func() (*loaded, error) {
		m, err := e.module(module)
		if err != nil {
			return nil, err
		}
		if err := e.checkDependents(module); err != nil {
			return nil, err
		}
		l, ok := m.loaded[version]
		if !ok {
			return nil, fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, version)
		}
		return l, nil
	}
	e.mu.Lock()
	l, err := check()
	var v Version
	if err == nil {
		v = l.v
	}
	e.unlock()
	if err != nil {
		return err
	}
	// Create the new instance outside the lock: it is user code.
	t0 := e.cfg.clock()
	logic, sched, err := instantiate(v)
	if err != nil {
		return fmt.Errorf("%w: %s v%d: %w", ErrLoad, module, version, err)
	}
	e.mu.Lock()
	l, err = check()
	if err == nil {
		e.emit(Event{Kind: EventBeforeUnload, Module: module, Version: version})
	}
	e.unlock()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.unlock()
	if l, err = check(); err != nil {
		return err
	}
	if in, ok := logic.(Initializer); ok {
		if err := protect(func() error { return in.Init(l.world) }); err != nil {
			return fmt.Errorf("%w: %s v%d: %w", ErrLoad, module, version, err)
		}
	}
	if err := carryState(l.logic, logic); err != nil {
		return fmt.Errorf("%w: %s v%d: state: %w", ErrLoad, module, version, err)
	}
	if c, ok := l.logic.(Closer); ok {
		_ = protect(func() error { c.Close(); return nil })
	}
	l.logic, l.sched, l.writes, l.failed = logic, sched, sched.Writes(), nil
	delete(e.modules[module].bad, version)
	l.loadTime = e.cfg.clock() - t0
	e.emit(Event{Kind: EventAfterUnload, Module: module, Version: version})
	e.emit(Event{Kind: EventAfterLoad, Module: module, Version: version, Duration: l.loadTime})
	return nil
}

// sorted returns the loaded version numbers in ascending order.
func (m *module) sorted() []int {
	out := make([]int, 0, len(m.loaded))
	for n := range m.loaded {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// refreshIdle updates each loaded version's idle clock: a version is idle
// while it has no entities and no traffic.
func (m *module) refreshIdle(now time.Duration) {
	for n, l := range m.loaded {
		idle := l.world.Len() == 0 && m.weights[n] == 0
		if idle && !l.idle {
			l.idleFrom = now
		}
		l.idle = idle
	}
}

// EnableAutoGC makes the module unload versions that have had no entities and
// no traffic for at least threshold of simulated time.
func (e *Engine) EnableAutoGC(module string, threshold time.Duration) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	return AutoGC(threshold)(m)
}

// DisableAutoGC turns automatic GC off for the module.
func (e *Engine) DisableAutoGC(module string) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	m.gcAfter = 0
	return nil
}

// Loaded returns the module's loaded version numbers in ascending order.
func (e *Engine) Loaded(module string) ([]int, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	return m.sorted(), nil
}

// Split returns the module's current traffic weights.
func (e *Engine) Split(module string) (map[int]float64, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	out := make(map[int]float64, len(m.weights))
	for n, w := range m.weights {
		out[n] = w
	}
	return out, nil
}

// Now is the simulated time: the sum of every Tick's dt.
func (e *Engine) Now() time.Duration {
	e.mu.Lock()
	defer e.unlock()
	return e.now
}

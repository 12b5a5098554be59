package pool

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs numbered tasks on a fixed set of goroutines: the caller of each
// [Pool.Run] or [Pool.For] plus Workers()-1 helpers started by [New].
//
// Its methods are safe for concurrent use, and Run and For may be called from
// inside a task. The zero Pool and a nil *Pool run everything serially on the
// caller.
type Pool struct {
	workers int
	s       *state // nil for a single worker
}

// state is what the helpers share with their Pool. They hold it, not the
// Pool, so that a Pool dropped without Close can still stop them (see New).
type state struct {
	mu     sync.Mutex
	active []*job // runs open for help, oldest first
	free   []*job // jobs for reuse
	seq    uint64 // runs started so far
	closed bool

	// For spinning without the lock (see spin): seq and closed, mirrored,
	// and how many idle helpers spin, at most maxSpin.
	started  atomic.Uint64
	closing  atomic.Bool
	spinning atomic.Int32
	maxSpin  int32

	wake chan struct{} // a token asks one idle helper to look for work
	quit chan struct{} // closed by shutdown
	stop sync.Once
	wg   sync.WaitGroup // the helpers
}

// job is one Run or For in progress. Whoever runs tasks claims them one at a
// time from next, so each task runs exactly once.
type job struct {
	next  atomic.Int64 // the next unclaimed task; may run past tasks
	tasks int
	fn    func(task int)   // Run's tasks, or
	body  func(lo, hi int) // For's chunks of size over [0, n)
	n     int
	size  int
	seq   uint64 // order of start, for helping newer runs only

	// Guarded by state.mu.
	refs    int           // helpers that may still claim or run a task
	waiting bool          // the caller is blocked on done
	done    chan struct{} // capacity 1: refs fell to zero while waiting
	helping atomic.Int32  // refs, mirrored for spinning without the lock

	pmu  sync.Mutex
	perr *PanicError // the lowest task that panicked so far
}

// New returns a pool of the given number of workers, starting workers-1
// helper goroutines; workers <= 0 means runtime.GOMAXPROCS(0). The helpers
// wait for work until [Pool.Close]. Should the Pool become unreachable
// without Close, they are stopped when the garbage collector finds it.
func New(workers int) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: workers}
	if workers == 1 {
		return p
	}
	s := &state{
		wake:    make(chan struct{}, workers-1),
		quit:    make(chan struct{}),
		maxSpin: int32(min(workers, runtime.GOMAXPROCS(0)) - 1),
	}
	s.wg.Add(workers - 1)
	for range workers - 1 {
		go s.helper()
	}
	p.s = s
	runtime.AddCleanup(p, (*state).shutdown, s)
	return p
}

// Workers returns the number of goroutines that run a Pool's tasks, the
// caller's included: the count given to [New], also after [Pool.Close]. It
// is 1 for a nil or zero Pool.
func (p *Pool) Workers() int {
	if p == nil || p.workers < 1 {
		return 1
	}
	return p.workers
}

// Close stops the helper goroutines and waits until they have returned,
// which they do after the task each may be running. Later runs execute
// serially on their caller. Close is idempotent, and a no-op on a nil Pool;
// it must not be called from inside a task, which would wait for itself.
func (p *Pool) Close() {
	if p == nil || p.s == nil {
		return
	}
	p.s.shutdown()
	p.s.wg.Wait()
}

// shutdown tells the helpers to return once idle and closes the pool to
// new help. It does not wait.
func (s *state) shutdown() {
	s.stop.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.closing.Store(true)
		s.mu.Unlock()
		close(s.quit)
	})
}

// Run calls fn(task) for every task in [0, tasks) and returns when all calls
// have returned. The caller runs tasks itself until none is left unclaimed,
// while idle helpers take others; tasks may run in any order and at the same
// time, so fn must be safe for that. With tasks <= 0, Run does nothing.
//
// If tasks panic, the panics are recovered (on helpers too), every other task
// still runs, and Run returns a [*PanicError] wrapping [ErrPanic] for the
// lowest task index that panicked. fn must not call runtime.Goexit (as
// testing.T.FailNow does): a helper that does is replaced and its task
// reported as a panic, but on the caller it ends the caller.
//
// Run is safe for concurrent use and may be called from inside a task: a
// nested Run never waits for a helper to become free. Once its own tasks are
// all claimed, a caller whose last tasks are still running on helpers runs
// tasks of runs started after its own (those nested in its tasks, say) while
// it waits. Once warmed up (a few calls at the largest concurrency), Run
// allocates nothing; fn itself should be made once, not per call (a method
// value or a capturing closure handed to Run escapes, and is allocated each
// time it is evaluated).
func (p *Pool) Run(tasks int, fn func(task int)) error {
	return p.run(tasks, fn, nil, 0, 0)
}

// run is Run, or For when body is set.
func (p *Pool) run(tasks int, fn func(int), body func(lo, hi int), n, size int) error {
	if tasks <= 0 {
		return nil
	}
	if p == nil || p.s == nil || tasks == 1 {
		return serial(tasks, fn, body, n, size)
	}
	s := p.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return serial(tasks, fn, body, n, size)
	}
	j := s.get()
	j.tasks, j.fn, j.body, j.n, j.size = tasks, fn, body, n, size
	j.next.Store(0)
	s.seq++
	j.seq = s.seq
	s.started.Store(s.seq)
	s.active = append(s.active, j)
	s.mu.Unlock()

	for range min(tasks, p.workers) - 1 {
		select {
		case s.wake <- struct{}{}:
		default: // every helper already has a token
		}
	}
	j.work()
	return s.finish(j)
}

// serial runs the tasks in order on the caller, with the same recovery as a
// pooled run.
func serial(tasks int, fn func(int), body func(lo, hi int), n, size int) error {
	var first *PanicError
	for t := range tasks {
		if e := call(t, fn, body, n, size); e != nil && first == nil {
			first = e
		}
	}
	if first == nil {
		return nil
	}
	return first
}

// call runs task t of a serial run and returns its panic, or nil.
func call(t int, fn func(int), body func(lo, hi int), n, size int) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &PanicError{Task: t, Value: v, Stack: debug.Stack()}
		}
	}()
	if body != nil {
		lo := t * size
		body(lo, min(lo+size, n))
	} else {
		fn(t)
	}
	return nil
}

// get returns a job to fill, from the free list if it can. s.mu is held.
func (s *state) get() *job {
	if k := len(s.free); k > 0 {
		j := s.free[k-1]
		s.free[k-1] = nil
		s.free = s.free[:k-1]
		return j
	}
	return &job{done: make(chan struct{}, 1)}
}

// finish closes j to help, waits for the helpers still on it (helping newer
// runs meanwhile), recycles j and returns its error.
func (s *state) finish(j *job) error {
	s.mu.Lock()
	for i, a := range s.active {
		if a == j {
			last := len(s.active) - 1
			copy(s.active[i:], s.active[i+1:])
			s.active[last] = nil
			s.active = s.active[:last]
			break
		}
	}
	for j.refs > 0 {
		// A helper is still running one of j's tasks. Help with runs
		// started after j, such as those nested in its tasks; when there
		// are none, spin a while for the helpers to finish or for a new
		// run, then sleep until the last helper leaves.
		if h := s.pick(j.seq); h != nil {
			s.mu.Unlock()
			h.work()
			s.mu.Lock()
			s.leave(h)
			continue
		}
		seen := s.seq
		s.mu.Unlock()
		woke := s.spin(seen, &j.helping)
		s.mu.Lock()
		if woke {
			continue
		}
		if j.refs > 0 {
			j.waiting = true
			s.mu.Unlock()
			<-j.done
			s.mu.Lock()
		}
		break
	}
	err := j.err()
	j.fn, j.body, j.perr = nil, nil, nil
	s.free = append(s.free, j)
	s.mu.Unlock()
	return err
}

// pick returns the newest open job started after the given sequence number
// that still has unclaimed tasks, counting the caller as a helper on it, or
// nil. s.mu is held.
func (s *state) pick(after uint64) *job {
	if s.closed {
		return nil
	}
	for i := len(s.active) - 1; i >= 0; i-- {
		j := s.active[i]
		if j.seq <= after {
			break
		}
		if j.next.Load() < int64(j.tasks) {
			j.refs++
			j.helping.Add(1)
			return j
		}
	}
	return nil
}

// leave undoes pick's count, waking j's caller if it waits for the last
// helper. s.mu is held.
func (s *state) leave(j *job) {
	j.refs--
	j.helping.Add(-1)
	if j.refs == 0 && j.waiting {
		j.waiting = false
		j.done <- struct{}{}
	}
}

// helper runs tasks of open jobs until the pool shuts down.
func (s *state) helper() {
	defer s.wg.Done()
	for s.serve() {
	}
}

// serve helps one job, or waits for a token; it returns false when the pool
// has shut down. Should a task end the goroutine with runtime.Goexit, the
// deferred call still releases the job and starts a replacement helper.
func (s *state) serve() bool {
	s.mu.Lock()
	j := s.pick(0)
	seen := s.seq
	s.mu.Unlock()
	if j == nil {
		if s.spin(seen, nil) {
			// A run started while this helper was awake: take back one
			// of the tokens it sent, so that they do not pile up.
			select {
			case <-s.wake:
			default:
			}
			return true
		}
		select {
		case <-s.wake:
			return true
		case <-s.quit:
			return false
		}
	}
	returned := false
	defer func() {
		s.mu.Lock()
		s.leave(j)
		if !returned && !s.closed {
			s.wg.Add(1) // this helper has not called Done yet
			go s.helper()
		}
		s.mu.Unlock()
	}()
	j.work()
	returned = true
	return true
}

// spinFor is how long an idle helper, or a caller waiting for helpers,
// keeps polling before it blocks. Waking a blocked goroutine means waking an
// OS thread, and on a virtual machine whose idle CPU the host has halted
// that takes from tens to hundreds of microseconds, as long as a whole step
// of a parallel loop may take. Runs that follow each other within spinFor,
// such as the steps of one frame, find their helpers awake; an idle pool
// stops spinning after spinFor.
const spinFor = 100 * time.Microsecond

// spin polls, yielding the processor between polls, until a run newer than
// seen starts, or *busy (for a waiting caller) falls to zero, and then
// returns true; or until spinFor has passed or the pool shuts down, and then
// returns false. Idle helpers (busy nil) spin only while fewer than maxSpin
// of them do, so that spinning never takes a processor from real work.
func (s *state) spin(seen uint64, busy *atomic.Int32) bool {
	if busy == nil {
		if s.spinning.Add(1) > s.maxSpin {
			s.spinning.Add(-1)
			return false
		}
		defer s.spinning.Add(-1)
	}
	var deadline time.Time
	for i := 0; ; i++ {
		if s.started.Load() != seen || (busy != nil && busy.Load() == 0) {
			return true
		}
		if s.closing.Load() {
			return false
		}
		if i%16 == 0 {
			now := time.Now()
			if i == 0 {
				deadline = now.Add(spinFor)
			} else if now.After(deadline) {
				return false
			}
		}
		runtime.Gosched()
	}
}

// work claims and runs j's tasks until none is left.
func (j *job) work() {
	for {
		t := j.next.Add(1) - 1
		if t >= int64(j.tasks) {
			return
		}
		j.exec(int(t))
	}
}

// exec runs task t, recording a panic or a runtime.Goexit as its failure.
func (j *job) exec(t int) {
	returned := false
	defer func() {
		if !returned {
			v := recover()
			if v == nil {
				v = errGoexit
			}
			j.fail(&PanicError{Task: t, Value: v, Stack: debug.Stack()})
		}
	}()
	if j.body != nil {
		lo := t * j.size
		j.body(lo, min(lo+j.size, j.n))
	} else {
		j.fn(t)
	}
	returned = true
}

// fail keeps e if its task is the lowest to have failed so far.
func (j *job) fail(e *PanicError) {
	j.pmu.Lock()
	if j.perr == nil || e.Task < j.perr.Task {
		j.perr = e
	}
	j.pmu.Unlock()
}

// err returns the job's failure as an error, or nil.
func (j *job) err() error {
	if j.perr == nil {
		return nil
	}
	return j.perr
}

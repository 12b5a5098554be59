package persist

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/grove-engine/grove/versioning"
)

// Saver saves an engine without stalling its frames: [Saver.Save], called
// at a frame boundary, only copies the engine's state into reused buffers
// ([versioning.Engine.CaptureInto]); a background goroutine encodes and
// writes it to the [Store]. At most K saves are in flight (captured, not
// yet written; [WithInFlight], default 2): past that, Save refuses the new
// save with [ErrBusy] rather than queue it, and the game saves again later.
// The buffers come from a pool of at most K+1 snapshots (K in flight and
// the one the store keeps as the base of the next delta), so memory stays
// bounded.
//
// Results are reported to the [OnSave] callback, on the background
// goroutine, in save order; [Saver.Err] returns the first failure. A panic
// while encoding or writing is recovered and reported as an error wrapping
// [ErrPanic]: the process never dies of a save. Save and Close are safe for
// concurrent use.
type Saver struct {
	st     *Store
	k      int
	onSave func(SaveResult)

	mu       sync.Mutex
	free     []*versioning.Snapshot
	inflight int
	closed   bool
	err      error

	wg    sync.WaitGroup // one per accepted save, done after its result is reported
	queue chan *versioning.Snapshot
	done  chan struct{}
}

// SaveResult is the outcome of one background save: the save's
// description (its frame, kind and files, with their sizes) and its error.
type SaveResult struct {
	SaveInfo
	Err error
}

// SaverOption configures [NewSaver].
type SaverOption func(*Saver) error

// WithInFlight sets K, the most saves in flight at once (default 2).
func WithInFlight(k int) SaverOption {
	return func(s *Saver) error {
		if k < 1 {
			return fmt.Errorf("%w: %d saves in flight", ErrBadOption, k)
		}
		s.k = k
		return nil
	}
}

// OnSave sets a function called with the result of every background save,
// on the saver's goroutine, with no lock held. A panic in it is recovered.
// It may call Save (which then fails with ErrBusy when K saves are in
// flight) but not Close, which would wait for the callback itself.
func OnSave(fn func(SaveResult)) SaverOption {
	return func(s *Saver) error {
		s.onSave = fn
		return nil
	}
}

// NewSaver starts a saver that writes to st. Close it to stop its
// goroutine.
func NewSaver(st *Store, opts ...SaverOption) (*Saver, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: nil store", ErrBadOption)
	}
	s := &Saver{st: st, k: 2}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.queue = make(chan *versioning.Snapshot, s.k)
	s.done = make(chan struct{})
	go s.run()
	return s, nil
}

// Save captures e's state now, at the caller's frame boundary, and saves
// it in the background. It returns an error wrapping [ErrBusy] if K saves
// are in flight, [ErrClosed] after Close, or the capture's error
// ([versioning.ErrCapture]); nothing is saved then. Its cost to the frame
// is the copy of the worlds into reused buffers.
func (s *Saver) Save(e *versioning.Engine) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if n := s.inflight; n >= s.k {
		s.mu.Unlock()
		return fmt.Errorf("%w: %d saves in flight", ErrBusy, n)
	}
	s.inflight++
	s.wg.Add(1)
	var snap *versioning.Snapshot
	if n := len(s.free); n > 0 {
		snap, s.free = s.free[n-1], s.free[:n-1]
	} else {
		snap = &versioning.Snapshot{}
	}
	s.mu.Unlock()
	if err := e.CaptureInto(snap); err != nil {
		s.finish(nil, snap)
		s.wg.Done()
		return err
	}
	s.queue <- snap // never blocks: the queue holds K and at most K are in flight
	return nil
}

// run is the background goroutine.
func (s *Saver) run() {
	defer close(s.done)
	for snap := range s.queue {
		res, release := s.write(snap)
		s.finish(&res, release)
		s.report(res)
		s.wg.Done()
	}
}

// write encodes and writes one snapshot, recovering a panic. It returns
// the snapshot whose buffers can be reused (nil after a panic: they are
// dropped, and the pool allocates afresh).
func (s *Saver) write(snap *versioning.Snapshot) (res SaveResult, release *versioning.Snapshot) {
	res.Frame, res.Now = snap.Frame, snap.Now
	defer func() {
		if r := recover(); r != nil {
			res.Err = fmt.Errorf("%w: %v\n%s", ErrPanic, r, debug.Stack())
			release = nil
		}
	}()
	f, err := fromSnapshot(snap)
	if err != nil {
		res.Err = err
		return res, snap
	}
	info, release, err := s.st.save(f, snap)
	res.SaveInfo, res.Err = info, err
	return res, release
}

// finish ends a save's flight: its buffers go back to the pool and its
// error is recorded.
func (s *Saver) finish(res *SaveResult, release *versioning.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	if release != nil && len(s.free) <= s.k {
		s.free = append(s.free, release)
	}
	if res != nil && res.Err != nil && s.err == nil {
		s.err = res.Err
	}
}

func (s *Saver) report(res SaveResult) {
	if s.onSave == nil {
		return
	}
	defer func() { _ = recover() }()
	s.onSave(res)
}

// Err returns the first error a background save returned, or nil.
func (s *Saver) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close waits for the saves in flight, stops the saver's goroutine and
// returns [Saver.Err]. Save fails with ErrClosed afterwards; Close may be
// called more than once.
func (s *Saver) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already {
		s.wg.Wait()
		close(s.queue)
	}
	<-s.done
	return s.Err()
}

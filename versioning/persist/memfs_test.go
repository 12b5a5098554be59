package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
)

// memFS is an FS in memory that models what survives a crash: a file's
// content is durable up to its last Sync, and the directory's entries as
// of its last SyncDir. Crash throws away everything else, keeping a random
// prefix of each file's unsynced writes (a torn write).
//
// Faults are injected by operation: the n-th operation (counting every
// call) fails with the given fault, and with crash set every later
// operation fails too, as if the process had died there.
type memFS struct {
	mu      sync.Mutex
	cur     map[string]*memFile
	durable map[string]*memFile
	ops     int
	failAt  int // 1-based operation that fails; 0: none
	fault   fault
	crashed bool
}

type fault int

const (
	faultNone fault = iota
	faultShortWrite
	faultSync
	faultFull
	faultCrash // the process dies at this operation
)

func (f fault) String() string {
	return [...]string{"none", "short write", "failed fsync", "disk full", "crash"}[f]
}

var errCrashed = errors.New("memfs: process crashed")

type memFile struct {
	data   []byte
	synced []byte
}

func newMemFS() *memFS {
	return &memFS{cur: map[string]*memFile{}, durable: map[string]*memFile{}}
}

// op counts an operation and returns the fault it must fail with.
func (m *memFS) op() fault {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.crashed {
		return faultCrash
	}
	m.ops++
	if m.failAt > 0 && m.ops == m.failAt {
		if m.fault == faultCrash {
			m.crashed = true
		}
		return m.fault
	}
	return faultNone
}

// crash loses what was not durable and lets the process "restart".
func (m *memFS) crash(rng *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur = maps.Clone(m.durable)
	for _, f := range m.cur {
		keep := len(f.synced)
		if extra := len(f.data) - keep; extra > 0 && rng != nil {
			keep += rng.IntN(extra + 1)
		}
		if keep > len(f.data) {
			keep = len(f.synced)
		}
		f.data = append(f.synced[:len(f.synced):len(f.synced)], f.data[len(f.synced):keep]...)
	}
	m.crashed, m.failAt, m.fault, m.ops = false, 0, faultNone, 0
}

func (m *memFS) Create(name string) (WFile, error) {
	if f := m.op(); f == faultCrash {
		return nil, errCrashed
	} else if f != faultNone {
		return nil, fmt.Errorf("memfs: create %s: %v", name, f)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &memFile{}
	m.cur[name] = f
	return &memW{fs: m, f: f}, nil
}

type memW struct {
	fs *memFS
	f  *memFile
}

func (w *memW) Write(p []byte) (int, error) {
	switch w.fs.op() {
	case faultCrash:
		n := len(p) / 2
		w.append(p[:n])
		return n, errCrashed
	case faultShortWrite:
		n := len(p) / 3
		w.append(p[:n])
		return n, nil
	case faultFull:
		n := len(p) / 2
		w.append(p[:n])
		return n, syscall.ENOSPC
	}
	w.append(p)
	return len(p), nil
}

func (w *memW) append(p []byte) {
	w.fs.mu.Lock()
	defer w.fs.mu.Unlock()
	w.f.data = append(w.f.data, p...)
}

func (w *memW) Sync() error {
	switch w.fs.op() {
	case faultNone:
	case faultCrash:
		return errCrashed
	default:
		return errors.New("memfs: fsync failed")
	}
	w.fs.mu.Lock()
	defer w.fs.mu.Unlock()
	w.f.synced = slices.Clone(w.f.data)
	return nil
}

func (w *memW) Close() error {
	if w.fs.op() == faultCrash {
		return errCrashed
	}
	return nil
}

func (m *memFS) Rename(oldname, newname string) error {
	if f := m.op(); f == faultCrash {
		return errCrashed
	} else if f != faultNone {
		return fmt.Errorf("memfs: rename: %v", f)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.cur[oldname]
	if !ok {
		return fs.ErrNotExist
	}
	m.cur[newname] = f
	delete(m.cur, oldname)
	return nil
}

func (m *memFS) Remove(name string) error {
	if f := m.op(); f == faultCrash {
		return errCrashed
	} else if f != faultNone {
		return fmt.Errorf("memfs: remove: %v", f)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cur, name)
	return nil
}

func (m *memFS) ReadFile(name string) ([]byte, error) {
	if m.op() == faultCrash {
		return nil, errCrashed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.cur[name]
	if !ok {
		return nil, fmt.Errorf("memfs: %s: %w", name, fs.ErrNotExist)
	}
	return slices.Clone(f.data), nil
}

func (m *memFS) List() ([]string, error) {
	if m.op() == faultCrash {
		return nil, errCrashed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.cur)), nil
}

func (m *memFS) SyncDir() error {
	switch m.op() {
	case faultNone:
	case faultCrash:
		return errCrashed
	default:
		return errors.New("memfs: directory fsync failed")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.durable = maps.Clone(m.cur)
	return nil
}

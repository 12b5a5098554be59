package journal

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// memFS is an in-memory file system that remembers what was fsynced, so a
// test can see what a crash would keep, and injects faults.
type memFS struct {
	mu    sync.Mutex
	files map[string]*memFile
	// Faults: a write error, a short write, an fsync error, a panic; gate,
	// if set, blocks every write until it receives.
	writeErr  error
	short     bool
	syncErr   error
	panicking bool
	gate      chan struct{}
	// events gets "write" and "sync" after each one (if set; never blocks
	// the writer for long: buffered).
	events chan string
	syncs  int
	writes int
}

type memFile struct {
	data   []byte
	synced int
}

func newMemFS() *memFS {
	return &memFS{files: map[string]*memFile{}, events: make(chan string, 1<<16)}
}

func (m *memFS) event(s string) {
	select {
	case m.events <- s:
	default:
	}
}

// until waits until cond holds, checking it after every write and fsync
// (with a generous timeout, so a bug fails rather than hangs).
func (m *memFS) until(cond func() bool) bool {
	timeout := time.After(10 * time.Second)
	for {
		if cond() {
			return true
		}
		select {
		case <-m.events:
		case <-timeout:
			return false
		}
	}
}

// written and synced are the bytes written and fsynced to a file.
func (m *memFS) written(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.files[name]; f != nil {
		return len(f.data)
	}
	return 0
}

func (m *memFS) synced(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.files[name]; f != nil {
		return f.synced
	}
	return 0
}

// crash returns the file system a crash would leave: every file cut to
// what was fsynced.
func (m *memFS) crash() *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := newMemFS()
	for n, f := range m.files {
		c.files[n] = &memFile{data: slices.Clone(f.data[:f.synced]), synced: f.synced}
	}
	return c
}

func (m *memFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = &memFile{}
	return &memHandle{fs: m, name: name}, nil
}

func (m *memFS) Append(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files[name] == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memHandle{fs: m, name: name}, nil
}

func (m *memFS) Open(name string) (ReadFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[name]
	if f == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memReader{Reader: bytes.NewReader(slices.Clone(f.data)), name: name, size: int64(len(f.data))}, nil
}

func (m *memFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[dir]; ok {
		return nil, errors.New("not a directory")
	}
	var out []string
	for n := range m.files {
		if path.Dir(n) == path.Clean(dir) {
			out = append(out, path.Base(n))
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *memFS) MkdirAll(string) error { return nil }

func (m *memFS) Rename(from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[from]
	if f == nil {
		return &fs.PathError{Op: "rename", Path: from, Err: fs.ErrNotExist}
	}
	delete(m.files, from)
	m.files[to] = f
	return nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

func (m *memFS) Truncate(name string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[name]
	if f == nil || size > int64(len(f.data)) {
		return errors.New("bad truncate")
	}
	f.data = f.data[:size]
	f.synced = min(f.synced, int(size))
	return nil
}

func (m *memFS) SyncDir(string) error { return nil }

// bytes returns a file's content.
func (m *memFS) bytes(name string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.files[name].data)
}

func (m *memFS) set(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = &memFile{data: slices.Clone(data), synced: len(data)}
}

// names lists the files whose base name starts with prefix.
func (m *memFS) names(prefix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.files {
		if strings.HasPrefix(path.Base(n), prefix) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

type memHandle struct {
	fs   *memFS
	name string
}

func (h *memHandle) Write(p []byte) (int, error) {
	m := h.fs
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.panicking {
		panic("disk on fire")
	}
	if m.writeErr != nil {
		return 0, m.writeErr
	}
	n := len(p)
	if m.short && n > 1 {
		n /= 2
	}
	f := m.files[h.name]
	f.data = append(f.data, p[:n]...)
	m.writes++
	m.event("write")
	return n, nil
}

func (h *memHandle) Sync() error {
	m := h.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncErr != nil {
		return m.syncErr
	}
	f := m.files[h.name]
	f.synced = len(f.data)
	m.syncs++
	m.event("sync")
	return nil
}

func (h *memHandle) Close() error { return nil }

type memReader struct {
	*bytes.Reader
	name string
	size int64
}

func (r *memReader) Close() error { return nil }

func (r *memReader) Stat() (fs.FileInfo, error) { return memInfo{r.name, r.size}, nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return path.Base(i.name) }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() os.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

var _ io.ReaderAt = (*memReader)(nil)

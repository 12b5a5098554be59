package persist

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the directory a [Store] keeps its saves in. The operations are
// the ones a crash-safe write needs; [DirFS] implements them over a
// directory of the operating system, and tests implement them to inject
// faults (short writes, failed fsyncs, a full disk, a crash between two
// steps). Names are plain file names, without separators.
type FS interface {
	// Create creates or truncates a file for writing.
	Create(name string) (WFile, error)
	// Rename replaces newname with oldname atomically.
	Rename(oldname, newname string) error
	// Remove deletes a file; a missing file is not an error.
	Remove(name string) error
	// ReadFile returns a file's content; for a missing file the error
	// wraps fs.ErrNotExist.
	ReadFile(name string) ([]byte, error)
	// List returns the names of the files in the directory.
	List() ([]string, error)
	// SyncDir makes the directory's entries (creations, renames,
	// removals) durable.
	SyncDir() error
}

// WFile is a file open for writing.
type WFile interface {
	io.Writer
	// Sync makes what was written durable (fsync).
	Sync() error
	Close() error
}

// DirFS returns the FS of a directory of the operating system, creating it
// if needed.
func DirFS(dir string) (FS, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return osFS(dir), nil
}

type osFS string

func (d osFS) path(name string) string { return filepath.Join(string(d), name) }

func (d osFS) Create(name string) (WFile, error) {
	return os.OpenFile(d.path(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (d osFS) Rename(oldname, newname string) error {
	return os.Rename(d.path(oldname), d.path(newname))
}

func (d osFS) Remove(name string) error {
	err := os.Remove(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d osFS) List() ([]string, error) {
	ents, err := os.ReadDir(string(d))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (d osFS) SyncDir() error {
	f, err := os.Open(string(d))
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

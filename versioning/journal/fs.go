package journal

import (
	"io"
	"io/fs"
	"os"
)

// FS is the file system a journal lives on. The default is the operating
// system's; tests inject faults through it (a short write, a failed fsync,
// a full disk).
type FS interface {
	// Create creates or truncates a file for writing.
	Create(name string) (File, error)
	// Append opens an existing file for writing at its end.
	Append(name string) (File, error)
	// Open opens a file for reading.
	Open(name string) (ReadFile, error)
	// ReadDir lists the names of the files in a directory.
	ReadDir(dir string) ([]string, error)
	MkdirAll(dir string) error
	Rename(from, to string) error
	Remove(name string) error
	Truncate(name string, size int64) error
	// SyncDir makes a directory's entries (a rename, a new file) durable.
	SyncDir(dir string) error
}

// File is a journal segment open for appending.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// ReadFile is a journal segment open for reading.
type ReadFile interface {
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
}

// OSFS is the operating system's file system.
type OSFS struct{}

var _ FS = OSFS{}

func (OSFS) Create(name string) (File, error) { return os.Create(name) }

func (OSFS) Append(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
}

func (OSFS) Open(name string) (ReadFile, error) { return os.Open(name) }

func (OSFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
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

func (OSFS) MkdirAll(dir string) error              { return os.MkdirAll(dir, 0o755) }
func (OSFS) Rename(from, to string) error           { return os.Rename(from, to) }
func (OSFS) Remove(name string) error               { return os.Remove(name) }
func (OSFS) Truncate(name string, size int64) error { return os.Truncate(name, size) }

func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

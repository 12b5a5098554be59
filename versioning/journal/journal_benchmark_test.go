package journal

import (
	"io"
	"testing"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// discardFS is a file system whose files forget what is written to them.
type discardFS struct{ *memFS }

func (d discardFS) Create(name string) (File, error) {
	_, _ = d.memFS.Create(name)
	return discard{}, nil
}

func (d discardFS) Append(string) (File, error) { return discard{}, nil }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Sync() error                 { return nil }
func (discard) Close() error                { return nil }

// BenchmarkRecord is Record's cost to the engine's call, per op: frames of
// 1,000 entity commands and a tick, into a writer whose disk takes
// everything at once.
func BenchmarkRecord(b *testing.B) {
	w, err := Create("/j", WithFS(discardFS{newMemFS()}), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	payload := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := uint64(i / 1000)
		if i%1000 == 999 {
			w.Record(versioning.Op{Kind: versioning.OpTick, Frame: f, Dt: dt})
			continue
		}
		w.Record(versioning.Op{Kind: versioning.OpCommand, Frame: f, Module: "GameLogic", Keys: []ecs.Key{ecs.Key(i)}, Name: "push", Value: payload})
	}
}

// BenchmarkRead is the reader's cost per record, decoding the same
// stream.
func BenchmarkRead(b *testing.B) {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), quiet())
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	const n = 100000
	for i := range n {
		f := uint64(i / 1000)
		if i%1000 == 999 {
			w.Record(versioning.Op{Kind: versioning.OpTick, Frame: f, Dt: dt})
			continue
		}
		w.Record(versioning.Op{Kind: versioning.OpCommand, Frame: f, Module: "GameLogic", Keys: []ecs.Key{ecs.Key(i)}, Name: "push", Value: payload})
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	read := 0
	for read < b.N {
		r, err := Open("/j", WithFS(m))
		if err != nil {
			b.Fatal(err)
		}
		for ; read < b.N; read++ {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		_ = r.Close()
	}
}

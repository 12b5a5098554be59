package journal

import (
	"io"
	"testing"

	"github.com/grove-engine/grove/versioning"
)

// seedSegment is a small real segment, for the fuzzers' corpus.
func seedSegment(t testing.TB) []byte {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), WithConfigs(testConfigs), quiet())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []versioning.OpKind{versioning.OpSpawn, versioning.OpConfigure, versioning.OpFailure, versioning.OpSetSplit} {
		w.Record(func() versioning.Op { op := fullOp(k); op.Frame = 0; return op }())
	}
	w.Record(tick(0))
	if err := w.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return m.bytes("/j/journal.0")
}

// FuzzReader reads arbitrary bytes as the last segment of a journal, both
// tolerant and strict: errors, never a panic or an allocation the input
// cannot justify.
func FuzzReader(f *testing.F) {
	f.Add(seedSegment(f))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			m := newMemFS()
			m.set("/j/journal.0", data)
			r, err := Open("/j", WithFS(m), WithConfigs(testConfigs), Strict(strict), quiet())
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := r.Next(); err != nil {
					if err == io.EOF && strict && r.Torn() != nil {
						t.Fatal("strict reader ended at a torn tail without an error")
					}
					break
				}
			}
			_ = r.Close()
		}
		// A writer opening it truncates a torn tail or refuses.
		m := newMemFS()
		m.set("/j/journal.0", data)
		if w, err := Create("/j", WithFS(m), quiet()); err == nil {
			_ = w.Close()
		}
	})
}

// FuzzDecodeBlock decodes an arbitrary block body.
func FuzzDecodeBlock(f *testing.F) {
	for _, k := range []versioning.OpKind{versioning.OpSpawn, versioning.OpTick, versioning.OpConfigure} {
		op := fullOp(k)
		cfg, _ := testConfigs.Encode(op.Config)
		f.Add(appendOp(nil, &op, &cfg, nil), uint8(1))
	}
	f.Add(appendCheckpoint(nil, &Checkpoint{Known: true, Modules: []ModuleVersions{{"m", []int{1}}}}), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, count uint8) {
		_, _ = decodeBlock(block{count: int(count), n: len(body), body: body}, "f", testConfigs)
	})
}

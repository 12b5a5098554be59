package persist

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateFS is a memFS whose file creations wait for a gate, so that a test
// holds saves in flight; panicOn makes the next Create panic.
type gateFS struct {
	*memFS
	gate    chan struct{}
	mu      sync.Mutex
	panicOn bool
}

func (g *gateFS) Create(name string) (WFile, error) {
	<-g.gate
	g.mu.Lock()
	p := g.panicOn
	g.panicOn = false
	g.mu.Unlock()
	if p {
		panic("disk on fire")
	}
	return g.memFS.Create(name)
}

func TestSaverIsBoundedAndSavesTheCapturedState(t *testing.T) {
	rng := newRand(t, 30)
	e, cfg := randomEngine(t, rng)
	gfs := &gateFS{memFS: newMemFS(), gate: make(chan struct{})}
	st, err := NewStore("", WithFS(gfs), WithFullEvery(2))
	require.NoError(t, err)
	var mu sync.Mutex
	var results []SaveResult
	sv, err := NewSaver(st, WithInFlight(2), OnSave(func(r SaveResult) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r)
	}))
	require.NoError(t, err)

	// Two saves in flight; the third is refused, not queued.
	var want [][]byte
	for range 2 {
		require.NoError(t, sv.Save(e))
		want = append(want, encode(t, e))
		require.NoError(t, e.Tick(frame)) // the game keeps ticking
	}
	err = sv.Save(e)
	require.ErrorIs(t, err, ErrBusy)

	close(gfs.gate) // let the writes through
	require.NoError(t, sv.Close())
	require.ErrorIs(t, sv.Save(e), ErrClosed)
	require.NoError(t, sv.Close(), "Close twice")

	mu.Lock()
	require.Len(t, results, 2)
	for i, r := range results {
		require.NoError(t, r.Err)
		got, err := st.Load(r.Frame)
		require.NoError(t, err)
		sameEncoding(t, want[i], fileBytes(t, got), "save %d holds the state at its Save call", i)
	}
	assert.Equal(t, KindFull, results[0].Kind)
	assert.Equal(t, KindDelta, results[1].Kind)
	mu.Unlock()
	b := restored(t, cfg, mustLatest(t, st))
	sameEncoding(t, want[1], encode(t, b))

	// The saver's goroutine is gone.
	select {
	case <-sv.done:
	default:
		t.Fatal("the saver's goroutine still runs after Close")
	}
	for i := 0; i < 1000 && saverGoroutines() > 0; i++ {
		runtime.Gosched()
	}
	assert.Zero(t, saverGoroutines(), "goroutines still running the saver's code")
}

// saverGoroutines counts the goroutines running the Saver's methods. It
// looks at the stacks rather than at runtime.NumGoroutine, which other
// goroutines (an engine's pool, the test runner) move up and down.
func saverGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("persist.(*Saver)")) && !bytes.Contains(g, []byte("saverGoroutines")) {
			n++
		}
	}
	return n
}

func mustLatest(t *testing.T, st *Store) *File {
	t.Helper()
	f, err := st.Latest()
	require.NoError(t, err)
	return f
}

func TestSaverRecoversPanicsAndReportsErrors(t *testing.T) {
	rng := newRand(t, 31)
	e, _ := randomEngine(t, rng)
	gate := make(chan struct{})
	close(gate)
	gfs := &gateFS{memFS: newMemFS(), gate: gate}
	st, err := NewStore("", WithFS(gfs))
	require.NoError(t, err)
	results := make(chan SaveResult, 10)
	sv, err := NewSaver(st, WithInFlight(1), OnSave(func(r SaveResult) {
		results <- r
		panic("a callback that panics is recovered too")
	}))
	require.NoError(t, err)

	gfs.mu.Lock()
	gfs.panicOn = true
	gfs.mu.Unlock()
	require.NoError(t, sv.Save(e))
	r := <-results
	require.ErrorIs(t, r.Err, ErrPanic)
	assert.ErrorIs(t, sv.Err(), ErrPanic)

	// A write error (disk full) is reported; later saves work.
	gfs.memFS.failAt, gfs.memFS.fault, gfs.memFS.ops = 2, faultFull, 0
	require.NoError(t, sv.Save(e))
	r = <-results
	require.Error(t, r.Err)
	require.NoError(t, e.Tick(frame))
	require.NoError(t, sv.Save(e))
	r = <-results
	require.NoError(t, r.Err)
	assert.Equal(t, e.Frame(), r.Frame)
	err = sv.Close()
	assert.ErrorIs(t, err, ErrPanic, "Close returns the first error")
	got, err := st.Latest()
	require.NoError(t, err)
	sameEncoding(t, encode(t, e), fileBytes(t, got))
}

// TestSaverManySaves runs many saves through a saver with deltas, under the
// race detector, checking the pool stays bounded.
func TestSaverManySaves(t *testing.T) {
	rng := newRand(t, 32)
	e, _ := randomEngine(t, rng)
	st, err := NewStore("", WithFS(newMemFS()), WithFullEvery(4))
	require.NoError(t, err)
	sv, err := NewSaver(st, WithInFlight(3))
	require.NoError(t, err)
	saved, busy := 0, 0
	for range 60 {
		switch err := sv.Save(e); {
		case err == nil:
			saved++
		case errors.Is(err, ErrBusy):
			busy++
		default:
			require.NoError(t, err)
		}
		require.NoError(t, e.Tick(frame))
		sv.mu.Lock()
		assert.LessOrEqual(t, len(sv.free), 4)
		sv.mu.Unlock()
	}
	require.NoError(t, sv.Close())
	t.Logf("%d saved, %d refused as busy", saved, busy)
	saves, err := st.Saves()
	require.NoError(t, err)
	assert.Len(t, saves, saved)
	last := saves[len(saves)-1]
	got, err := st.Load(last.Frame)
	require.NoError(t, err)
	assert.Equal(t, last.Frame, got.Frame)
	var b bytes.Buffer
	require.NoError(t, got.WriteBinary(&b))
}

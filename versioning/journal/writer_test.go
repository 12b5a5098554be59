package journal

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// withTickers drives the SyncEvery policy's tickers from the test: write
// for its 100 ms write ticker, sync for its fsync ticker.
func withTickers(write, sync chan time.Time) Option {
	return func(o *options) error {
		o.ticker = func(d time.Duration) (<-chan time.Time, func()) {
			if d == writeEvery {
				return write, func() {}
			}
			return sync, func() {}
		}
		return nil
	}
}

func quiet() Option { return WithLogger(nil) }

// seg0 is the first segment of the test journals in /j.
const seg0 = "/j/journal.0"

func cmd(frame uint64, n byte) versioning.Op {
	return versioning.Op{Kind: versioning.OpCommand, Frame: frame, Module: "m", Keys: []ecs.Key{ecs.NewKey(1, 1)}, Name: "push", Value: []byte{n}}
}

func tick(frame uint64) versioning.Op {
	return versioning.Op{Kind: versioning.OpTick, Frame: frame, Dt: dt}
}

// ops reads every op of the journal in fsys's /j.
func ops(t testing.TB, fsys FS, opts ...Option) []versioning.Op {
	t.Helper()
	r, err := Open("/j", append([]Option{WithFS(fsys), quiet()}, opts...)...)
	require.NoError(t, err)
	defer r.Close()
	var out []versioning.Op
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		if rec.Checkpoint == nil {
			out = append(out, rec.Op)
		}
	}
}

// TestSyncPolicies checks, for each policy, what a crash keeps: the file
// system's image cut to what was fsynced.
func TestSyncPolicies(t *testing.T) {
	t.Run("always", func(t *testing.T) {
		m := newMemFS()
		w, err := Create("/j", WithFS(m), WithSync(SyncAlways), quiet())
		require.NoError(t, err)
		w.Record(cmd(0, 1))
		require.True(t, m.until(func() bool { return m.synced(seg0) > headerSize }), "an op is fsynced without waiting for a frame")
		assert.Len(t, ops(t, m.crash()), 1)
		require.NoError(t, w.Close())
	})
	t.Run("frame", func(t *testing.T) {
		m := newMemFS()
		w, err := Create("/j", WithFS(m), WithSync(SyncEveryFrame), quiet())
		require.NoError(t, err)
		w.Record(cmd(0, 1))
		w.Record(tick(0))
		require.True(t, m.until(func() bool { return m.synced(seg0) > headerSize }))
		assert.Len(t, ops(t, m.crash()), 2, "the frame is durable once its tick is recorded")
		w.Record(cmd(1, 2))
		assert.Len(t, ops(t, m.crash()), 2, "the frame in progress is not")
		require.NoError(t, w.Sync())
		assert.Len(t, ops(t, m.crash()), 3, "until Sync")
		require.NoError(t, w.Close())
	})
	t.Run("interval", func(t *testing.T) {
		m := newMemFS()
		write, sync := make(chan time.Time), make(chan time.Time)
		w, err := Create("/j", WithFS(m), WithSync(SyncEvery(time.Second)), withTickers(write, sync), quiet())
		require.NoError(t, err)
		w.Record(cmd(0, 1))
		w.Record(tick(0))
		assert.Empty(t, ops(t, m), "nothing is written before the write ticker")
		write <- time.Time{}
		require.True(t, m.until(func() bool { return m.written(seg0) > headerSize }), "written at the write ticker")
		assert.Len(t, ops(t, m), 2, "a process crash keeps what was written")
		assert.Empty(t, ops(t, m.crash()), "a machine crash loses what was not fsynced")
		sync <- time.Time{}
		require.True(t, m.until(func() bool { return m.synced(seg0) > headerSize }))
		assert.Len(t, ops(t, m.crash()), 2, "fsynced at the interval")
		require.NoError(t, w.Close())
	})
	t.Run("close", func(t *testing.T) {
		m := newMemFS()
		w, err := Create("/j", WithFS(m), WithSync(SyncEvery(time.Hour)), quiet())
		require.NoError(t, err)
		w.Record(cmd(0, 1))
		require.NoError(t, w.Close())
		assert.Len(t, ops(t, m.crash()), 1, "Close fsyncs")
		assert.ErrorIs(t, w.Close(), ErrClosed)
		w.Record(cmd(0, 2))
		assert.Equal(t, uint64(1), w.Stats().Dropped)
	})
}

func TestParseSyncPolicy(t *testing.T) {
	for s, want := range map[string]SyncPolicy{"always": SyncAlways, "frame": SyncEveryFrame, "250ms": SyncEvery(250 * time.Millisecond)} {
		p, err := ParseSyncPolicy(s)
		require.NoError(t, err)
		assert.Equal(t, want, p)
		assert.Equal(t, s, p.String())
	}
	for _, s := range []string{"", "never", "-1s", "0s"} {
		_, err := ParseSyncPolicy(s)
		assert.Error(t, err, s)
	}
}

// TestWriterFaults injects a failing disk: the writer fails for good,
// reports it once, and drops what follows, without blocking the engine.
func TestWriterFaults(t *testing.T) {
	enospc := &osPathError{syscall.ENOSPC}
	for name, c := range map[string]struct {
		set  func(*memFS)
		want func(t *testing.T, err error)
	}{
		"fsync":       {func(m *memFS) { m.syncErr = syscall.EIO }, func(t *testing.T, err error) { assert.ErrorIs(t, err, syscall.EIO) }},
		"disk full":   {func(m *memFS) { m.writeErr = enospc }, func(t *testing.T, err error) { assert.ErrorIs(t, err, syscall.ENOSPC) }},
		"short":       {func(m *memFS) { m.short = true }, func(t *testing.T, err error) { assert.ErrorIs(t, err, io.ErrShortWrite) }},
		"write panic": {func(m *memFS) { m.panicking = true }, func(t *testing.T, err error) { assert.ErrorContains(t, err, "panicked") }},
	} {
		t.Run(name, func(t *testing.T) {
			m := newMemFS()
			w, err := Create("/j", WithFS(m), WithSync(SyncEveryFrame), quiet())
			require.NoError(t, err)
			w.Record(tick(0)) // creates the segment
			require.NoError(t, w.Sync())
			failed := make(chan error, 2)
			w.o.onError = func(err error) { failed <- err }
			c.set(m)
			w.Record(cmd(1, 1))
			w.Record(tick(1))
			err = <-failed
			c.want(t, err)
			assert.Equal(t, err, w.Err())
			w.Record(tick(2))
			assert.Equal(t, uint64(1), w.Stats().Dropped)
			assert.ErrorIs(t, w.Sync(), err)
			c.want(t, w.Close())
			assert.Empty(t, failed, "reported once")
		})
	}
}

type osPathError struct{ errno syscall.Errno }

func (e *osPathError) Error() string { return "write /j: " + e.errno.Error() }
func (e *osPathError) Unwrap() error { return e.errno }

// TestBackpressure blocks the disk: once the buffer bound is reached,
// Record waits; it resumes when the disk does, and nothing is lost.
func TestBackpressure(t *testing.T) {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), WithMaxBuffer(4096), quiet())
	require.NoError(t, err)
	m.gate = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range uint64(200) {
			w.Record(cmd(f, 1))
			w.Record(tick(f))
		}
	}()
	for w.Stats().Stalls == 0 {
		runtime.Gosched()
	}
	assert.Less(t, w.Stats().Queued, int64(4096+256), "bounded: one op past the bound at most")
	close(m.gate)
	<-done
	require.NoError(t, w.Close())
	st := w.Stats()
	assert.Positive(t, st.Stalled)
	assert.Zero(t, st.Dropped)
	assert.Len(t, ops(t, m), 400)
}

func TestRewind(t *testing.T) {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), quiet())
	require.NoError(t, err)
	w.Record(tick(5))
	assert.ErrorIs(t, w.Checkpoint(4), ErrRewind)
	w.Record(cmd(3, 1))
	assert.ErrorIs(t, w.Err(), ErrRewind)
	assert.ErrorIs(t, w.Close(), ErrRewind)
}

// TestCheckpointRotates checks that checkpoints start segments named for
// their frame, and that a reader can start at the one holding a frame.
func TestCheckpointRotates(t *testing.T) {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), quiet())
	require.NoError(t, err)
	for f := range uint64(30) {
		if f%10 == 0 {
			require.NoError(t, w.Checkpoint(f))
		}
		w.Record(cmd(f, byte(f)))
		w.Record(tick(f))
	}
	require.NoError(t, w.Checkpoint(30))
	require.NoError(t, w.Checkpoint(30))
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"/j/journal.0", "/j/journal.10", "/j/journal.20", "/j/journal.30"}, m.names("journal."))
	assert.Equal(t, 4, w.Stats().Segments)
	r, err := Open("/j", WithFS(m))
	require.NoError(t, err)
	r.SkipTo(25)
	rec, err := r.Next()
	require.NoError(t, err)
	require.NotNil(t, rec.Checkpoint)
	assert.Equal(t, uint64(20), rec.Checkpoint.Frame)
	assert.Equal(t, "/j/journal.20", rec.File)
	assert.Len(t, ops(t, m), 60)
}

// TestAppendAfterReopen checks that a writer continues a journal.
func TestAppendAfterReopen(t *testing.T) {
	m := newMemFS()
	for round := range 3 {
		w, err := Create("/j", WithFS(m), quiet())
		require.NoError(t, err)
		for f := uint64(round * 10); f < uint64(round*10+10); f++ {
			w.Record(tick(f))
		}
		require.NoError(t, w.Close())
	}
	got := ops(t, m, Strict(true))
	require.Len(t, got, 30)
	for i, op := range got {
		assert.Equal(t, uint64(i), op.Frame)
	}
}

// logTo returns a logger writing text to b.
func logTo(b *bytes.Buffer) Option {
	return WithLogger(slog.New(slog.NewTextHandler(b, nil)))
}

var _ = errors.New

package journal

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
)

var faults = []string{"panic", "nan", "lag"}

// record runs the script with a journal in a fresh directory.
func record(t testing.TB, kind string, opts ...Option) (string, *run) {
	t.Helper()
	dir := t.TempDir()
	w, err := Create(dir, append([]Option{WithConfigs(testConfigs)}, opts...)...)
	require.NoError(t, err)
	r := newGame().live(t, kind, w, func(_ *versioning.Engine, s *versioning.Snapshot) error { return w.Checkpoint(s.Frame) })
	require.NoError(t, w.Close())
	return dir, r
}

func replay(t testing.TB, dir string, snap *versioning.Snapshot, until uint64, opts ...Option) (*versioning.Engine, ReplayStats, error) {
	t.Helper()
	j, err := Open(dir, WithConfigs(testConfigs))
	require.NoError(t, err)
	defer j.Close()
	var st ReplayStats
	e, err := Replay(snap, j, until, newGame().factory(), append([]Option{WithConfigs(testConfigs), ReplayInto(&st)}, opts...)...)
	return e, st, err
}

func capture(t testing.TB, e *versioning.Engine) *versioning.Snapshot {
	t.Helper()
	s, err := e.Capture()
	require.NoError(t, err)
	return s
}

// TestReplayIsBitIdentical replays the whole run, for every fault kind,
// from every snapshot, and compares the final state with the live one.
func TestReplayIsBitIdentical(t *testing.T) {
	for _, kind := range faults {
		t.Run(kind, func(t *testing.T) {
			dir, r := record(t, kind)
			frames := slices.Sorted(func(yield func(uint64) bool) {
				for f := range r.snaps {
					if !yield(f) {
						return
					}
				}
			})
			require.Len(t, frames, 8)
			for _, f := range frames {
				e, st, err := replay(t, dir, r.snaps[f], End)
				require.NoError(t, err, "from frame %d", f)
				equalSnapshots(t, r.final, capture(t, e))
				assert.Equal(t, 420-int(f), st.Frames)
				assert.Equal(t, f, st.From)
				assert.Equal(t, uint64(420), st.To)
				if f == 0 {
					assert.Positive(t, st.Checksums)
					assert.GreaterOrEqual(t, st.Failures, 2, "the armed fault and the injected failure")
					if kind == "lag" {
						assert.Equal(t, 1, st.Reinjected, "the frame-budget failure is re-injected")
					} else {
						assert.Zero(t, st.Reinjected)
					}
				}
			}
		})
	}
}

// TestReplayUntil replays to random frames and compares with the live state
// right after that frame's Tick.
func TestReplayUntil(t *testing.T) {
	dir, r := record(t, "panic")
	rng := rand.New(rand.NewPCG(3, 5))
	for range 8 {
		until := uint64(rng.IntN(420) + 1)
		from := until - until%60
		e, st, err := replay(t, dir, r.snaps[from], until)
		require.NoError(t, err)
		equalSnapshots(t, r.states[until], capture(t, e))
		assert.Equal(t, int(until-from), st.Frames)
	}
	_, _, err := replay(t, dir, r.snaps[60], 30)
	assert.ErrorIs(t, err, ErrIncomplete, "before the snapshot")
	_, _, err = replay(t, dir, r.snaps[60], 10_000)
	assert.ErrorIs(t, err, ErrIncomplete, "past the journal's end")
	e, _, err := replay(t, dir, r.snaps[60], 60)
	require.NoError(t, err)
	equalSnapshots(t, r.snaps[60], capture(t, e))
}

// TestReplayForwards checks that a replayed engine hands its ops to the
// writer that continues the journal, which a second replay then reads.
func TestReplayForwards(t *testing.T) {
	dir, r := record(t, "nan")
	w, err := Create(dir, WithConfigs(testConfigs))
	require.NoError(t, err)
	e, _, err := replay(t, dir, r.snaps[360], End, Forward(w))
	require.NoError(t, err)
	for range 30 {
		require.NoError(t, e.Tick(dt))
	}
	require.NoError(t, w.Close())
	want := capture(t, e)
	e2, st, err := replay(t, dir, r.snaps[0], End)
	require.NoError(t, err)
	assert.Equal(t, 450, st.Frames)
	equalSnapshots(t, want, capture(t, e2))
}

// TestReplayNeedsTheGamesEngine checks the factory's mistakes.
func TestReplayNeedsTheGamesEngine(t *testing.T) {
	dir, r := record(t, "panic")
	j, err := Open(dir)
	require.NoError(t, err)
	defer j.Close()
	g := newGame()
	ignoring := func(...versioning.Option) (*versioning.Engine, error) { return g.build(&fault{}) }
	_, err = Replay(r.snaps[0], j, End, ignoring)
	assert.ErrorIs(t, err, ErrEngine, "a factory that drops the replay's options")
	failing := func(...versioning.Option) (*versioning.Engine, error) { return nil, errors.New("no") }
	_, err = Replay(r.snaps[0], j, End, failing)
	assert.ErrorIs(t, err, ErrEngine)
	panicking := func(...versioning.Option) (*versioning.Engine, error) { panic("no") }
	_, err = Replay(r.snaps[0], j, End, panicking)
	assert.ErrorIs(t, err, ErrEngine)
	// Without the config codec, the armed fault cannot be rebuilt.
	j2, err := Open(dir)
	require.NoError(t, err)
	defer j2.Close()
	_, err = Replay(r.snaps[0], j2, End, g.factory())
	var de *DivergenceError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrConfig)
	assert.Equal(t, uint64(90), de.Frame)
	assert.Equal(t, versioning.OpConfigure, de.Op)
}

// TestReplayOfARunThatDoesNotDivide: an OpCommand whose payloads cannot be
// shared out between its keys is a corrupt record, and the replay stops
// there without a panic.
func TestReplayOfARunThatDoesNotDivide(t *testing.T) {
	g := newGame()
	m := newMemFS()
	w, err := Create("/j", WithFS(m), quiet())
	require.NoError(t, err)
	e, err := g.build(&fault{}, versioning.WithRecorder(w))
	require.NoError(t, err)
	require.NoError(t, e.Load(mod, 1))
	rows := ecs.MakeColumns(v1.Layout, 2)
	keys, err := e.Spawn(mod, 1, &rows)
	require.NoError(t, err)
	snap, err := e.Capture()
	require.NoError(t, err)
	require.NoError(t, w.Checkpoint(snap.Frame))
	w.Record(versioning.Op{Kind: versioning.OpCommand, Frame: snap.Frame, Module: mod, Keys: keys, Name: "push", Value: make([]byte, 17)})
	require.NoError(t, w.Close())
	j, err := Open("/j", WithFS(m))
	require.NoError(t, err)
	defer j.Close()
	_, err = Replay(snap, j, End, g.factory(), quiet())
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "2 keys with 17 bytes")
}

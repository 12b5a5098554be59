package journal

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/persist"
)

// recordSaves runs the script with a journal and a persist.Saver in the
// same fresh directory, saving at every checkpoint.
func recordSaves(t testing.TB, kind string) (string, *run) {
	t.Helper()
	dir := t.TempDir()
	st, err := persist.NewStore(dir)
	require.NoError(t, err)
	saver, err := persist.NewSaver(st, persist.WithInFlight(16))
	require.NoError(t, err)
	w, err := Create(dir, WithConfigs(testConfigs))
	require.NoError(t, err)
	r := newGame().live(t, kind, w, func(e *versioning.Engine, _ *versioning.Snapshot) error { return w.Save(saver, e) })
	require.NoError(t, saver.Close())
	require.NoError(t, w.Close())
	return dir, r
}

// TestLoad loads the state at random frames and compares it with the live
// state right after that frame's Tick.
func TestLoad(t *testing.T) {
	dir, r := recordSaves(t, "lag")
	rng := rand.New(rand.NewPCG(9, 9))
	for range 5 {
		frame := uint64(1 + rng.IntN(420))
		var st ReplayStats
		e, err := Load(dir, frame, newGame().factory(), WithConfigs(testConfigs), ReplayInto(&st))
		require.NoError(t, err, "frame %d", frame)
		equalSnapshots(t, r.states[frame], capture(t, e))
		assert.Equal(t, frame-frame%60, st.From, "from the newest save at or before it")
		assert.Less(t, st.Frames, 60)
	}
	e, err := Load(dir, End, newGame().factory(), WithConfigs(testConfigs))
	require.NoError(t, err)
	equalSnapshots(t, r.final, capture(t, e))

	_, err = Load(t.TempDir(), 10, newGame().factory())
	assert.ErrorIs(t, err, ErrNoSnapshot)
}

// TestLoadSkipsADamagedSave damages the newest save before the frame: Load
// replays from the one before it.
func TestLoadSkipsADamagedSave(t *testing.T) {
	dir, r := recordSaves(t, "panic")
	files, err := filepath.Glob(filepath.Join(dir, "game.240*.grove"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	data[len(data)/2] ^= 1
	require.NoError(t, os.WriteFile(files[0], data, 0o644))
	var st ReplayStats
	e, err := Load(dir, 250, newGame().factory(), WithConfigs(testConfigs), ReplayInto(&st), quiet())
	require.NoError(t, err)
	assert.Equal(t, uint64(180), st.From)
	equalSnapshots(t, r.states[250], capture(t, e))
}

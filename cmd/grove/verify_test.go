package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/demogame"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
	"github.com/grove-engine/grove/versioning/persist"
)

// demoRun plays a short version of the demo's game into a save directory:
// saves every 60 frames, a journal, and v2's fault armed at frame 150.
func demoRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "save")
	st, err := persist.NewStore(dir)
	require.NoError(t, err)
	w, err := journal.Create(dir)
	require.NoError(t, err)
	e, err := demogame.Factory(&demogame.Fault{})(versioning.WithRecorder(w), versioning.WithChecksumEvery(30))
	require.NoError(t, err)
	save := func() {
		s, err := e.Capture()
		require.NoError(t, err)
		_, err = st.Save(s)
		require.NoError(t, err)
		require.NoError(t, w.Checkpoint(s.Frame))
	}
	require.NoError(t, e.Load(demogame.Module, 1))
	c := ecs.MakeColumns(v1.Layout, 60)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range pos {
		pos[i] = scenario.Vec2{X: float32(i * 15), Y: float32(i * 7)}
		vel[i] = scenario.Vec2{X: 3, Y: -float32(i) / 9}
	}
	_, err = e.Spawn(demogame.Module, 1, &c)
	require.NoError(t, err)
	save()
	for f := range 300 {
		switch f {
		case 30:
			require.NoError(t, e.Load(demogame.Module, 2))
			require.NoError(t, e.SetSplit(demogame.Module, map[int]float64{1: 0.5, 2: 0.5}))
		case 150:
			require.NoError(t, e.Configure(demogame.Module, 2, demogame.Arm{Kind: "panic"}))
		case 200:
			require.NoError(t, e.Load(demogame.Module, 3))
			require.NoError(t, e.SetSplit(demogame.Module, map[int]float64{1: 0.5, 3: 0.5}))
		}
		require.NoError(t, e.Tick(time.Second/60))
		if (f+1)%60 == 0 {
			save()
		}
	}
	require.NoError(t, w.Close())
	return dir
}

func TestVerify(t *testing.T) {
	dir := demoRun(t)
	code, out, errs := grove("verify", dir)
	require.Equal(t, exitOK, code, "%s\n%s", out, errs)
	assert.Contains(t, out, "replayed 300 frames from the save at frame 0")
	assert.Contains(t, out, "ok: intact and identical")

	// A bit flipped in the journal: named by file and offset.
	seg := filepath.Join(dir, "journal.120")
	data, err := os.ReadFile(seg)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x20
	require.NoError(t, os.WriteFile(seg, data, 0o644))
	code, _, errs = grove("verify", dir)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errs, "journal.120 at offset")
	assert.Contains(t, errs, "problem(s)")

	code, _, errs = grove("verify")
	assert.Equal(t, exitUsage, code, errs)
	code, _, errs = grove("verify", filepath.Join(t.TempDir(), "none"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errs, "no such file or directory")
	code, _, errs = grove("verify", t.TempDir())
	assert.Equal(t, exitFailure, code, "nothing to verify")
	assert.Contains(t, errs, "no save and no journal")
}

func TestReplay(t *testing.T) {
	dir := demoRun(t)
	out := filepath.Join(t.TempDir(), "at170.grove")
	code, stdout, errs := grove("replay", "-until", "170", dir, out)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, errs)
	assert.Contains(t, stdout, "from the save at frame 120, replayed 50 frames to frame 170")
	f, err := persist.Open(out)
	require.NoError(t, err)
	assert.Equal(t, uint64(170), f.Frame)

	// The same state as the live engine had: replay the same frames again.
	e, err := journal.Load(dir, 170, gameFactory())
	require.NoError(t, err)
	want, err := e.Capture()
	require.NoError(t, err)
	got, err := f.Snapshot(e)
	require.NoError(t, err)
	assert.Nil(t, journal.Compare(want, got))

	code, _, _ = grove("replay", "-until", "end", dir, filepath.Join(t.TempDir(), "end.grove"))
	assert.Equal(t, exitOK, code)
	code, _, _ = grove("replay", "-until", "-3", dir, out)
	assert.Equal(t, exitUsage, code)
	code, _, _ = grove("replay", dir)
	assert.Equal(t, exitUsage, code)
	code, _, errs = grove("replay", "-until", "10", t.TempDir(), out)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errs, "no snapshot")
}

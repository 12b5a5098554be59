package persist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
)

// binaryOfFile encodes a file read back from a store, for comparisons.
func fileBytes(t *testing.T, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, f.WriteBinary(&b))
	return b.Bytes()
}

// TestStoreSavesAndLoadsAtEveryFrame saves an engine every few frames
// (full saves and deltas) and checks that LoadAt returns, for every frame,
// the state of the newest save at or before it, bit for bit.
func TestStoreSavesAndLoadsAtEveryFrame(t *testing.T) {
	rng := newRand(t, 20)
	e, cfg := randomEngine(t, rng)
	dir := t.TempDir()
	st, err := NewStore(dir, WithFullEvery(3))
	require.NoError(t, err)
	want := map[uint64][]byte{}
	var frames []uint64
	for i := range 8 {
		if i == 4 {
			// A structural change: some worlds are then saved whole in a delta.
			_, err := e.Spawn(game, 1, rows(rng, 5))
			require.NoError(t, err)
		}
		s, err := e.Capture()
		require.NoError(t, err)
		fr, err := st.Save(s)
		require.NoError(t, err)
		assert.Equal(t, s.Frame, fr)
		want[fr] = encode(t, e)
		frames = append(frames, fr)
		for range 2 {
			require.NoError(t, e.Tick(frame))
		}
	}
	saves, err := st.Saves()
	require.NoError(t, err)
	require.Len(t, saves, 8)
	var kinds []Kind
	for _, s := range saves {
		require.NoError(t, s.Err)
		kinds = append(kinds, s.Kind)
		assert.Len(t, s.Files, len(cfg.modules))
		for _, f := range s.Files {
			_, err := os.Stat(filepath.Join(dir, f.Name))
			assert.NoError(t, err)
		}
	}
	assert.Equal(t, []Kind{KindFull, KindDelta, KindDelta, KindFull, KindDelta, KindDelta, KindFull, KindDelta}, kinds)
	assert.Less(t, saves[1].Bytes(), saves[0].Bytes(), "a delta is smaller than a full save")

	for _, fr := range frames {
		for _, at := range []uint64{fr, fr + 1} {
			f, err := st.LoadAt(at)
			require.NoError(t, err, "frame %d", at)
			assert.Equal(t, fr, f.Frame)
			sameEncoding(t, want[fr], fileBytes(t, f), "LoadAt(%d)", at)
		}
	}
	_, err = st.LoadAt(frames[0] - 1)
	assert.ErrorIs(t, err, ErrNotFound)
	f, err := st.Latest()
	require.NoError(t, err)
	assert.Equal(t, frames[len(frames)-1], f.Frame)

	// A restored engine from the latest save ticks like the original.
	b := restored(t, cfg, f)
	sameEncoding(t, want[f.Frame], encode(t, b))

	// A new store on the directory reads the same saves and starts full.
	st2, err := NewStore(dir)
	require.NoError(t, err)
	s, err := e.Capture()
	require.NoError(t, err)
	_, err = st2.Save(s)
	require.NoError(t, err)
	saves, err = st2.Saves()
	require.NoError(t, err)
	assert.Equal(t, KindFull, saves[len(saves)-1].Kind)
}

// TestStoreDeltaSizes: a delta after a small change is small.
func TestStoreDeltaIsSmall(t *testing.T) {
	rng := newRand(t, 21)
	e := newEngine(t, config{backupEvery: 1, modules: []string{game}})
	require.NoError(t, e.Load(game, 1))
	_, err := e.Spawn(game, 1, rows(rng, 5000))
	require.NoError(t, err)
	st, err := NewStore("", WithFS(newMemFS()))
	require.NoError(t, err)
	s, err := e.Capture()
	require.NoError(t, err)
	_, err = st.Save(s)
	require.NoError(t, err)
	// Change 1% of the positions by hand, in the snapshot.
	s2, err := e.Capture()
	require.NoError(t, err)
	s2.Frame++
	pos := s2.Modules[0].Versions[0].Columns.Raw(scenario.Position.ID())
	for i := 0; i < 5000; i += 100 {
		pos[i*8] ^= 1
	}
	_, err = st.Save(s2)
	require.NoError(t, err)
	saves, err := st.Saves()
	require.NoError(t, err)
	require.Len(t, saves, 2)
	ratio := float64(saves[1].Bytes()) / float64(saves[0].Bytes())
	t.Logf("full %d bytes, delta %d bytes (%.2f%%)", saves[0].Bytes(), saves[1].Bytes(), 100*ratio)
	assert.Less(t, ratio, 0.05)
	f, err := st.LoadAt(s2.Frame)
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, WriteSnapshot(&want, s2))
	sameEncoding(t, want.Bytes(), fileBytes(t, f))
}

// TestStoreCrashSafety injects every fault at every operation of a save:
// a short write, a failed fsync, a full disk, and a crash (after which
// only what was synced survives, unsynced writes torn at random). The
// failed save never loads; the previous save always does, bit for bit;
// and after a crash and restart the store saves and loads again.
func TestStoreCrashSafety(t *testing.T) {
	rng := newRand(t, 22)
	e, _ := randomEngine(t, rng)
	for _, fl := range []fault{faultShortWrite, faultSync, faultFull, faultCrash} {
		for _, fullEvery := range []int{1, 4} {
			outcomes := map[string]int{}
			for at := 1; ; at++ {
				mfs := newMemFS()
				st, err := NewStore("", WithFS(mfs), WithFullEvery(fullEvery))
				require.NoError(t, err)
				s1, err := e.Capture()
				require.NoError(t, err)
				_, err = st.Save(s1)
				require.NoError(t, err)
				want1 := fileBytesOfSnapshot(t, s1)
				s2, err := e.Capture()
				require.NoError(t, err)
				s2.Frame++ // a later save (a delta when fullEvery > 1)
				want2 := fileBytesOfSnapshot(t, s2)

				mfs.failAt, mfs.fault, mfs.ops = at, fl, 0
				_, saveErr := st.Save(s2)
				hit := mfs.ops >= at
				if fl == faultCrash {
					mfs.crash(rng)
					st, err = NewStore("", WithFS(mfs), WithFullEvery(fullEvery))
					require.NoError(t, err)
				}
				latest, err := st.Latest()
				require.NoError(t, err, "%v at op %d: the store must still load", fl, at)
				got := fileBytes(t, latest)
				switch {
				case saveErr == nil && fl != faultCrash:
					sameEncoding(t, want2, got, "%v at op %d: a successful save loads", fl, at)
					outcomes["saved"]++
				case bytes.Equal(got, want1):
					outcomes["previous"]++
				case bytes.Equal(got, want2):
					outcomes["new"]++
					// The crash came after the manifest was durable.
					require.Equal(t, faultCrash, fl, "at op %d: a failed save loads", at)
				default:
					t.Fatalf("%v at op %d (full every %d): loaded neither save", fl, at, fullEvery)
				}
				if saveErr != nil && fl != faultCrash {
					// The failed save left no temporary file behind.
					names, _ := mfs.List()
					for _, n := range names {
						assert.False(t, strings.HasSuffix(n, ".tmp"), "%v at op %d: %s left behind", fl, at, n)
					}
				}
				// The store keeps working.
				s3, err := e.Capture()
				require.NoError(t, err)
				s3.Frame += 2
				_, err = st.Save(s3)
				require.NoError(t, err, "%v at op %d", fl, at)
				names, _ := mfs.List()
				for _, n := range names {
					assert.False(t, strings.HasSuffix(n, ".tmp"), "%v at op %d: %s survives the next save", fl, at, n)
				}
				latest, err = st.Latest()
				require.NoError(t, err)
				sameEncoding(t, fileBytesOfSnapshot(t, s3), fileBytes(t, latest))
				if !hit {
					break // the fault came after the save's last operation
				}
			}
			t.Logf("%v, full every %d: %v", fl, fullEvery, outcomes)
			assert.Positive(t, outcomes["previous"], "some faults fail the save")
		}
	}
}

func fileBytesOfSnapshot(t *testing.T, s *versioning.Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteSnapshot(&b, s))
	return b.Bytes()
}

// TestStoreDamageIsReported: a damaged file of a committed save is an
// error naming the file, and an older save still loads.
func TestStoreDamageIsReported(t *testing.T) {
	rng := newRand(t, 23)
	e, _ := randomEngine(t, rng)
	dir := t.TempDir()
	st, err := NewStore(dir, WithFullEvery(4))
	require.NoError(t, err)
	var frames []uint64
	for range 3 {
		s, err := e.Capture()
		require.NoError(t, err)
		fr, err := st.Save(s)
		require.NoError(t, err)
		frames = append(frames, fr)
		require.NoError(t, e.Tick(frame))
	}
	saves, err := st.Saves()
	require.NoError(t, err)
	// Flip a byte in the middle delta's file: it and the delta after it
	// (whose base it is) fail; the first save still loads.
	name := saves[1].Files[0].Name
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x40
	require.NoError(t, os.WriteFile(path, data, 0o644))
	for _, fr := range frames[1:] {
		_, err = st.LoadAt(fr)
		require.ErrorIs(t, err, ErrCorrupt)
		assert.Contains(t, err.Error(), name)
		var fe *FormatError
		assert.True(t, errors.As(err, &fe))
	}
	_, err = st.Load(frames[0])
	assert.NoError(t, err)

	// A damaged manifest is listed with its error.
	mpath := filepath.Join(dir, manifestName(frames[0]))
	m, err := os.ReadFile(mpath)
	require.NoError(t, err)
	m[3] ^= 1
	require.NoError(t, os.WriteFile(mpath, m, 0o644))
	saves, err = st.Saves()
	require.NoError(t, err)
	assert.ErrorIs(t, saves[0].Err, ErrCorrupt)
	_, err = st.Load(frames[0])
	assert.ErrorIs(t, err, ErrCorrupt)
}

// TestStoreFrameGoingBack: after a restore to an earlier frame, saves are
// full and replace the saves of the same frames.
func TestStoreFrameGoingBack(t *testing.T) {
	rng := newRand(t, 24)
	e, _ := randomEngine(t, rng)
	st, err := NewStore("", WithFS(newMemFS()), WithFullEvery(8))
	require.NoError(t, err)
	s, err := e.Capture()
	require.NoError(t, err)
	_, err = st.Save(s)
	require.NoError(t, err)
	early, err := st.Latest()
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, e.Tick(frame))
		s, err := e.Capture()
		require.NoError(t, err)
		_, err = st.Save(s)
		require.NoError(t, err)
	}
	// Back to the first frame, then forward again on another timeline.
	back, err := early.Snapshot(e)
	require.NoError(t, err)
	require.NoError(t, e.Restore(back))
	require.NoError(t, e.Tick(frame))
	_, err = e.Spawn(game, 1, rows(rng, 3))
	require.NoError(t, err)
	s, err = e.Capture()
	require.NoError(t, err)
	_, err = st.Save(s)
	require.NoError(t, err)
	saves, err := st.Saves()
	require.NoError(t, err)
	for _, sv := range saves {
		if sv.Frame == s.Frame {
			assert.Equal(t, KindFull, sv.Kind)
		}
	}
	got, err := st.Load(s.Frame)
	require.NoError(t, err)
	sameEncoding(t, fileBytesOfSnapshot(t, s), fileBytes(t, got))
	// The replaced save's delta file is gone: every file belongs to a save.
	names, err := st.fs.List()
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, sv := range saves {
		listed[sv.Manifest] = true
		for _, f := range sv.Files {
			listed[f.Name] = true
		}
	}
	for _, n := range names {
		assert.True(t, listed[n], "%s belongs to no save", n)
	}
}

func TestManifestNames(t *testing.T) {
	assert.Equal(t, "game.12.grove", fileName("game", 12, KindFull))
	assert.Equal(t, "my%2Emod%2F%20x.3.delta.grove", fileName("my.mod/ x", 3, KindDelta))
	f, ok := parseManifestName("save.120.manifest")
	assert.True(t, ok)
	assert.EqualValues(t, 120, f)
	for _, bad := range []string{"save.012.manifest", "save..manifest", "save.1.manifest.tmp", "x.1.manifest"} {
		_, ok := parseManifestName(bad)
		assert.False(t, ok, bad)
	}
}

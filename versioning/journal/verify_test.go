package journal

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning/persist"
)

func verify(t *testing.T, dir string) (*VerifyReport, error) {
	t.Helper()
	rep, err := Verify(dir, newGame().factory(), WithConfigs(testConfigs), quiet())
	require.NotNil(t, rep)
	return rep, err
}

func TestVerify(t *testing.T) {
	dir, r := recordSaves(t, "nan")
	rep, err := verify(t, dir)
	require.NoError(t, err)
	assert.True(t, rep.OK())
	assert.Equal(t, 8, rep.Saves)
	assert.Equal(t, 7, rep.Compared, "every save after the first")
	assert.Equal(t, 420, rep.Frames)
	assert.Positive(t, rep.Checksums)

	t.Run("a damaged save", func(t *testing.T) {
		d := copyDir(t, dir)
		files, _ := filepath.Glob(filepath.Join(d, "game.420*.grove"))
		flipFile(t, files[0], 100)
		rep, err := verify(t, d)
		assert.ErrorIs(t, err, persist.ErrCorrupt)
		assert.Contains(t, err.Error(), "save.420.manifest")
		assert.Len(t, rep.Problems, 1)
		assert.Equal(t, 6, rep.Compared, "the others still compare")
	})
	t.Run("a damaged journal", func(t *testing.T) {
		d := copyDir(t, dir)
		seg := filepath.Join(d, "journal.180")
		data, _ := os.ReadFile(seg)
		offs := blocks(t, data)
		flipFile(t, seg, int(offs[4])+blockHeader+1)
		_, err := verify(t, d)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, seg, ce.File)
		assert.Equal(t, offs[4], ce.Offset)
	})
	t.Run("a torn tail", func(t *testing.T) {
		d := copyDir(t, dir)
		seg := filepath.Join(d, "journal.420")
		data, _ := os.ReadFile(seg)
		require.NoError(t, os.WriteFile(seg, data[:len(data)-3], 0o644))
		_, err := verify(t, d)
		assert.ErrorIs(t, err, ErrTornTail)
	})
	t.Run("a save that differs from the replay", func(t *testing.T) {
		d := copyDir(t, dir)
		st, err := persist.NewStore(d, persist.WithFullEvery(1))
		require.NoError(t, err)
		s := r.snaps[420]
		c := s.Modules[0].Versions[0].Columns.Clone()
		ecs.Column(&c, scenario.Position)[3].X++
		s.Modules[0].Versions[0].Columns = c
		_, err = st.Save(s)
		require.NoError(t, err)
		_, err = verify(t, d)
		var de *DivergenceError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, uint64(420), de.Frame)
		assert.Equal(t, mod, de.Module)
		assert.Equal(t, s.Modules[0].Versions[0].Number, de.Version)
	})
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	d := t.TempDir()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(d, e.Name()), data, 0o644))
	}
	return d
}

func flipFile(t *testing.T, name string, off int) {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	data[off] ^= 0x08
	require.NoError(t, os.WriteFile(name, data, 0o644))
}

var _ = binary.LittleEndian

package persist

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/v1")

// goldenDir holds files written by format version 1. A newer Grove must
// keep reading them (the forward rule); as long as FormatVersion is 1 they
// must also be what this package writes, byte for byte.
const goldenDir = "testdata/v1"

// goldenEngine builds the engine the golden files were written from: a
// fixed seed, three versions, a delta-worthy split.
func goldenEngine(t *testing.T) (*File, config) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	cfg := config{backupEvery: 2, modules: []string{game}}
	e := newEngine(t, cfg)
	require.NoError(t, e.Load(game, 1))
	_, err := e.Spawn(game, 1, rows(rng, 9))
	require.NoError(t, err)
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	f, err := ReadFile(encode(t, e))
	require.NoError(t, err)
	return f, cfg
}

func TestGoldenFormat1(t *testing.T) {
	if *update {
		f, _ := goldenEngine(t)
		require.NoError(t, os.MkdirAll(goldenDir, 0o755))
		var b, x, j bytes.Buffer
		require.NoError(t, f.WriteBinary(&b))
		require.NoError(t, WriteXML(&x, f))
		require.NoError(t, WriteJSON(&j, f))
		require.NoError(t, os.WriteFile(filepath.Join(goldenDir, "world.grove"), b.Bytes(), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(goldenDir, "world.xml"), x.Bytes(), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(goldenDir, "world.json"), j.Bytes(), 0o644))
	}
	bin, err := os.ReadFile(filepath.Join(goldenDir, "world.grove"))
	require.NoError(t, err)
	f, err := ReadFile(bin)
	require.NoError(t, err, "a format 1 file must always read")
	assert.Equal(t, 1, f.Format)
	assert.Equal(t, 9, f.Entities())
	if FormatVersion == 1 {
		assert.Equal(t, bin, binaryOf(t, f), "format 1 is what this package writes")
	}
	_, cfg := goldenEngine(t)
	e := restored(t, cfg, f)
	require.NoError(t, e.Tick(frame))

	for name, read := range map[string]func([]byte) (*File, error){"world.xml": readXML, "world.json": readJSON} {
		text, err := os.ReadFile(filepath.Join(goldenDir, name))
		require.NoError(t, err)
		g, err := read(text)
		require.NoError(t, err, name)
		assert.Equal(t, bin, binaryOf(t, g), "%s reads to the golden binary", name)
	}
}

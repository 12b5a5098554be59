package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
)

// recordMem runs the script with a journal in memory (/j).
func recordMem(t testing.TB, kind string) (*memFS, *run) {
	t.Helper()
	m := newMemFS()
	w, err := Create("/j", WithFS(m), WithConfigs(testConfigs), quiet())
	require.NoError(t, err)
	r := newGame().live(t, kind, w, func(_ *versioning.Engine, s *versioning.Snapshot) error { return w.Checkpoint(s.Frame) })
	require.NoError(t, w.Close())
	return m, r
}

// readAll reads every record, returning the first error other than EOF.
func readAll(fsys FS, opts ...Option) ([]Record, *Reader, error) {
	r, err := Open("/j", append([]Option{WithFS(fsys), WithConfigs(testConfigs)}, opts...)...)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		out = append(out, rec)
	}
}

// blocks lists the offsets of a segment's blocks.
func blocks(t testing.TB, data []byte) []int64 {
	t.Helper()
	var out []int64
	for off := int64(headerSize); off < int64(len(data)); {
		out = append(out, off)
		off += blockHeader + int64(binary.LittleEndian.Uint32(data[off:]))
	}
	return out
}

// lastAt360 makes journal.360 the last segment of a copy of m.
func lastAt360(m *memFS) (*memFS, string) {
	c := m.crash()
	_ = c.Remove("/j/journal.420")
	return c, "/j/journal.360"
}

func TestTornTail(t *testing.T) {
	m, _ := recordMem(t, "panic")
	m, last := lastAt360(m)
	data := m.bytes(last)
	offs := blocks(t, data)
	require.Greater(t, len(offs), 1)
	whole, _, err := readAll(m)
	require.NoError(t, err)
	for name, torn := range map[string][]byte{
		"cut in a block":        data[:offs[len(offs)-1]+blockHeader+3],
		"cut in a block header": data[:offs[len(offs)-1]+5],
		"zeros after":           append(data[:offs[len(offs)-1]:offs[len(offs)-1]], make([]byte, 300)...),
		"garbage block":         append(bytes.Clone(data[:offs[len(offs)-1]]), bytes.Repeat([]byte{0xA5}, 100)...),
	} {
		t.Run(name, func(t *testing.T) {
			c := m.crash()
			c.set(last, torn)
			var logs bytes.Buffer
			recs, r, err := readAll(c, logTo(&logs))
			require.NoError(t, err, "a torn tail is not an error")
			require.NotNil(t, r.Torn())
			assert.Equal(t, offs[len(offs)-1], r.Torn().Offset)
			assert.Contains(t, logs.String(), "torn tail")
			assert.Less(t, len(recs), len(whole))

			_, _, err = readAll(c, Strict(true))
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, ErrTornTail)
			assert.Equal(t, last, ce.File)
			assert.Equal(t, offs[len(offs)-1], ce.Offset)

			// Opening for appending truncates the tail; the journal goes on.
			logs.Reset()
			w, err := Create("/j", WithFS(c), logTo(&logs))
			require.NoError(t, err)
			assert.Contains(t, logs.String(), "truncating a torn tail")
			assert.Equal(t, int(offs[len(offs)-1]), c.written(last))
			w.Record(tick(420))
			require.NoError(t, w.Close())
			again, r2, err := readAll(c, Strict(true))
			require.NoError(t, err)
			assert.Nil(t, r2.Torn())
			assert.Len(t, again, len(recs)+1)
		})
	}
}

// flip flips one bit of a block's body in a copy of the journal.
func flip(m *memFS, name string, off int64) *memFS {
	c := m.crash()
	data := c.bytes(name)
	data[off] ^= 0x10
	c.set(name, data)
	return c
}

func TestCorruption(t *testing.T) {
	m, r := recordMem(t, "nan")
	mid := "/j/journal.120"
	offs := blocks(t, m.bytes(mid))
	t.Run("bit flip mid-segment", func(t *testing.T) {
		c := flip(m, mid, offs[3]+blockHeader+1)
		_, _, err := readAll(c)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.ErrorIs(t, err, ErrCorrupt)
		assert.Equal(t, mid, ce.File)
		assert.Equal(t, offs[3], ce.Offset)
		assert.Contains(t, ce.What, "CRC")
		_, err = Create("/j", WithFS(c), quiet())
		require.NoError(t, err, "only the last segment is checked on open")
		j, err := Open("/j", WithFS(c), WithConfigs(testConfigs))
		require.NoError(t, err)
		_, err = Replay(r.snaps[0], j, End, newGame().factory(), WithConfigs(testConfigs))
		assert.ErrorIs(t, err, ErrCorrupt)
	})
	t.Run("bit flip at the end of a segment that is not the last", func(t *testing.T) {
		c := flip(m, mid, offs[len(offs)-1]+blockHeader)
		_, _, err := readAll(c)
		assert.ErrorIs(t, err, ErrCorrupt)
		assert.NotErrorIs(t, err, ErrTornTail)
	})
	t.Run("bit flip mid last segment", func(t *testing.T) {
		m, last := lastAt360(m)
		lo := blocks(t, m.bytes(last))
		c := flip(m, last, lo[0]+blockHeader+2)
		_, _, err := readAll(c)
		assert.ErrorIs(t, err, ErrCorrupt, "intact blocks follow: not a torn tail")
		_, err = Create("/j", WithFS(c), quiet())
		assert.ErrorIs(t, err, ErrCorrupt, "a writer does not append to a damaged journal")
	})
	t.Run("header", func(t *testing.T) {
		c := flip(m, mid, 3)
		_, _, err := readAll(c)
		assert.ErrorIs(t, err, ErrCorrupt)
	})
	t.Run("newer format", func(t *testing.T) {
		c := m.crash()
		data := c.bytes(mid)
		binary.LittleEndian.PutUint16(data[8:], formatVersion+1)
		binary.LittleEndian.PutUint32(data[28:], crc32.Checksum(data[:28], castagnoli))
		c.set(mid, data)
		_, _, err := readAll(c)
		assert.ErrorIs(t, err, ErrFormat)
	})
	t.Run("a valid block with a bad record", func(t *testing.T) {
		c := m.crash()
		data := c.bytes(mid)
		body := data[offs[2]+blockHeader:]
		body[0] = 0x7f // an unknown kind
		n := binary.LittleEndian.Uint32(data[offs[2]:])
		crc := crc32.Checksum(data[offs[2]+8:offs[2]+blockHeader+int64(n)], castagnoli)
		binary.LittleEndian.PutUint32(data[offs[2]+4:], crc)
		c.set(mid, data)
		_, _, err := readAll(c)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Contains(t, ce.What, "unknown record kind")
	})
}

// TestRandomDamage damages a journal at random: reading and replaying
// return errors, never panic.
func TestRandomDamage(t *testing.T) {
	m, r := recordMem(t, "lag")
	names := m.names("journal.")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 120 {
		c := m.crash()
		name := names[rng.IntN(len(names))]
		data := c.bytes(name)
		switch i % 3 {
		case 0:
			for range 1 + rng.IntN(4) {
				data[rng.IntN(len(data))] ^= byte(1 << rng.IntN(8))
			}
		case 1:
			data = data[:rng.IntN(len(data))]
		case 2:
			at := rng.IntN(len(data))
			junk := make([]byte, rng.IntN(64))
			for k := range junk {
				junk[k] = byte(rng.Uint32())
			}
			data = append(data[:at:at], append(junk, data[at:]...)...)
		}
		c.set(name, data)
		_, _, _ = readAll(c, quiet())
		_, _, _ = readAll(c, Strict(true), quiet())
		if i%6 != 0 {
			continue
		}
		j, err := Open("/j", WithFS(c), WithConfigs(testConfigs), quiet())
		require.NoError(t, err)
		_, err = Replay(r.snaps[240], j, End, newGame().factory(), WithConfigs(testConfigs), quiet())
		if err != nil {
			assert.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTornTail) || errors.Is(err, ErrDivergence) ||
				errors.Is(err, ErrIncomplete) || errors.Is(err, ErrFormat), "%v", err)
		}
	}
}

// TestBlocksAcrossTheReadWindow writes blocks that straddle and exceed
// the reader's 1 MiB read window: frames of many small records, then a
// spawn of 100,000 entities, then small frames again.
func TestBlocksAcrossTheReadWindow(t *testing.T) {
	m := newMemFS()
	w, err := Create("/j", WithFS(m), quiet())
	require.NoError(t, err)
	frames := func(from, to uint64) {
		for f := from; f < to; f++ {
			for k := range 2000 {
				w.Record(cmd(f, byte(k)))
			}
			w.Record(tick(f))
		}
	}
	frames(0, 40)
	big := fullOp(versioning.OpSpawn)
	cols := ecs.MakeColumns(v2.Layout, 100000)
	for i := range cols.Keys {
		cols.Keys[i] = ecs.NewKey(uint32(i), 1)
	}
	big.Frame, big.Columns, big.Config = 40, &cols, nil
	w.Record(big)
	frames(40, 80)
	require.NoError(t, w.Close())
	got := ops(t, m, Strict(true))
	require.Len(t, got, 1+80*2001)
	assert.Equal(t, byte(7), got[5*2001+7].Value[0])
}

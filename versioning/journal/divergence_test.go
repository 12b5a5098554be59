package journal

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/versioning"
)

// tamper rewrites, in a copy of m, the first block of frame whose records
// edit changes (edit returns whether it changed one), re-encoding it with a
// valid CRC: a journal that is intact but says something else.
func tamper(t *testing.T, m *memFS, frame uint64, edit func(*Record) bool) *memFS {
	t.Helper()
	c := m.crash()
	for _, name := range c.names("journal.") {
		data := c.bytes(name)
		for _, off := range blocks(t, data) {
			n := int64(binary.LittleEndian.Uint32(data[off:]))
			b := block{off: off, frame: binary.LittleEndian.Uint64(data[off+8:]), count: int(binary.LittleEndian.Uint32(data[off+16:])),
				n: int(n), body: data[off+blockHeader : off+blockHeader+n]}
			if b.frame != frame {
				continue
			}
			recs, err := decodeBlock(b, name, nil)
			require.NoError(t, err)
			changed := false
			for i := range recs {
				changed = edit(&recs[i]) || changed
			}
			if !changed {
				continue
			}
			var body []byte
			for i := range recs {
				if cp := recs[i].Checkpoint; cp != nil {
					body = appendCheckpoint(body, cp)
				} else {
					body = appendOp(body, &recs[i].Op, recs[i].Config, recs[i].Spawn)
				}
			}
			require.Len(t, body, int(n), "the edit keeps the block's length")
			copy(data[off+blockHeader:], body)
			binary.LittleEndian.PutUint32(data[off+4:], crc32.Checksum(data[off+8:off+blockHeader+n], castagnoli))
			c.set(name, data)
			return c
		}
	}
	t.Fatalf("no record of frame %d to tamper with", frame)
	return nil
}

func replayMem(fsys FS, snap *versioning.Snapshot) error {
	j, err := Open("/j", WithFS(fsys), WithConfigs(testConfigs))
	if err != nil {
		return err
	}
	defer j.Close()
	_, err = Replay(snap, j, End, newGame().factory(), WithConfigs(testConfigs), quiet())
	return err
}

// TestDivergence tampers with intact records: the replay names the first
// divergent frame, module and version.
func TestDivergence(t *testing.T) {
	m, r := recordMem(t, "panic")
	require.NoError(t, replayMem(m, r.snaps[0]))
	for name, c := range map[string]struct {
		frame   uint64
		edit    func(*Record) bool
		at      uint64
		version int
		op      versioning.OpKind
	}{
		"checksum": {150, func(rec *Record) bool {
			if rec.Op.Kind == versioning.OpChecksum && rec.Op.Version == 1 {
				rec.Op.Sum ^= 1
				return true
			}
			return false
		}, 150, 1, versioning.OpChecksum},
		"command payload": {100, func(rec *Record) bool {
			if rec.Op.Kind == versioning.OpCommand { // a run: every payload
				size := len(rec.Op.Value) / len(rec.Op.Keys)
				for i := 0; i < len(rec.Op.Value); i += size {
					rec.Op.Value[i] ^= 0x40
				}
				return true
			}
			return false
		}, 110, 0, versioning.OpChecksum},
		"failure": {91, func(rec *Record) bool {
			if rec.Op.Kind == versioning.OpFailure {
				rec.Op.Version = 3
				return true
			}
			return false
		}, 91, 3, versioning.OpFailure},
		"split": {150, func(rec *Record) bool {
			if rec.Op.Kind == versioning.OpSetSplit {
				rec.Op.Weights = map[int]float64{1: 0.25, 3: 0.75}
				return true
			}
			return false
		}, 160, 0, versioning.OpChecksum},
	} {
		t.Run(name, func(t *testing.T) {
			err := replayMem(tamper(t, m, c.frame, c.edit), r.snaps[0])
			var de *DivergenceError
			require.ErrorAs(t, err, &de)
			assert.ErrorIs(t, err, ErrDivergence)
			assert.Equal(t, c.at, de.Frame, "%v", err)
			assert.Equal(t, mod, de.Module)
			if c.version != 0 {
				assert.Equal(t, c.version, de.Version)
			} else {
				assert.NotZero(t, de.Version)
			}
			assert.Equal(t, c.op, de.Op)
			assert.Contains(t, err.Error(), "frame")
		})
	}
}

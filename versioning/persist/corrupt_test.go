package persist

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// smallFiles returns a small full file and a delta against it.
func smallFiles(t *testing.T) (full, delta []byte, base *File) {
	t.Helper()
	rng := newRand(t, 40)
	e := newEngine(t, config{backupEvery: 2, modules: []string{game}})
	require.NoError(t, e.Load(game, 1))
	_, err := e.Spawn(game, 1, rows(rng, 12))
	require.NoError(t, err)
	require.NoError(t, e.Load(game, 3))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	full = encode(t, e)
	base, err = ReadFile(full)
	require.NoError(t, err)
	require.NoError(t, e.Tick(frame))
	s, err := e.Capture()
	require.NoError(t, err)
	cur, err := fromSnapshot(s)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteDelta(&b, cur, base))
	delta = b.Bytes()
	d, err := ReadFile(delta)
	require.NoError(t, err)
	require.Equal(t, KindDelta, d.Kind)
	patched := 0
	for _, c := range columnsOf(d, &d.Modules[0]) {
		if c.patch(&d.Modules[0]) != nil {
			patched++
		}
	}
	require.Positive(t, patched, "the delta patches some columns")
	g, err := d.Apply(base)
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, WriteSnapshot(&want, s))
	require.Equal(t, want.Bytes(), binaryOf(t, g))
	return full, delta, base
}

// checkDamaged asserts that decoding damaged data fails with a FormatError
// wrapping ErrCorrupt or ErrVersion, at an offset inside the file.
func checkDamaged(t *testing.T, data []byte, what string, near int) {
	t.Helper()
	f, err := ReadFile(data)
	if err == nil {
		t.Fatalf("%s: damaged file decoded (frame %d)", what, f.Frame)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %v is not a *FormatError", what, err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
		t.Fatalf("%s: error %v wraps neither ErrCorrupt nor ErrVersion", what, err)
	}
	if fe.Offset < 0 || fe.Offset > int64(len(data)) || (near >= 0 && fe.Offset > int64(near)+recordHead) {
		t.Fatalf("%s: offset %d (damage at %d, %d bytes): %v", what, fe.Offset, near, len(data), err)
	}
}

// TestEveryByteFlipIsDetected flips every byte of a small full file and of
// a delta (three patterns each) and cuts them at every length: each
// damaged file fails with an offset, never a panic.
func TestEveryByteFlipIsDetected(t *testing.T) {
	full, delta, _ := smallFiles(t)
	for name, data := range map[string][]byte{"full": full, "delta": delta} {
		t.Logf("%s: %d bytes", name, len(data))
		buf := make([]byte, len(data))
		for i := range data {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				copy(buf, data)
				buf[i] ^= x
				checkDamaged(t, buf, name+" flip", i)
			}
		}
		for n := range len(data) {
			checkDamaged(t, data[:n:n], name+" truncated", n)
		}
		checkDamaged(t, append(append([]byte(nil), data...), 0), name+" extended", len(data))
	}
}

// TestFlipsWithoutCRCNeverPanic decodes every single-byte flip with the
// CRC checks off, so that the structure decoders see the damage itself:
// errors or successes, never a panic, and what decodes writes out.
func TestFlipsWithoutCRCNeverPanic(t *testing.T) {
	full, delta, base := smallFiles(t)
	for _, data := range [][]byte{full, delta} {
		buf := make([]byte, len(data))
		for i := range data {
			for _, x := range []byte{0x01, 0x02, 0x10, 0x80, 0xff} {
				copy(buf, data)
				buf[i] ^= x
				f, err := readFile(buf, false)
				if err != nil {
					continue
				}
				var b bytes.Buffer
				if err := f.WriteBinary(&b); err == nil {
					_, _ = ReadFile(b.Bytes())
				}
				if f.Kind == KindDelta {
					base.Checksum = f.BaseChecksum
					base.Frame = f.BaseFrame
					if g, err := f.Apply(base); err == nil {
						_ = binaryOf(t, g)
					}
				}
			}
		}
	}
}

// TestDeltaNeedsItsBase: a delta applied to another base is refused.
func TestDeltaNeedsItsBase(t *testing.T) {
	full, delta, _ := smallFiles(t)
	d, err := ReadFile(delta)
	require.NoError(t, err)
	base, err := ReadFile(full)
	require.NoError(t, err)
	other := *base
	other.Checksum++
	_, err = d.Apply(&other)
	require.ErrorIs(t, err, ErrBase)
	_, err = base.Apply(base)
	require.ErrorIs(t, err, ErrBase)
	_, err = d.Snapshot(newEngine(t, config{backupEvery: 2, modules: []string{game}}))
	require.ErrorIs(t, err, ErrBase)
	var x bytes.Buffer
	require.ErrorIs(t, WriteXML(&x, d), ErrBase)
	require.ErrorIs(t, WriteDelta(&x, base, base), ErrBase)
}

// TestManifestDamage: every flip and truncation of a manifest is refused.
func TestManifestDamage(t *testing.T) {
	info := SaveInfo{Frame: 120, Now: 2_000_000_000, Kind: KindDelta, Base: 100, Files: []SaveFile{
		{Module: "game", Name: fileName("game", 120, KindDelta), Kind: KindDelta, Size: 1234, Checksum: 0xdeadbeef},
		{Module: "o\"dd", Name: fileName("o\"dd", 120, KindFull), Kind: KindFull, Size: 99, Checksum: 1}}}
	data := info.encode()
	got, err := parseManifest(data)
	require.NoError(t, err)
	got.Manifest = info.Manifest
	require.Equal(t, info, got)
	for i := range data {
		for _, x := range []byte{0x01, 0x20, 0x80} {
			buf := bytes.Clone(data)
			buf[i] ^= x
			if _, err := parseManifest(buf); err == nil {
				t.Fatalf("flip at %d of %q accepted", i, data)
			} else {
				require.ErrorIs(t, err, ErrCorrupt)
			}
		}
	}
	for n := range len(data) {
		_, err := parseManifest(data[:n])
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d", n)
	}
}

// TestHostileLengthsDoNotAllocate: huge counts in a file whose CRCs are
// valid are refused before any allocation they would drive.
func TestHostileLengthsDoNotAllocate(t *testing.T) {
	// A module section claiming 2^31 versions (its last field).
	mod := encodeModule(nil, &Module{Name: "game"})
	le.PutUint32(mod[len(mod)-4:], 1<<31)
	var b bytes.Buffer
	wr := &writer{w: &b}
	var h [headerSize]byte
	copy(h[:], magic[:])
	le.PutUint16(h[8:], FormatVersion)
	h[10] = byte(KindFull)
	le.PutUint32(h[12:], crc32c(h[:12]))
	wr.write(h[:])
	var head enc
	head.u64(0)
	head.i64(0)
	head.u64(0)
	head.u32(0)
	head.u32(1)
	wr.record(tagHead, 0, head.b)
	wr.record(tagSchemas, 0, encodeSchemas(nil, nil))
	wr.record(tagModule, 0, mod)
	wr.record(tagColumn, 0, nil)
	wr.record(tagColumn, 0, nil)
	allocs := testing.AllocsPerRun(10, func() {
		_, err := ReadFile(b.Bytes())
		require.ErrorIs(t, err, ErrCorrupt)
		require.Contains(t, err.Error(), "version count")
	})
	require.Less(t, allocs, 100.0)
}

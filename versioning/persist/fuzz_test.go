package persist

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The fuzz targets: one per decoder (binary, delta, XML, JSON, manifest).
// Each must never panic, and whatever it accepts must survive a write and
// a read unchanged. `make fuzz-short` runs each for a few seconds.

// fuzzSeeds returns a small full file, a delta against it, and its base.
func fuzzSeeds(f *testing.F) (full, delta []byte, base *File) { return smallFilesFor(f) }

// smallFilesFor is smallFiles for a testing.TB other than *testing.T.
func smallFilesFor(tb testing.TB) (full, delta []byte, base *File) {
	rng := rand.New(rand.NewPCG(40, 1))
	e := newEngine(tb, config{backupEvery: 2, modules: []string{game}})
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(e.Load(game, 1))
	_, err := e.Spawn(game, 1, rows(rng, 6))
	must(err)
	must(e.Load(game, 3))
	must(e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
	must(e.Tick(frame))
	full = encode(tb, e)
	base, err = ReadFile(full)
	must(err)
	must(e.Tick(frame))
	s, err := e.Capture()
	must(err)
	cur, err := fromSnapshot(s)
	must(err)
	var b bytes.Buffer
	must(WriteDelta(&b, cur, base))
	return full, b.Bytes(), base
}

func FuzzReadFile(f *testing.F) {
	full, delta, _ := fuzzSeeds(f)
	var syn bytes.Buffer
	if err := syntheticFile(rand.New(rand.NewPCG(1, 2)), 3).WriteBinary(&syn); err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{full, delta, syn.Bytes(), full[:100], {}} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, checkCRC bool) {
		file, err := readFile(data, checkCRC)
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := file.WriteBinary(&b); err != nil {
			t.Fatalf("a decoded file does not encode: %v", err)
		}
		again, err := ReadFile(b.Bytes())
		if err != nil {
			t.Fatalf("an encoded file does not decode: %v", err)
		}
		var b2 bytes.Buffer
		if err := again.WriteBinary(&b2); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Fatalf("write∘read∘write differs from write (%v)", err)
		}
		if checkCRC && !bytes.Equal(data, b.Bytes()) {
			t.Fatalf("a valid file re-encodes differently")
		}
	})
}

func FuzzApplyDelta(f *testing.F) {
	_, delta, base := fuzzSeeds(f)
	f.Add(delta)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := readFile(data, false)
		if err != nil || d.Kind != KindDelta {
			return
		}
		b := *base
		b.Frame, b.Checksum = d.BaseFrame, d.BaseChecksum
		g, err := d.Apply(&b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := g.WriteBinary(&out); err != nil {
			t.Fatalf("an applied delta does not encode: %v", err)
		}
		if _, err := ReadFile(out.Bytes()); err != nil {
			t.Fatalf("an applied delta does not decode: %v", err)
		}
	})
}

// fuzzText checks a text decoder: what it accepts writes out, reads back,
// and encodes to the same binary.
func fuzzText(t *testing.T, data []byte, read func([]byte) (*File, error), write func(*bytes.Buffer, *File) error) {
	file, err := read(data)
	if err != nil {
		return
	}
	var bin bytes.Buffer
	if err := file.WriteBinary(&bin); err != nil {
		t.Fatalf("a decoded text does not encode: %v", err)
	}
	var text bytes.Buffer
	if err := write(&text, file); err != nil {
		return // e.g. names that cannot be XML attributes
	}
	again, err := read(text.Bytes())
	if err != nil {
		t.Fatalf("written text does not read back: %v\n%s", err, text.String())
	}
	var bin2 bytes.Buffer
	if err := again.WriteBinary(&bin2); err != nil || !bytes.Equal(bin.Bytes(), bin2.Bytes()) {
		t.Fatalf("text round trip changed the file (%v)", err)
	}
}

func textSeeds(f *testing.F, write func(*bytes.Buffer, *File) error) {
	full, _, _ := fuzzSeeds(f)
	file, err := ReadFile(full)
	if err != nil {
		f.Fatal(err)
	}
	for _, g := range []*File{file, syntheticFile(rand.New(rand.NewPCG(3, 4)), 2)} {
		var b bytes.Buffer
		if err := write(&b, g); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
}

func FuzzReadXML(f *testing.F) {
	write := func(b *bytes.Buffer, g *File) error { return WriteXML(b, g) }
	textSeeds(f, write)
	f.Add([]byte(`<grove format="1" frame="0" now="0"><schema/></grove>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzText(t, data, readXML, write) })
}

func FuzzReadJSON(f *testing.F) {
	write := func(b *bytes.Buffer, g *File) error { return WriteJSON(b, g) }
	textSeeds(f, write)
	f.Add([]byte(`{"format":1,"frame":0,"now":0,"schema":[],"modules":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzText(t, data, readJSON, write) })
}

func FuzzManifest(f *testing.F) {
	info := SaveInfo{Frame: 12, Now: 5, Kind: KindDelta, Base: 10, Files: []SaveFile{
		{Module: "game", Name: fileName("game", 12, KindDelta), Kind: KindDelta, Size: 10, Checksum: 7}}}
	f.Add(info.encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseManifest(data)
		if err != nil {
			return
		}
		if !bytes.Equal(s.encode(), data) {
			t.Fatalf("an accepted manifest re-encodes differently")
		}
	})
}

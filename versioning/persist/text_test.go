package persist

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
)

// exotic is a component with every kind, arrays, nesting and padding. Its
// 8-byte fields come first, so that its layout is the same on 32-bit
// platforms (where Go aligns them to 4 bytes only).
type exotic struct {
	U64   uint64
	F64   float64
	I64   int64
	I32   int32
	U32   uint32
	Pos   struct{ X, Y float32 } `grove:"pos"`
	Grid  [2][2]float32          `grove:"grid,nonfinite"`
	I16   int16
	U16   uint16
	Arr   [3]int16
	Slots [2]struct {
		ID uint16
		W  int8
	}
	Flag  bool
	Small uint8
	I8    int8
}

var (
	exoticComp = ecs.MustRegister[exotic]("exotic")
	keyComp    = ecs.MustRegister[uint32]("key")
	dotted     = ecs.MustRegister[float64]("a.b-c_d")
)

// textKinds are the text forms, for table-driven tests.
var textKinds = []struct {
	name  string
	write func(*bytes.Buffer, *File) error
	read  func([]byte) (*File, error)
}{
	{"xml", func(b *bytes.Buffer, f *File) error { return WriteXML(b, f) }, readXML},
	{"json", func(b *bytes.Buffer, f *File) error { return WriteJSON(b, f) }, readJSON},
}

// syntheticFile builds a file that no engine would, to reach every corner
// of the text forms: every scalar kind, arrays, padding bytes holding
// garbage, bool bytes other than 0 and 1, NaN payloads, infinities,
// negative zero, two layouts of one component name, a component called
// key, strings with quotes, backslashes, newlines, control bytes and
// invalid UTF-8, logic state and commands.
func syntheticFile(rng *rand.Rand, rows int) *File {
	posA := ecs.Schema{Name: "position", Size: 8, Align: 4, Fields: []ecs.Field{
		{Path: "x", Kind: ecs.KindFloat32, Offset: 0, Count: 1}, {Path: "y", Kind: ecs.KindFloat32, Offset: 4, Count: 1}}}
	posB := ecs.Schema{Name: "position", Size: 16, Align: 8, Fields: []ecs.Field{
		{Path: "x", Kind: ecs.KindFloat64, Offset: 0, Count: 1}, {Path: "y", Kind: ecs.KindFloat64, Offset: 8, Count: 1, NonFinite: true}}}
	f := &File{Format: FormatVersion, Kind: KindFull, Frame: 1 << 40, Now: 123456789 * time.Millisecond,
		Schemas: []ecs.Schema{dotted.Schema(), exoticComp.Schema(), keyComp.Schema(), posA, posB}}
	specials32 := []uint32{0x7fc00001, 0xffc00000, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0x00000001, 0x3f800000}
	specials64 := []uint64{0x7ff8000000000001, 0xfff0000000000001, 0x7ff0000000000000, 0xfff0000000000000, 0x8000000000000000, 1}
	fill := func(s *ecs.Schema, n int) []byte {
		b := make([]byte, n*s.Size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		// Sprinkle special floats over the float fields.
		for r := range n {
			for _, fd := range s.Fields {
				for k := range fd.Count {
					at := r*s.Size + fd.Offset + k*fd.Kind.Size()
					switch {
					case fd.Kind == ecs.KindFloat32 && rng.IntN(3) == 0:
						le.PutUint32(b[at:], specials32[rng.IntN(len(specials32))])
					case fd.Kind == ecs.KindFloat64 && rng.IntN(3) == 0:
						le.PutUint64(b[at:], specials64[rng.IntN(len(specials64))])
					case fd.Kind == ecs.KindBool && rng.IntN(2) == 0:
						b[at] = byte(rng.IntN(2))
					}
				}
			}
		}
		return b
	}
	table := func(comps []Component, n, first int) Table {
		t := Table{Keys: make([]ecs.Key, n)}
		for i := range n {
			t.Keys[i] = ecs.NewKey(uint32(first+i), 1+uint32(i%3))
		}
		for _, c := range comps {
			t.Columns = append(t.Columns, fill(&f.Schemas[c.Schema], n))
		}
		return t
	}
	def := func(si int) Component { return Component{Schema: si, Default: fill(&f.Schemas[si], 1)} }
	v1comps := []Component{def(0), def(1), def(2), def(3)}
	v2comps := []Component{def(1), def(4)}
	gens := make([]uint32, 3*rows+4)
	for i := range gens {
		gens[i] = 1 + uint32(i%3)
	}
	m := Module{Name: "we\"ird <&> \\name\n\x00\xff\u00e9", Deps: []string{"physics", "a\tb"}, GCAfter: time.Second,
		Fallback: 2, Policy: versioning.FailurePolicy{MaxRate: 0.25, Window: 3 * time.Second, MinSteps: 4, MaxConsecutive: 5},
		Weights: []Weight{{1, 1.0 / 3}, {2, 2.0 / 3}}, Dirty: true, Frames: 99, Missed: 3, Lost: 1 << 62,
		Gens: gens, Free: []uint32{uint32(3 * rows), uint32(3*rows + 1), uint32(3*rows + 2), uint32(3*rows + 3)}}
	m.Versions = []Version{
		{Number: 1, Loaded: true, LoadedAt: time.Millisecond, IdleFrom: 2, SinceBackup: 1,
			StepTimes: []time.Duration{1, 2, 3}, StepFailed: []bool{false, true, false}, Consecutive: 1,
			HasLogicState: true, LogicState: []byte{0, 1, 2, 255}, Components: v1comps},
		{Number: 2, Loaded: true, Failed: "it \"broke\"\\ at 5 < 6 & 7\r\n", Idle: true,
			HasLogicState: true, LogicState: []byte{}, Components: v2comps},
		{Number: 7, Failed: "gone", Components: []Component{def(3)}},
	}
	m.Versions[0].World = table(v1comps, rows, 0)
	b := table(v1comps, rows, 0)
	m.Versions[0].Backup = &b
	m.Versions[1].World = table(v2comps, rows, rows)
	m.Versions[2].World = table(m.Versions[2].Components, 0, 0)
	m.Pins = []Pin{{m.Versions[0].World.Keys[0], 1}, {m.Versions[1].World.Keys[1], 2}}
	m.Commands = []versioning.CommandSnapshot{{Key: m.Versions[1].World.Keys[0], Component: "exotic", Payload: []byte("xyz")},
		{Key: m.Versions[0].World.Keys[1], Name: "jump\\", Payload: nil}}
	// Keys of v2 live in slots rows..2·rows: their generations must match.
	for _, v := range m.Versions[:2] {
		for _, k := range v.World.Keys {
			m.Gens[k.Index()] = k.Gen()
		}
	}
	for i := 2 * rows; i < 3*rows; i++ {
		m.Free = append(m.Free, uint32(i))
	}
	f.Modules = []Module{m, {Name: "empty", Gens: []uint32{}, Free: []uint32{}}}
	return f
}

func binaryOf(t *testing.T, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, f.WriteBinary(&b))
	return b.Bytes()
}

// TestTextRoundTripIsByteIdentical: binary → text → binary gives the same
// bytes, for both text forms, on a synthetic file and on real engines.
func TestTextRoundTripIsByteIdentical(t *testing.T) {
	rng := newRand(t, 10)
	files := map[string][]byte{"synthetic": binaryOf(t, syntheticFile(rng, 40))}
	for i := range 3 {
		e, _ := randomEngine(t, rng)
		files["engine"+string(rune('0'+i))] = encode(t, e)
	}
	for name, data := range files {
		f, err := ReadFile(data)
		require.NoError(t, err)
		for _, tk := range textKinds {
			t.Run(name+"/"+tk.name, func(t *testing.T) {
				var text bytes.Buffer
				require.NoError(t, tk.write(&text, f))
				g, err := tk.read(text.Bytes())
				require.NoError(t, err, "%s", firstLines(text.String(), 60))
				assert.True(t, bytes.Equal(data, binaryOf(t, g)), "binary → %s → binary differs", tk.name)
				// And the text is stable: text → binary → text is the same text.
				var again bytes.Buffer
				require.NoError(t, tk.write(&again, g))
				assert.Equal(t, text.String(), again.String())
			})
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestTextFloatsAreBitExact checks the spelling of special floats.
func TestTextFloatsAreBitExact(t *testing.T) {
	for _, bits := range []uint32{0x7fc00001, 0xffc00000, 0x7fbfffff, 0x7f800000, 0xff800000, 0x80000000, 1, 0x7f7fffff, 0x3dcccccd} {
		for _, json := range []bool{false, true} {
			s := appendFloat(nil, uint64(bits), 32, json)
			s = bytes.Trim(s, `"`)
			got, msg := parseFloat(s, 32)
			require.Empty(t, msg)
			assert.Equal(t, uint64(bits), got, "%s", s)
		}
	}
	assert.Equal(t, "nan:0x7fc00001", string(appendFloat(nil, 0x7fc00001, 32, false)))
	assert.Equal(t, `"-inf"`, string(appendFloat(nil, 0xfff0000000000000, 64, true)))
	assert.Equal(t, "-0", string(appendFloat(nil, 0x80000000, 32, false)))
	for _, bad := range []string{"nan:0x3f800000", "1e39", "abc", "nan:0x7f800000", ""} {
		_, msg := parseFloat([]byte(bad), 32)
		assert.NotEmpty(t, msg, bad)
	}
}

// TestRestoreFromText: an engine restored from its XML or JSON form ticks
// like the original.
func TestRestoreFromText(t *testing.T) {
	rng := newRand(t, 11)
	a, cfg := randomEngine(t, rng)
	data := encode(t, a)
	f, err := ReadFile(data)
	require.NoError(t, err)
	for _, tk := range textKinds {
		var text bytes.Buffer
		require.NoError(t, tk.write(&text, f))
		g, err := tk.read(text.Bytes())
		require.NoError(t, err)
		b := restored(t, cfg, g)
		sameEncoding(t, data, encode(t, b), tk.name)
	}
	for range 5 {
		require.NoError(t, a.Tick(frame))
	}
	want := encode(t, a)
	for _, tk := range textKinds {
		var text bytes.Buffer
		require.NoError(t, tk.write(&text, f))
		g, err := tk.read(text.Bytes())
		require.NoError(t, err)
		b := restored(t, cfg, g)
		for range 5 {
			require.NoError(t, b.Tick(frame))
		}
		sameEncoding(t, want, encode(t, b), tk.name)
	}
}

func textError(t *testing.T, err error) *TextError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, ErrText)
	var te *TextError
	require.True(t, errors.As(err, &te), "%v", err)
	return te
}

// TestTextErrorsHaveLineAndPath: a bad value is reported with its line,
// column and field path.
func TestTextErrorsHaveLineAndPath(t *testing.T) {
	rng := newRand(t, 12)
	e, _ := randomEngine(t, rng)
	f, err := ReadFile(encode(t, e))
	require.NoError(t, err)
	var x bytes.Buffer
	require.NoError(t, WriteXML(&x, f))
	lines := strings.Split(x.String(), "\n")
	i := slices_index(lines, "<e key=")
	require.Positive(t, i)
	// Replace the first x value on that line.
	lines[i] = replaceAttr(lines[i], "position.x", "abc")
	_, err = readXML([]byte(strings.Join(lines, "\n")))
	te := textError(t, err)
	assert.Equal(t, i+1, te.Line)
	assert.Positive(t, te.Column)
	assert.Contains(t, te.Path, "position.x")
	assert.Contains(t, te.Path, `module "game" v1 world row 0`)
	assert.Contains(t, te.Msg, "float32")

	var j bytes.Buffer
	require.NoError(t, WriteJSON(&j, f))
	lines = strings.Split(j.String(), "\n")
	i = slices_index(lines, `"position":{"x":`)
	require.Positive(t, i)
	at := strings.Index(lines[i], `"x":`) + 4
	end := at + strings.IndexAny(lines[i][at:], ",}")
	lines[i] = lines[i][:at] + `true` + lines[i][end:]
	_, err = readJSON([]byte(strings.Join(lines, "\n")))
	te = textError(t, err)
	assert.Equal(t, i+1, te.Line)
	assert.Equal(t, at+1, te.Column)
	assert.Contains(t, te.Path, "position.x")

	// Unknown attribute, missing element, newer format.
	_, err = readXML([]byte(strings.Replace(x.String(), "<e key=", "<e bogus=\"1\" key=", 1)))
	assert.Contains(t, textError(t, err).Msg, "no attribute bogus")
	_, err = readXML([]byte(strings.Replace(x.String(), `<grove format="1"`, `<grove format="9"`, 1)))
	assert.ErrorIs(t, err, ErrVersion)
	_, err = readJSON([]byte(strings.Replace(j.String(), `"format": 1`, `"format": 9`, 1)))
	assert.ErrorIs(t, err, ErrVersion)
	_, err = readXML([]byte(strings.Replace(x.String(), `<keys`, `<kees`, 1)))
	textError(t, err)
}

func slices_index(lines []string, sub string) int {
	for i, l := range lines {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}

// replaceAttr sets attribute name's value on an XML line.
func replaceAttr(line, name, value string) string {
	at := strings.Index(line, " "+name+`="`)
	if at < 0 {
		return line
	}
	start := at + len(name) + 3
	end := start + strings.IndexByte(line[start:], '"')
	return line[:start] + value + line[end:]
}

// TestHandEdits: change one entity's x, delete an entity, add one with a
// fresh key; each loads into an engine and does what it says.
func TestHandEdits(t *testing.T) {
	rng := newRand(t, 13)
	a, cfg := randomEngine(t, rng)
	data := encode(t, a)
	f, err := ReadFile(data)
	require.NoError(t, err)
	v1 := &f.Modules[0].Versions[0]
	require.Equal(t, 1, v1.Number)
	target, victim := v1.World.Keys[0], v1.World.Keys[1]
	var pinned bool
	for _, p := range f.Modules[0].Pins {
		pinned = pinned || p.Key == victim
	}

	for _, tk := range textKinds {
		t.Run(tk.name, func(t *testing.T) {
			var text bytes.Buffer
			require.NoError(t, tk.write(&text, f))
			doc := text.String()
			var edited string
			switch tk.name {
			case "xml":
				lines := strings.Split(doc, "\n")
				for i, l := range lines {
					switch {
					case strings.Contains(l, `<e key="`+keyText(target)+`"`):
						lines[i] = replaceAttr(l, "position.x", "-12.5")
					case strings.Contains(l, `<e key="`+keyText(victim)+`"`):
						// The deleted entity's line becomes a new one.
						lines[i] = `      <e position.x="1" position.y="2" velocity.x="3" velocity.y="-4"/>`
					}
				}
				edited = strings.Join(lines, "\n")
			case "json":
				lines := strings.Split(doc, "\n")
				for i, l := range lines {
					switch {
					case strings.Contains(l, `["`+keyText(target)+`"`):
						at := strings.Index(l, `"x":`) + 4
						end := at + strings.IndexAny(l[at:], ",}")
						lines[i] = l[:at] + "-12.5" + l[end:]
					case strings.Contains(l, `["`+keyText(victim)+`"`):
						comma := strings.HasSuffix(l, ",")
						lines[i] = `      ["new", {"position": {"x": 1, "y": 2}, "velocity": {"x": 3, "y": -4}}]`
						if comma {
							lines[i] += ","
						}
					}
				}
				edited = strings.Join(lines, "\n")
			}
			require.NotEqual(t, doc, edited)
			g, err := tk.read([]byte(edited))
			require.NoError(t, err)
			e := restored(t, cfg, g)

			ex, err := e.Peek(game, []ecs.Key{target})
			require.NoError(t, err)
			col := ex[1]
			assert.Equal(t, float32(-12.5), posOf(&col, 0).X, "the edited x")

			_, err = e.Locate(game, victim)
			assert.ErrorIs(t, err, versioning.ErrUnknownEntity, "the deleted entity is gone")
			pins, err := e.Pins(game)
			require.NoError(t, err)
			assert.NotContains(t, pins, victim)
			_ = pinned

			// The new entity got the key Spawn would give: the victim's slot
			// with its generation advanced.
			fresh := ecs.NewKey(victim.Index(), victim.Gen()+1)
			ver, err := e.Locate(game, fresh)
			require.NoError(t, err, "the added entity has key %s", keyText(fresh))
			assert.Equal(t, 1, ver)
			ex, err = e.Peek(game, []ecs.Key{fresh})
			require.NoError(t, err)
			col = ex[1]
			assert.Equal(t, float32(1), posOf(&col, 0).X)

			// The engine keeps working: spawn and tick.
			_, err = e.Spawn(game, 1, rows(rng, 3))
			require.NoError(t, err)
			require.NoError(t, e.Tick(frame))
		})
	}
}

func keyText(k ecs.Key) string { return string(appendKey(nil, k)) }

func posOf(c *ecs.Columns, row int) scenario.Vec2 { return ecs.Column(c, scenario.Position)[row] }

// TestHandEditExplicitKeys covers the other key table edits: an explicit
// fresh key in a free slot, a key beyond the table, a duplicate, and a
// stale generation.
func TestHandEditExplicitKeys(t *testing.T) {
	rng := newRand(t, 14)
	a, cfg := randomEngine(t, rng)
	f, err := ReadFile(encode(t, a))
	require.NoError(t, err)
	m := &f.Modules[0]
	require.NotEmpty(t, m.Free)
	freeSlot := m.Free[0]
	beyond := uint32(len(m.Gens) + 3)
	var x bytes.Buffer
	require.NoError(t, WriteXML(&x, f))
	doc := x.String()
	add := func(doc string, key string) string {
		return strings.Replace(doc, "<world>\n", "<world>\n      <e key=\""+key+"\" position.x=\"5\" position.y=\"6\" velocity.x=\"0\" velocity.y=\"0\"/>\n", 1)
	}
	k1 := ecs.NewKey(freeSlot, m.Gens[freeSlot]+5)
	k2 := ecs.NewKey(beyond, 1)
	g, err := readXML([]byte(add(add(doc, keyText(k1)), keyText(k2))))
	require.NoError(t, err)
	e := restored(t, cfg, g)
	for _, k := range []ecs.Key{k1, k2} {
		v, err := e.Locate(game, k)
		require.NoError(t, err, keyText(k))
		assert.Equal(t, 1, v)
	}
	// The slots skipped below `beyond` are free and usable.
	keys, err := e.Spawn(game, 1, rows(rng, len(m.Free)+4))
	require.NoError(t, err)
	assert.Len(t, keys, len(m.Free)+4)

	live := m.Versions[0].World.Keys[0]
	_, err = readXML([]byte(add(doc, keyText(live))))
	assert.Contains(t, textError(t, err).Msg, "used twice")
	stale := ecs.NewKey(live.Index(), live.Gen()+1)
	_, err = readXML([]byte(add(doc, keyText(stale))))
	te := textError(t, err)
	assert.Contains(t, te.Msg, "generation")
	assert.Positive(t, te.Line)
}

// TestXMLValidatesAgainstItsDTD runs xmllint --valid over the XML forms of
// a synthetic file and of an engine, when xmllint is installed.
func TestXMLValidatesAgainstItsDTD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed")
	}
	rng := newRand(t, 15)
	e, _ := randomEngine(t, rng)
	f, err := ReadFile(encode(t, e))
	require.NoError(t, err)
	dir := t.TempDir()
	for name, g := range map[string]*File{"synthetic": syntheticFile(rng, 5), "engine": f} {
		path := filepath.Join(dir, name+".xml")
		var x bytes.Buffer
		require.NoError(t, WriteXML(&x, g))
		require.NoError(t, os.WriteFile(path, x.Bytes(), 0o644))
		out, err := exec.Command(xmllint, "--valid", "--noout", path).CombinedOutput()
		assert.NoError(t, err, "%s", out)
		assert.Empty(t, string(out), "xmllint warnings")
		// An attribute the DTD does not declare is caught by the DTD too.
		bad := strings.Replace(x.String(), "<e ", "<e bogus=\"1\" ", 1)
		require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
		out, err = exec.Command(xmllint, "--valid", "--noout", path).CombinedOutput()
		assert.Error(t, err, "%s", out)
	}
}

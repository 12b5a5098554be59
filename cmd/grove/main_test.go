package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/persist"
)

const frame = time.Second / 60

type stillClock struct{ now atomic.Int64 }

func (c *stillClock) Now() time.Duration { return time.Duration(c.now.Load()) }

// engine builds an engine with three versions and some entities.
func engine(t *testing.T) *versioning.Engine {
	t.Helper()
	var clock stillClock
	e, err := versioning.New(versioning.WithClock(clock.Now))
	require.NoError(t, err)
	require.NoError(t, e.AddModule("game"))
	v3v, err := v3.New()
	require.NoError(t, err)
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}, v3v} {
		require.NoError(t, e.Register("game", v))
	}
	require.NoError(t, e.Load("game", 1))
	c := ecs.MakeColumns(v1.Layout, 40)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range pos {
		pos[i] = scenario.Vec2{X: float32(i) * 10, Y: 500}
		vel[i] = scenario.Vec2{X: 1, Y: -float32(i) / 7}
	}
	_, err = e.Spawn("game", 1, &c)
	require.NoError(t, err)
	require.NoError(t, e.Load("game", 3))
	require.NoError(t, e.SetSplit("game", map[int]float64{1: 0.25, 3: 0.75}))
	require.NoError(t, e.Tick(frame))
	return e
}

// grove runs the command line and returns its status and output.
func grove(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeSnapshot(t *testing.T, e *versioning.Engine, path string) []byte {
	t.Helper()
	s, err := e.Capture()
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, persist.WriteSnapshot(&b, s))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return b.Bytes()
}

func noTrace(t *testing.T, stderr string) {
	t.Helper()
	assert.NotContains(t, stderr, "goroutine ")
	assert.NotContains(t, stderr, ".go:")
}

func TestUsage(t *testing.T) {
	code, _, stderr := grove()
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "usage")
	code, _, stderr = grove("frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "unknown command")
	code, out, _ := grove("help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "inspect")
	assert.Contains(t, out, "convert")
	code, out, _ = grove("help", "convert")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "-to xml|json|bin")
	code, _, stderr = grove("convert", "-to", "yaml", "a", "b")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "yaml")
	code, _, _ = grove("inspect")
	assert.Equal(t, exitUsage, code)
	code, _, _ = grove("inspect", "-bogus", "x")
	assert.Equal(t, exitUsage, code)
}

func TestConvertRoundTripsByteIdentically(t *testing.T) {
	dir := t.TempDir()
	e := engine(t)
	bin := filepath.Join(dir, "world.grove")
	data := writeSnapshot(t, e, bin)
	for _, form := range []string{"xml", "json"} {
		text := filepath.Join(dir, "world."+form)
		code, _, stderr := grove("convert", "-to", form, bin, text)
		require.Equal(t, exitOK, code, stderr)
		back := filepath.Join(dir, "back-"+form+".grove")
		// -to inferred from the extension (anything else: bin).
		code, _, stderr = grove("convert", text, back)
		require.Equal(t, exitOK, code, stderr)
		got, err := os.ReadFile(back)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "bin → %s → bin is byte-identical", form)
	}
	// xml → json directly, and to standard output.
	code, out, stderr := grove("convert", "-to", "json", filepath.Join(dir, "world.xml"), "-")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(out, "{"))
	code, _, stderr = grove("convert", "-dtd", filepath.Join(dir, "world.dtd"), bin, filepath.Join(dir, "w2.xml"))
	require.Equal(t, exitOK, code, stderr)
	dtd, err := os.ReadFile(filepath.Join(dir, "world.dtd"))
	require.NoError(t, err)
	assert.Contains(t, string(dtd), "<!ATTLIST e")
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	e := engine(t)
	bin := filepath.Join(dir, "world.grove")
	writeSnapshot(t, e, bin)
	code, out, stderr := grove("inspect", bin)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"full snapshot", "frame 1", `module "game"`, "v1", "v3", "40 entities", "position", "float32"} {
		assert.Contains(t, out, want)
	}

	// A save directory: its saves, then the newest.
	saves := filepath.Join(dir, "saves")
	st, err := persist.NewStore(saves)
	require.NoError(t, err)
	for range 3 {
		s, err := e.Capture()
		require.NoError(t, err)
		_, err = st.Save(s)
		require.NoError(t, err)
		require.NoError(t, e.Tick(frame))
	}
	code, out, stderr = grove("inspect", saves)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "3 saves")
	assert.Contains(t, out, "delta on 1")
	assert.Contains(t, out, "save at frame 3")
	code, out, stderr = grove("inspect", "-frame", "2", saves)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "save at frame 2")
	code, _, stderr = grove("inspect", "-frame", "0", saves)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "no such save")

	// A save directory converts to text: its newest save, deltas applied.
	code, _, stderr = grove("convert", saves, filepath.Join(dir, "latest.json"))
	require.Equal(t, exitOK, code, stderr)
	// A delta file alone cannot become text.
	ents, _ := os.ReadDir(saves)
	for _, en := range ents {
		if strings.HasSuffix(en.Name(), ".delta.grove") {
			code, _, stderr = grove("convert", filepath.Join(saves, en.Name()), filepath.Join(dir, "d.xml"))
			assert.Equal(t, exitFailure, code)
			assert.Contains(t, stderr, "delta")
			code, out, _ = grove("inspect", filepath.Join(saves, en.Name()))
			assert.Equal(t, exitOK, code)
			assert.Contains(t, out, "delta against the save at frame")
			break
		}
	}
}

func TestDamageIsReportedWithoutTrace(t *testing.T) {
	dir := t.TempDir()
	e := engine(t)
	bin := filepath.Join(dir, "world.grove")
	data := writeSnapshot(t, e, bin)
	data[len(data)/2] ^= 0x10
	require.NoError(t, os.WriteFile(bin, data, 0o644))
	code, _, stderr := grove("inspect", bin)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "at byte")
	assert.Contains(t, stderr, "corrupt")
	noTrace(t, stderr)

	code, _, stderr = grove("convert", bin, filepath.Join(dir, "out.xml"))
	assert.Equal(t, exitFailure, code)
	noTrace(t, stderr)
	_, err := os.Stat(filepath.Join(dir, "out.xml"))
	assert.True(t, os.IsNotExist(err), "a failed conversion leaves no output")

	// A text error names the line and the field.
	good := filepath.Join(dir, "good.grove")
	writeSnapshot(t, e, good)
	x := filepath.Join(dir, "w.xml")
	code, _, stderr = grove("convert", good, x)
	require.Equal(t, exitOK, code, stderr)
	doc, err := os.ReadFile(x)
	require.NoError(t, err)
	bad := strings.Replace(string(doc), `velocity.y="`, `velocity.y="oops`, 1)
	require.NoError(t, os.WriteFile(x, []byte(bad), 0o644))
	code, _, stderr = grove("convert", x, filepath.Join(dir, "x.grove"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "line ")
	assert.Contains(t, stderr, "velocity.y")
	noTrace(t, stderr)

	require.NoError(t, os.WriteFile(x, []byte("hello"), 0o644))
	code, _, stderr = grove("inspect", x)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not a Grove snapshot")
}

func TestPanicIsAnInternalError(t *testing.T) {
	register(&command{name: "boom", summary: "panics", run: func(*cli, []string) error { panic("kaboom") }})
	defer delete(commands, "boom")
	code, _, stderr := grove("boom")
	assert.Equal(t, exitInternal, code)
	assert.Contains(t, stderr, "internal error")
	assert.Contains(t, stderr, "kaboom")
	noTrace(t, stderr)
}

package versioning

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opLog is a recorder that keeps a copy of every op it is given (ops
// borrow their slices).
type opLog struct{ ops []Op }

func (l *opLog) Record(op Op) {
	op.Keys = slices.Clone(op.Keys)
	op.Value = bytes.Clone(op.Value)
	op.Columns = nil
	l.ops = append(l.ops, op)
}

// since is the log's ops from the i-th on, as text: kind and module, and
// for commands and component writes their name, keys and payloads.
func (l *opLog) since(i int) []string {
	var out []string
	for _, op := range l.ops[i:] {
		switch op.Kind {
		case OpCommand, OpSetComponent:
			out = append(out, fmt.Sprintf("%v %s %s%s %v %v", op.Kind, op.Module, op.Name, op.Component, op.Keys, op.Value))
		default:
			out = append(out, fmt.Sprintf("%v %s", op.Kind, op.Module))
		}
	}
	return out
}

func nothing(*ecs.Columns, []byte) error { return nil }

// TestCommandsAreRecordedInRuns: consecutive commands (or component
// writes) on one module with the same name and payload size are one op,
// with their keys in call order and their payloads one after the other;
// anything else starts a new run, and every run reaches the recorder before
// the next other op, in call order.
func TestCommandsAreRecordedInRuns(t *testing.T) {
	var log opLog
	e := newEngine(t, WithRecorder(&log))
	for _, m := range []string{"a", "b"} {
		require.NoError(t, e.AddModule(m))
		require.NoError(t, e.Register(m, v1.Version{}))
		require.NoError(t, e.Load(m, 1))
		require.NoError(t, e.RegisterCommand(m, "push", nothing))
		require.NoError(t, e.RegisterCommand(m, "pull", nothing))
	}
	rng := newRand(t, 1)
	ka, err := e.Spawn("a", 1, v1Rows(rng, 4))
	require.NoError(t, err)
	kb, err := e.Spawn("b", 1, v1Rows(rng, 2))
	require.NoError(t, err)
	start := len(log.ops)

	cmd := func(m string, k ecs.Key, name string, p ...byte) { require.NoError(t, e.Command(m, k, name, p)) }
	cmd("a", ka[0], "push", 1, 2)
	cmd("a", ka[1], "push", 3, 4)
	cmd("a", ka[2], "push", 5, 6)
	cmd("a", ka[3], "push", 7) // another size
	cmd("a", ka[0], "pull", 8) // another command
	require.NoError(t, SetComponent(e, "a", ka[1], scenario.Velocity, scenario.Vec2{X: 2}))
	require.NoError(t, SetComponent(e, "a", ka[2], scenario.Velocity, scenario.Vec2{Y: 2}))
	assert.Len(t, log.ops, start, "runs wait for the next other op")
	cmd("b", kb[0], "push", 9) // another module
	cmd("a", ka[0], "pull", 10)
	require.Error(t, e.Command("a", ka[0], "nope", nil)) // refused: not recorded
	require.NoError(t, e.Tick(time.Second))

	vel := []byte{0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64} // (2, 0) and (0, 2) as float32
	want := []string{
		fmt.Sprintf("command a push %v [1 2 3 4 5 6]", ka[:3]),
		fmt.Sprintf("command a push %v [7]", ka[3:4]),
		fmt.Sprintf("command a pull %v [8]", ka[:1]),
		fmt.Sprintf("set-component a %s %v %v", scenario.Velocity.Name(), ka[1:3], vel),
		fmt.Sprintf("command b push %v [9]", kb[:1]),
		fmt.Sprintf("command a pull %v [10]", ka[:1]),
		"tick ",
	}
	got := log.since(start)
	require.GreaterOrEqual(t, len(got), len(want), "%q", got)
	assert.Equal(t, want, got[:len(want)])

	// A capture and Close hand over the pending runs first.
	start = len(log.ops)
	cmd("a", ka[1], "push", 1, 1)
	_, err = e.Capture()
	require.NoError(t, err)
	cmd("a", ka[2], "push", 2, 2)
	e.Close()
	assert.Equal(t, []string{
		fmt.Sprintf("command a push %v [1 1]", ka[1:2]),
		"capture ",
		fmt.Sprintf("command a push %v [2 2]", ka[2:3]),
	}, log.since(start))
}

// TestQueuedCommandsKeepTheirPayloads: payloads live in one buffer per
// module that is reused from frame to frame; each command still gets its
// own bytes, a capture keeps them, and a command that appends to its
// payload cannot reach the next one.
func TestQueuedCommandsKeepTheirPayloads(t *testing.T) {
	e := setup(t)
	keys := spawn(t, e, newRand(t, 2), 3)
	var got [][]byte
	require.NoError(t, e.RegisterCommand(game, "note", func(_ *ecs.Columns, p []byte) error {
		got = append(got, bytes.Clone(p))
		_ = append(p, 0xEE) // must not write the next payload
		return nil
	}))
	for frame := range 3 {
		for i, k := range keys {
			require.NoError(t, e.Command(game, k, "note", bytes.Repeat([]byte{byte(10*frame + i)}, i+1)))
		}
		if frame == 1 {
			s, err := e.Capture()
			require.NoError(t, err)
			require.Len(t, s.Modules[0].Commands, 3)
			assert.Equal(t, []byte{11, 11}, s.Modules[0].Commands[1].Payload)
		}
		require.NoError(t, e.Tick(time.Second))
	}
	require.Len(t, got, 9)
	for frame := range 3 {
		for i := range keys {
			assert.Equal(t, bytes.Repeat([]byte{byte(10*frame + i)}, i+1), got[3*frame+i], "frame %d, command %d", frame, i)
		}
	}
}

// panicky is a recorder that panics on the runs of commands.
type panicky struct{ opLog }

func (p *panicky) Record(op Op) {
	if op.Kind == OpCommand {
		panic("recorder on fire")
	}
	p.opLog.Record(op)
}

// TestARecorderThatPanicsIsReported: a recorder's panic, when a run of
// commands is handed over at a Tick or at Close, is an EventError wrapping
// a PanicError; the engine goes on, and the commands still apply.
func TestARecorderThatPanicsIsReported(t *testing.T) {
	var rec panicky
	e := newEngine(t, WithRecorder(&rec))
	var events collector
	e.Subscribe(events.listen)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Load(game, 1))
	applied := 0
	require.NoError(t, e.RegisterCommand(game, "count", func(*ecs.Columns, []byte) error { applied++; return nil }))
	keys := spawn(t, e, newRand(t, 4), 2)
	for _, k := range keys {
		require.NoError(t, e.Command(game, k, "count", nil))
	}
	require.NoError(t, e.Tick(time.Second))
	assert.Equal(t, 2, applied)
	require.NoError(t, e.Command(game, keys[0], "count", nil))
	e.Close()
	var panics int
	for _, ev := range events.of(EventError) {
		var pe *PanicError
		if assert.ErrorAs(t, ev.Err, &pe) {
			panics++
		}
	}
	assert.Equal(t, 2, panics, "one at the Tick, one at Close")
	assert.Equal(t, OpTick, rec.ops[len(rec.ops)-1].Kind, "the ops after the panic are recorded")
}

// TestReadFrameIsTheReadersInOneCall: ReadFrame returns what Now, Frame,
// LastFrame, Split and State return, reuses the caller's slice and maps
// without allocating, and refuses an unknown module.
func TestReadFrameIsTheReadersInOneCall(t *testing.T) {
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	spawn(t, e, newRand(t, 5), 50)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.4, 2: 0.6}))
	var v FrameView
	for range 3 {
		require.NoError(t, e.Tick(time.Second))
		require.NoError(t, e.ReadFrame(game, &v))
		assert.Equal(t, e.Now(), v.Now)
		assert.Equal(t, e.Frame(), v.Frame)
		last, err := e.LastFrame(game)
		require.NoError(t, err)
		assert.Equal(t, last, v.Last)
		split, err := e.Split(game)
		require.NoError(t, err)
		assert.Equal(t, split, v.Weights)
		for _, n := range []int{1, 2, 3} {
			st, err := e.State(game, n)
			require.NoError(t, err)
			assert.Equal(t, st, v.States[n], "v%d", n)
		}
		assert.Len(t, v.States, 3)
	}
	allocs := testing.AllocsPerRun(20, func() { _ = e.ReadFrame(game, &v) })
	assert.Zero(t, allocs)
	before := v
	assert.ErrorIs(t, e.ReadFrame("nope", &v), ErrUnknownModule)
	assert.Equal(t, before.Frame, v.Frame, "an error leaves v as it was")
}

// call is one successful Command or SetComponent call, as a test made it
// or as a recorder's runs give it back.
type call struct {
	module, name, comp string
	key                ecs.Key
	payload            string
}

// expand turns the log's command and component ops back into calls.
func (l *opLog) expand(from int) []call {
	var out []call
	for _, op := range l.ops[from:] {
		if op.Kind != OpCommand && op.Kind != OpSetComponent {
			continue
		}
		size := len(op.Value) / len(op.Keys)
		for i, k := range op.Keys {
			out = append(out, call{op.Module, op.Name, op.Component, k, string(op.Value[i*size : (i+1)*size])})
		}
	}
	return out
}

// TestRunsGiveBackEveryCall: over random sequences of commands and
// component writes on two modules (names and payload sizes drawn at
// random, refused calls among them), with ticks and captures between,
// the recorder's runs expand to exactly the successful calls, in order,
// each run in one frame, and no run follows an op recorded after it.
func TestRunsGiveBackEveryCall(t *testing.T) {
	rng := newRand(t, 6)
	for trial := range 40 {
		var log opLog
		e := newEngine(t, WithRecorder(&log))
		keys := map[string][]ecs.Key{}
		for _, m := range []string{"a", "b"} {
			require.NoError(t, e.AddModule(m))
			require.NoError(t, e.Register(m, v1.Version{}))
			require.NoError(t, e.Load(m, 1))
			for _, n := range []string{"x", "y"} {
				require.NoError(t, e.RegisterCommand(m, n, nothing))
			}
			k, err := e.Spawn(m, 1, v1Rows(rng, 5))
			require.NoError(t, err)
			keys[m] = k
		}
		start := len(log.ops)
		var want []call
		for range 200 {
			m := []string{"a", "b"}[rng.IntN(2)]
			k := keys[m][rng.IntN(5)]
			switch r := rng.IntN(20); {
			case r == 0:
				require.NoError(t, e.Tick(time.Second))
			case r == 1:
				_, err := e.Capture()
				require.NoError(t, err)
			case r == 2:
				require.Error(t, e.Command(m, k, "nope", []byte{1}))
			case r < 7:
				v := scenario.Vec2{X: float32(rng.IntN(9))}
				require.NoError(t, SetComponent(e, m, k, scenario.Velocity, v))
				b := binary.LittleEndian.AppendUint32(nil, math.Float32bits(v.X))
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v.Y))
				want = append(want, call{module: m, comp: scenario.Velocity.Name(), key: k, payload: string(b)})
			default:
				p := make([]byte, rng.IntN(3))
				for i := range p {
					p[i] = byte(rng.IntN(256))
				}
				n := []string{"x", "y"}[rng.IntN(2)]
				require.NoError(t, e.Command(m, k, n, p))
				want = append(want, call{module: m, name: n, key: k, payload: string(p)})
			}
		}
		e.Close()
		got := log.expand(start)
		require.Len(t, got, len(want), "trial %d", trial)
		require.Equal(t, want, got, "trial %d", trial)
		// Frames never go back: every run is in the frame of its calls.
		for i := start + 1; i < len(log.ops); i++ {
			require.GreaterOrEqual(t, log.ops[i].Frame, log.ops[i-1].Frame, "trial %d, op %d", trial, i)
		}
	}
}

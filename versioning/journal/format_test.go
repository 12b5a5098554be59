package journal

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
)

// fullOp has every field set.
func fullOp(kind versioning.OpKind) versioning.Op {
	cols := ecs.MakeColumns(v2.Layout, 3)
	pos := ecs.Column(&cols, scenario.Position)
	pos[1] = scenario.Vec2{X: float32(math.Inf(-1)), Y: math.Float32frombits(0x7fc00001)} // a NaN payload
	ecs.Column(&cols, scenario.Collided)[2] = true
	for i := range cols.Keys {
		cols.Keys[i] = ecs.NewKey(uint32(i), 7)
	}
	return versioning.Op{
		Kind: kind, Frame: 1 << 40, Module: "módulo", Version: -3, Dt: -time.Nanosecond,
		Weights: map[int]float64{1: 0.25, 3: math.Nextafter(0.75, 1)}, Keys: []ecs.Key{1, math.MaxUint64},
		Columns: &cols, Component: "velocity", Name: "push", Value: []byte{0, 1, 2},
		Config: arm{Kind: "nan"}, Deps: []string{"a", ""}, GCAfter: time.Hour, Fallback: 2,
		Policy: versioning.FailurePolicy{MaxRate: 0.1, Window: time.Second, MinSteps: 5, MaxConsecutive: 2},
		Phase:  "serve", Cause: "budget", Err: errors.New("versioning: slow"),
		Sum: 0xdeadbeef,
	}
}

// TestRoundTrip encodes every kind with every field set, and zero ops,
// and decodes them back.
func TestRoundTrip(t *testing.T) {
	for k := versioning.OpTick; k <= versioning.OpGC; k++ {
		for _, op := range []versioning.Op{fullOp(k), {Kind: k, Frame: 9}} {
			var cfg *RawConfig
			if op.Config != nil {
				raw, err := testConfigs.Encode(op.Config)
				require.NoError(t, err)
				cfg = &raw
			}
			body := appendOp(nil, &op, cfg, nil)
			recs, err := decodeBlock(block{frame: op.Frame, count: 1, n: len(body), body: body}, "f", testConfigs)
			require.NoError(t, err)
			require.Len(t, recs, 1)
			got := recs[0]
			if op.Columns != nil {
				require.NotNil(t, got.Spawn)
				c, err := got.Spawn.Columns(v2.Layout)
				require.NoError(t, err)
				assert.True(t, ecs.Equal(op.Columns, &c), "columns bit for bit")
				assert.Equal(t, op.Config, got.Op.Config)
				require.NotNil(t, got.Config)
				assert.Equal(t, "test.arm", got.Config.Codec)
				assert.Equal(t, op.Err.Error(), got.Op.Err.Error())
				assert.ErrorIs(t, got.Op.Err, versioning.ErrFrameBudget, "the cause's sentinel")
				got.Op.Err, op.Err = nil, nil
			}
			op.Columns = nil
			assert.Equal(t, op, got.Op, "%v", k)
		}
	}
	cp := &Checkpoint{Frame: 5, Known: true, Modules: []ModuleVersions{{Name: "a", Versions: []int{1, 2}}, {Name: "b", Versions: []int{}}}}
	body := appendCheckpoint(nil, cp)
	recs, err := decodeBlock(block{frame: 5, count: 1, n: len(body), body: body}, "f", nil)
	require.NoError(t, err)
	assert.Equal(t, cp.Modules[0], recs[0].Checkpoint.Modules[0])
	assert.Empty(t, recs[0].Checkpoint.Modules[1].Versions)
}

func TestRawColumnsMustFitTheLayout(t *testing.T) {
	op := fullOp(versioning.OpSpawn)
	raw := rawOf(op.Columns)
	_, err := raw.Columns(scenarioLayout1())
	assert.ErrorIs(t, err, ErrEngine)
}

func scenarioLayout1() *ecs.Layout { return ecs.MustLayout(scenario.Position, scenario.Velocity) }

func TestConfigs(t *testing.T) {
	c := NewConfigs()
	require.NoError(t, RegisterJSON[arm](c, "arm"))
	require.NoError(t, RegisterJSON[arm](c, "arm"), "again")
	assert.ErrorIs(t, RegisterJSON[int](c, "arm"), ErrConfig)
	assert.ErrorIs(t, RegisterJSON[arm](c, "other"), ErrConfig)
	assert.ErrorIs(t, RegisterJSON[arm](c, nilCodec), ErrConfig)
	raw, err := c.Encode(arm{Kind: "x"})
	require.NoError(t, err)
	v, err := c.Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, arm{Kind: "x"}, v)
	raw, err = c.Encode(nil)
	require.NoError(t, err)
	v, err = c.Decode(raw)
	require.NoError(t, err)
	assert.Nil(t, v)
	// An unregistered type is kept as JSON under its Go name, but cannot
	// be rebuilt.
	raw, err = c.Encode(struct{ A int }{3})
	require.NoError(t, err)
	assert.JSONEq(t, `{"A":3}`, string(raw.Data))
	_, err = c.Decode(raw)
	assert.ErrorIs(t, err, ErrConfig)
	_, err = c.Encode(func() {})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = c.Decode(RawConfig{Codec: "arm", Data: []byte("{")})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = c.Decode(RawConfig{Codec: failedCodec, Data: []byte("boom")})
	assert.ErrorIs(t, err, ErrConfig)
	require.NoError(t, c.Register(ConfigCodec{Name: "p", Type: typeOf[int](), Decode: func([]byte) (any, error) { panic("x") }}))
	_, err = c.Decode(RawConfig{Codec: "p"})
	assert.ErrorIs(t, err, ErrConfig)
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// TestEntityOpEncoding: the encoder of commands and component writes gives
// appendOp's bytes, for random ops and whatever its cache holds.
func TestEntityOpEncoding(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var h entityHead
	for i := range 2000 {
		op := versioning.Op{Kind: versioning.OpCommand, Frame: 9, Module: pick("m", "module", strings.Repeat("x", 200))}
		if rng.IntN(2) == 0 {
			op.Kind, op.Component = versioning.OpSetComponent, pick("velocity", "health", "")
		} else {
			op.Name = pick("push", "pull", "")
		}
		for range 1 + rng.IntN(3) {
			op.Keys = append(op.Keys, ecs.Key(rng.Uint64()))
		}
		size := pick("", "p", "payload", strings.Repeat("v", 150))
		for range op.Keys {
			op.Value = append(op.Value, size...)
		}
		require.True(t, entityOp(&op))
		want := appendOp([]byte{7}, &op, nil, nil)
		got := appendEntityOp([]byte{7}, &op, &h)
		require.Equal(t, want, got, "op %d: %+v (seed %d)", i, op, seed)
	}
	not := []versioning.Op{
		{Kind: versioning.OpTick, Module: "m", Keys: []ecs.Key{1}},
		{Kind: versioning.OpCommand, Module: "m"},
		{Kind: versioning.OpCommand, Keys: []ecs.Key{1}},
		{Kind: versioning.OpCommand, Module: "m", Keys: []ecs.Key{1}, Version: 2},
		{Kind: versioning.OpCommand, Module: "m", Keys: []ecs.Key{1}, Err: errors.New("x")},
		{Kind: versioning.OpSetComponent, Module: "m", Keys: []ecs.Key{1}, Sum: 1},
	}
	for _, op := range not {
		assert.False(t, entityOp(&op), "%+v", op)
	}
}

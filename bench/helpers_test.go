package bench

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

// frame is the simulated time step every benchmark uses: 60 frames per second.
const frame = time.Second / 60

// entities returns n entities in v1's layout, spread over the [0, 1000]²
// world with small velocities, from a fixed seed.
func entities(n int) *ecs.Columns {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	return &c
}

// versions returns v1, v2 and v3 (default options).
func versions(tb testing.TB) []versioning.Version {
	v3v, err := v3.New()
	if err != nil {
		tb.Fatal(err)
	}
	return []versioning.Version{v1.Version{}, v2.Version{}, v3v}
}

// engine builds an engine with module "game", v1..v3 registered, the given
// versions loaded, and n entities spawned onto the first loaded version.
func engine(tb testing.TB, n int, load []int, opts ...versioning.Option) *versioning.Engine {
	tb.Helper()
	e, err := versioning.New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	must(tb, e.AddModule("game"))
	for _, v := range versions(tb) {
		must(tb, e.Register("game", v))
	}
	for _, v := range load {
		must(tb, e.Load("game", v))
	}
	if _, err := e.Spawn("game", 1, entities(n)); err != nil {
		tb.Fatal(err)
	}
	return e
}

func must(tb testing.TB, err error) {
	if err != nil { // Helper only then: it costs a stack walk, and loops call must
		tb.Helper()
		tb.Fatal(err)
	}
}

// perEntity reports the benchmark's time per entity per operation.
func perEntity(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entity")
}

// world builds a world of the given version's layout holding n entities.
func world(tb testing.TB, v versioning.Version, n int) *ecs.World {
	tb.Helper()
	src := entities(n)
	for i := range src.Keys {
		src.Keys[i] = ecs.NewKey(uint32(i), 1)
	}
	var c ecs.Columns
	c.Reset(v.Components())
	must(tb, ecs.MigrateRows(&c, src, nil)) // v1's layout, derived into v's
	w, err := ecs.NewWorld(v.Components(), n)
	must(tb, err)
	must(tb, w.Append(&c))
	return w
}

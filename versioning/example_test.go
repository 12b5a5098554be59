package versioning_test

import (
	"fmt"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
)

// rows builds n v1 entities in a line, all moving right.
func rows(n int) *ecs.Columns {
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: float32(i), Y: 500}
		vel[i] = scenario.Vec2{X: 1}
	}
	return &c
}

// newEngine creates an engine without a frame budget: a budget is wall
// time, and an example's output must not depend on how fast the machine
// running it is.
func newEngine() (*versioning.Engine, error) {
	return versioning.New(versioning.WithFrameBudget(0))
}

func printCounts(e *versioning.Engine) {
	mm, err := e.Metrics("game")
	if err != nil {
		panic(err)
	}
	for _, v := range mm.Versions {
		fmt.Printf("  v%d (%v): %d entities, %.0f%% of traffic\n", v.Version, v.State, v.Entities, 100*v.Traffic)
	}
}

// Example links the engine into a game loop: v2 is rolled out as a 10%
// canary next to v1, then takes all traffic, and v1, idle, is collected.
func Example() {
	e, err := newEngine()
	if err != nil {
		panic(err)
	}
	e.Subscribe(func(ev versioning.Event) {
		switch ev.Kind {
		case versioning.EventMigration:
			fmt.Printf("event: %d entities migrated v%d→v%d\n", ev.Entities, ev.From, ev.To)
		case versioning.EventGC:
			fmt.Printf("event: v%d collected after %v idle\n", ev.Version, ev.IdleFor.Round(time.Second))
		}
	})
	// Versions idle for 10s of game time are unloaded automatically.
	if err := e.AddModule("game", versioning.AutoGC(10*time.Second)); err != nil {
		panic(err)
	}
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}} {
		if err := e.Register("game", v); err != nil {
			panic(err)
		}
	}
	if err := e.Load("game", 1); err != nil { // the first version takes all traffic
		panic(err)
	}
	if _, err := e.Spawn("game", 1, rows(100)); err != nil {
		panic(err)
	}

	// Canary: v2 gets exactly 10% of the entities.
	if err := e.Load("game", 2); err != nil {
		panic(err)
	}
	if err := e.SetSplit("game", map[int]float64{1: 0.9, 2: 0.1}); err != nil {
		panic(err)
	}

	// The game loop: one Tick per frame at 60 fps.
	const dt = time.Second / 60
	loop := func(d time.Duration) {
		for range d / dt {
			if err := e.Tick(dt); err != nil {
				panic(err)
			}
		}
	}
	loop(time.Second)
	fmt.Println("after 1s of canary:")
	printCounts(e)

	// The canary looks healthy: roll out v2 fully.
	if err := e.SetSplit("game", map[int]float64{2: 1}); err != nil {
		panic(err)
	}
	loop(11 * time.Second)
	fmt.Println("after the rollout:")
	printCounts(e)

	// Output:
	// event: 10 entities migrated v1→v2
	// after 1s of canary:
	//   v1 (active): 90 entities, 90% of traffic
	//   v2 (active): 10 entities, 10% of traffic
	// event: 90 entities migrated v1→v2
	// event: v1 collected after 10s idle
	// after the rollout:
	//   v2 (active): 100 entities, 100% of traffic
}

// ExampleEngine_SetSplit shows that routing is exact, sticky and honours
// pins.
func ExampleEngine_SetSplit() {
	e, err := newEngine()
	if err != nil {
		panic(err)
	}
	if err := e.AddModule("game"); err != nil {
		panic(err)
	}
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}} {
		if err := e.Register("game", v); err != nil {
			panic(err)
		}
		if err := e.Load("game", v.Number()); err != nil {
			panic(err)
		}
	}
	keys, err := e.Spawn("game", 1, rows(100))
	if err != nil {
		panic(err)
	}

	// 29% of 100 is 29 entities exactly, although 0.29 is not exact in
	// binary.
	if err := e.SetSplit("game", map[int]float64{1: 0.71, 2: 0.29}); err != nil {
		panic(err)
	}
	printCounts(e)

	// A pinned entity stays where it is pinned and is left out of the split.
	if err := e.Pin("game", keys[0], 2); err != nil {
		panic(err)
	}
	if err := e.SetSplit("game", map[int]float64{1: 1}); err != nil {
		panic(err)
	}
	v, err := e.Locate("game", keys[0])
	if err != nil {
		panic(err)
	}
	fmt.Printf("pinned entity on v%d\n", v)
	printCounts(e)

	// Output:
	//   v1 (active): 71 entities, 71% of traffic
	//   v2 (active): 29 entities, 29% of traffic
	// pinned entity on v2
	//   v1 (active): 99 entities, 100% of traffic
	//   v2 (draining): 1 entities, 0% of traffic
}

// ExampleEngine_PlanSplit previews a split: which entities would move where,
// and what each version would hold. Nothing changes until SetSplit.
func ExampleEngine_PlanSplit() {
	e, err := newEngine()
	if err != nil {
		panic(err)
	}
	if err := e.AddModule("game"); err != nil {
		panic(err)
	}
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}} {
		if err := e.Register("game", v); err != nil {
			panic(err)
		}
		if err := e.Load("game", v.Number()); err != nil {
			panic(err)
		}
	}
	if _, err := e.Spawn("game", 1, rows(10)); err != nil {
		panic(err)
	}
	plan, err := e.PlanSplit("game", map[int]float64{1: 0.75, 2: 0.25})
	if err != nil {
		panic(err)
	}
	// 0.25 of 10 is 2.5: v2 gets 2 or 3. v1 holds the seat already, so it
	// keeps it: only the entities that must move do.
	fmt.Println("quota:", plan.Quota)
	for _, mv := range plan.Moves {
		fmt.Printf("move %d entities v%d→v%d\n", len(mv.Keys), mv.From, mv.To)
	}
	split, err := e.Split("game")
	if err != nil {
		panic(err)
	}
	fmt.Println("split still:", split)

	// Output:
	// quota: map[1:8 2:2]
	// move 2 entities v1→v2
	// split still: map[1:1]
}

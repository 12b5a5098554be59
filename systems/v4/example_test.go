package v4_test

import (
	"fmt"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	v4 "github.com/grove-engine/grove/systems/v4"
	"github.com/grove-engine/grove/versioning"
)

// A game's own version beside Grove's three: v4 adds a Health component and
// keeps its mass as a float64. It is registered and split like any other;
// entities reach it from v1 through v3's migrations.
func Example() {
	e, _ := versioning.New()
	_ = e.AddModule("game")
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}, v3.Version{}, v4.Version{}} {
		if err := e.Register("game", v); err != nil {
			fmt.Println(err)
			return
		}
	}
	for n := 1; n <= 4; n++ {
		_ = e.Load("game", n)
	}
	c := ecs.MakeColumns(v1.Layout, 100)
	for i, p := range ecs.Column(&c, scenario.Position) {
		_ = p
		ecs.Column(&c, scenario.Position)[i] = scenario.Vec2{X: float32(10 * i), Y: 500}
	}
	keys, _ := e.Spawn("game", 1, &c)
	_ = e.SetSplit("game", map[int]float64{1: 0.2, 2: 0.3, 3: 0.3, 4: 0.2})
	for range 60 {
		_ = e.Tick(time.Second / 60)
	}
	m, _ := e.Metrics("game")
	for _, v := range m.Versions {
		fmt.Printf("v%d: %d entities, %d frames\n", v.Version, v.Entities, v.Frames)
	}
	state, _ := e.Peek("game", keys[len(keys)-1:])
	for ver, s := range state {
		fmt.Printf("the last entity is on v%d with %v health\n", ver, ecs.Column(&s, v4.HealthC)[0])
	}
	// Output:
	// v1: 20 entities, 60 frames
	// v2: 30 entities, 60 frames
	// v3: 30 entities, 60 frames
	// v4: 20 entities, 60 frames
	// the last entity is on v4 with {100 1} health
}

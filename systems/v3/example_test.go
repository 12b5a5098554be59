package v3_test

import (
	"fmt"

	"github.com/grove-engine/grove/ecs"
	v3 "github.com/grove-engine/grove/systems/v3"
)

func Example() {
	// Entities of radius 1 touch when their centres are at most 2 apart.
	v, err := v3.New(v3.WithRadius(1))
	if err != nil {
		panic(err)
	}
	logic, err := v.NewLogic()
	if err != nil {
		panic(err)
	}
	w, err := ecs.NewWorld(v.Components(), 0)
	if err != nil {
		panic(err)
	}
	rows := ecs.Columns{
		Mask: v.Components(),
		Keys: []ecs.Key{ecs.NewKey(0, 0), ecs.NewKey(1, 0), ecs.NewKey(2, 0), ecs.NewKey(3, 0)},
		Position: []ecs.Position{
			{X: 10, Y: 10},   // 0 and 1 are 1.5 apart: they touch
			{X: 11.5, Y: 10}, // (default gravity moves both alike)
			{X: 500, Y: 500}, // 2 is alone, well inside the bounds
			{X: -5, Y: 20},   // 3 is outside the bounds
		},
		Velocity: make([]ecs.Velocity, 4),
		Collided: make([]ecs.Collided, 4),
		Mass:     []ecs.Mass{1, 1, 1, 1},
	}
	if err := w.Append(&rows); err != nil {
		panic(err)
	}

	const dt = 0.1
	for _, sys := range logic.Schedule() {
		if err := sys.Run(w, dt); err != nil {
			panic(err)
		}
	}

	c := w.Columns()
	for i, k := range c.Keys {
		fmt.Printf("entity %d: y=%.3f collided=%v\n", k.Index(), c.Position[i].Y, c.Collided[i])
	}
	fmt.Println("pairs:", logic.(*v3.Logic).Metrics()["pairs"])
	// Output:
	// entity 0: y=10.098 collided=true
	// entity 1: y=10.098 collided=true
	// entity 2: y=500.098 collided=false
	// entity 3: y=20.098 collided=true
	// pairs: 1
}

package v3_test

import (
	"fmt"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
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

	// Four rows in v3's layout, holding its defaults: zero velocity,
	// collided false, mass 1.
	rows := ecs.MakeColumns(v.Components(), 4)
	for i := range rows.Keys {
		rows.Keys[i] = ecs.NewKey(uint32(i), 0)
	}
	copy(ecs.Column(&rows, scenario.Position), []scenario.Vec2{
		{X: 10, Y: 10},   // 0 and 1 are 1.5 apart: they touch
		{X: 11.5, Y: 10}, // (default gravity moves both alike)
		{X: 500, Y: 500}, // 2 is alone, well inside the bounds
		{X: -5, Y: 20},   // 3 is outside the bounds
	})
	if err := w.Append(&rows); err != nil {
		panic(err)
	}

	// One frame: the engine runs the schedule on the world's View.
	const dt = 0.1
	for _, sys := range logic.Schedule() {
		if err := sys.Run(w.View(), dt); err != nil {
			panic(err)
		}
	}

	c := w.Columns()
	pos, col, mass := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Collided), ecs.Column(&c, scenario.Mass)
	for i, k := range c.Keys {
		fmt.Printf("entity %d: y=%.3f collided=%v mass=%v\n", k.Index(), pos[i].Y, col[i], mass[i])
	}
	metrics := map[string]float64{}
	logic.(*v3.Logic).ReportMetrics(metrics)
	fmt.Println("pairs:", metrics["pairs"])
	// Output:
	// entity 0: y=10.098 collided=true mass=1
	// entity 1: y=10.098 collided=true mass=1
	// entity 2: y=500.098 collided=false mass=1
	// entity 3: y=20.098 collided=true mass=1
	// pairs: 1
}

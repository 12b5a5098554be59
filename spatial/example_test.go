package spatial_test

import (
	"fmt"
	"slices"

	"github.com/grove-engine/grove/spatial"
)

func ExampleGrid_Pairs() {
	// Four entities of radius 1: 0 and 1 touch exactly, 2 overlaps 1, 3 is alone.
	pos := []float32{
		0, 0,
		2, 0,
		3, 1,
		10, 10,
	}
	var g spatial.Grid
	if err := g.Build(pos, 2); err != nil { // cell = 2*radius
		panic(err)
	}
	pairs, err := g.Pairs(nil, 1)
	if err != nil {
		panic(err)
	}
	slices.SortFunc(pairs, func(a, b spatial.Pair) int { return int(a.A-b.A)*1000 + int(a.B-b.B) })
	fmt.Println(pairs)
	// Output: [{0 1} {1 2}]
}

func ExampleGrid_Neighbors() {
	pos := []float32{0, 0, 1, 1, 5, 5}
	var g spatial.Grid
	if err := g.Build(pos, 2); err != nil {
		panic(err)
	}
	near, err := g.Neighbors(nil, 0.5, 0.5, 1)
	if err != nil {
		panic(err)
	}
	slices.Sort(near)
	fmt.Println(near, g.Len(), g.Skipped())
	// Output: [0 1] 3 0
}

package spatial_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

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

// taskRunner runs each task on a goroutine of its own: the simplest
// [spatial.Runner]. Grove's engine passes its worker pool instead, which
// keeps its goroutines and allocates nothing per run.
type taskRunner struct{}

func (taskRunner) Run(tasks int, fn func(task int)) error {
	var wg sync.WaitGroup
	for t := range tasks {
		wg.Go(func() { fn(t) })
	}
	wg.Wait()
	return nil
}

func ExampleGrid_SetRunner() {
	// 100,000 entities on a jittered lattice, searched in parallel parts and
	// serially: the same pairs, in the same order.
	rng := rand.New(rand.NewPCG(1, 2))
	pos := make([]float32, 0, 200000)
	for i := range 100000 {
		pos = append(pos, float32(i%316)*2+rng.Float32(), float32(i/316)*2+rng.Float32())
	}
	var parallel, serial spatial.Grid
	parallel.SetRunner(taskRunner{})
	var pairs [2][]spatial.Pair
	for k, g := range []*spatial.Grid{&parallel, &serial} {
		if err := g.Build(pos, 2); err != nil {
			panic(err)
		}
		p, err := g.Pairs(nil, 1)
		if err != nil {
			panic(err)
		}
		pairs[k] = p
	}
	fmt.Println(len(pairs[0]) > 0, slices.Equal(pairs[0], pairs[1]))
	// Output: true true
}

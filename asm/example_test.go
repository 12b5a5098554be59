package asm_test

import (
	"fmt"
	"math"

	"github.com/grove-engine/grove/asm"
)

func ExampleIntegrate() {
	p := []float32{0, 0, 10, 10} // two entities: (0, 0) and (10, 10)
	v := []float32{1, 2, -1, -2}
	asm.Integrate(p, v, 0.5)
	fmt.Println(p)
	// Output: [0.5 1 9.5 9]
}

func ExampleGravity() {
	p := []float32{0, 10}
	v := []float32{2, 0}
	asm.Gravity(p, v, 0, -10, 0.5) // v += (0, -5), then p += v·0.5
	fmt.Println(p, v)
	// Output: [1 7.5] [2 -5]
}

func ExampleBounds() {
	p := []float32{
		0, 0,
		1, -1, // on the edge: inside
		2, 0,
		float32(math.NaN()), 0, // NaN: outside
	}
	flags := make([]bool, 4)
	asm.Bounds(flags, p, -1, 1)
	fmt.Println(flags)
	// Output: [false false true true]
}

func ExampleFirstNonFinite() {
	x := []float32{1, 2, float32(math.Inf(1)), float32(math.NaN())}
	fmt.Println(asm.FirstNonFinite(x), asm.FirstNonFinite(x[:2]))
	// Output: 2 -1
}

func ExampleImpls() {
	// Run every implementation this CPU has side by side.
	for _, im := range asm.Impls() {
		p, v := []float32{1, 2}, []float32{3, 4}
		im.Integrate(p, v, 1)
		fmt.Println(im.Name, p)
	}
}

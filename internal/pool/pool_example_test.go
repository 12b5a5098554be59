package pool_test

import (
	"fmt"

	"github.com/grove-engine/grove/internal/pool"
)

func ExamplePool_Run() {
	p := pool.New(4)
	defer p.Close()
	squares := make([]int, 10)
	if err := p.Run(len(squares), func(task int) { squares[task] = task * task }); err != nil {
		panic(err)
	}
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

func ExamplePool_For() {
	// A float32 sum whose rounding does not depend on timing: one partial
	// sum per chunk, added in chunk order. The chunks depend only on n, the
	// grain and the worker count.
	p := pool.New(4)
	defer p.Close()
	xs := make([]float32, 100000)
	for i := range xs {
		xs[i] = 0.1
	}
	size, count := p.Chunks(len(xs), 16)
	partial := make([]float32, count)
	if err := p.For(len(xs), 16, func(lo, hi int) {
		var s float32
		for _, x := range xs[lo:hi] {
			s += x
		}
		partial[lo/size] = s
	}); err != nil {
		panic(err)
	}
	var sum float32
	for _, s := range partial {
		sum += s
	}
	fmt.Println(count, sum)
	// Output: 16 9999.912
}

func ExamplePanicError() {
	p := pool.New(2)
	defer p.Close()
	err := p.Run(8, func(task int) {
		if task%3 == 2 {
			panic(fmt.Sprintf("task %d failed", task))
		}
	})
	fmt.Println(err)
	// Output: pool: panic in task 2: task 2 failed
}

package pool

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkRun measures the overhead of one Run of empty tasks: handing them
// out, waking helpers and waiting for them.
func BenchmarkRun(b *testing.B) {
	for _, w := range []int{1, 2, 4, 8} {
		for _, tasks := range []int{1, 2, 8, 64} {
			b.Run(fmt.Sprintf("workers=%d/tasks=%d", w, tasks), func(b *testing.B) {
				p := New(w)
				defer p.Close()
				var n atomic.Int64
				fn := func(int) { n.Add(1) }
				b.ReportAllocs()
				for b.Loop() {
					if err := p.Run(tasks, fn); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tasks), "ns/task")
			})
		}
	}
}

// BenchmarkFor measures For over a memory-bound loop (x[i] += 1 on float32s)
// against the same loop on the caller alone.
func BenchmarkFor(b *testing.B) {
	for _, n := range []int{1000, 100000, 10000000} {
		for _, impl := range []string{"serial", "pool"} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", impl, n), func(b *testing.B) {
				x := make([]float32, n)
				body := func(lo, hi int) {
					s := x[lo:hi]
					for i := range s {
						s[i]++
					}
				}
				body(0, n) // fault the pages in
				var p *Pool
				if impl == "pool" {
					p = New(0)
					defer p.Close()
				}
				b.SetBytes(int64(4 * n))
				b.ReportAllocs()
				for b.Loop() {
					if err := p.For(n, 16, body); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/element")
			})
		}
	}
}

package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grove-engine/grove/internal/pool"
	"github.com/grove-engine/grove/spatial"
)

// Broad-phase benchmarks at constant density: radius 2, world side 5·√n, so
// 1/25 entity per unit² and on average π·(2r)²/25 ≈ 2.0 neighbours per entity
// (≈ 1.0 pair per entity). The grid uses cell = 2·radius = 4 and is measured
// for Build + Pairs (all pairs) per iteration; brute force for BrutePairs.
// grid-outliers is the grid on the same world with 1% of the entities thrown
// 1e6 to 1e9 away (see outlierPositions). Both grids run their parts on a
// worker pool of GOMAXPROCS workers, so
//
//	go test -run '^$' -bench Pairs -cpu 1,2 ./bench/
//
// shows how they scale with cores; brute force stays on one.

const (
	benchRadius = 2
	benchSpread = 5 // world side = benchSpread·√n
)

func benchPositions(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	side := float32(benchSpread * math.Sqrt(float64(n)))
	pos := make([]float32, 2*n)
	for i := range pos {
		pos[i] = rng.Float32() * side
	}
	return pos
}

// outlierPositions is benchPositions with 1% of the entities moved to random
// directions at distances from 1e6 to 1e9 (log-uniform) from the world: the
// layout that stretches a grid's bounding box, as v3's falling entities do.
func outlierPositions(n int) []float32 {
	pos := benchPositions(n)
	rng := rand.New(rand.NewPCG(2, uint64(n)))
	for i := 0; i < n; i += 100 {
		d := math.Pow(10, 6+3*rng.Float64())
		a := 2 * math.Pi * rng.Float64()
		pos[2*i] = float32(d * math.Cos(a))
		pos[2*i+1] = float32(d * math.Sin(a))
	}
	return pos
}

func BenchmarkPairs(b *testing.B) {
	for _, impl := range []string{"grid", "grid-outliers", "brute"} {
		for _, n := range []int{1000, 10000, 100000, 1000000} {
			if impl == "brute" && n > 10000 || impl == "grid-outliers" && n != 10000 && n != 100000 {
				continue
			}
			b.Run(fmt.Sprintf("impl=%s/n=%d", impl, n), func(b *testing.B) {
				pos := benchPositions(n)
				if impl == "grid-outliers" {
					pos = outlierPositions(n)
				}
				var g spatial.Grid
				if impl != "brute" {
					p := pool.New(0) // GOMAXPROCS workers, as -cpu sets them
					defer p.Close()
					g.SetRunner(p)
				}
				run := func(dst []spatial.Pair) []spatial.Pair {
					if impl == "brute" {
						return spatial.BrutePairs(dst[:0], pos, benchRadius)
					}
					if err := g.Build(pos, 2*benchRadius); err != nil {
						b.Fatal(err)
					}
					dst, err := g.Pairs(dst[:0], benchRadius)
					if err != nil {
						b.Fatal(err)
					}
					return dst
				}
				dst := run(nil) // warm up: size the grid and dst
				b.ReportAllocs()
				for b.Loop() {
					dst = run(dst)
				}
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(perOp/float64(n), "ns/entity")
				b.ReportMetric(float64(len(dst))/float64(n), "pairs/entity")
			})
		}
	}
}
